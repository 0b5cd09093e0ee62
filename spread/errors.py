"""One error shape for the API ({code, message, errors}) and friendly pages for the web."""
from __future__ import annotations

import json
import logging

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from spread.extensions import db, login_manager
from spread.schemas.messages import translate_errors
from spread.services.errors import ConflictError

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before retrying when the database cannot be reached.
RETRY_AFTER_SECONDS = 10


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        401: _("Please log in first."),
        403: _("You do not have permission to do that."),
        404: _("That page or object does not exist."),
        405: _("That method is not allowed here."),
        409: _("This was changed by someone else. Reload and try again."),
        413: _("The request is too large."),
        422: _("Some of the input is not valid."),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _("Something went wrong on our side."),
        503: _("The service is temporarily unavailable. Please try again shortly."),
    }


def wants_json() -> bool:
    """API paths always answer JSON; pages answer HTML."""
    return request.path.startswith("/api/")


def error_response(code: int, message: str | None = None, errors: dict | None = None):
    """Build the error response for the current request, JSON or HTML."""
    message = message or _messages().get(code, _("Error"))
    errors = translate_errors(errors) if errors else errors
    if wants_json():
        body = {"code": code, "message": message, "errors": errors or {}}
        return jsonify(body), code
    return render_template("error.html", code=code, message=message, errors=errors), code


def _status_of(error: HTTPException) -> int:
    """The status to answer: a body that is not JSON at all is invalid input (422) like any."""
    if error.code == 400 and isinstance(getattr(error, "exc", None),
                                        (json.JSONDecodeError, UnicodeDecodeError)):
        return 422  # webargs says 400; the API documents 422 for every input it parses
    return error.code or 500


def handle_http_exception(error: HTTPException):
    """Render any HTTP error; webargs' 422s carry per-field messages in ``error.data``."""
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if isinstance(errors, dict) and set(errors) <= {"json", "query", "form", "view_args"}:
        # webargs nests messages by location; callers want the fields.
        merged: dict = {}
        for value in errors.values():
            if isinstance(value, dict):
                merged.update(value)
            else:
                merged.setdefault("_schema", []).extend(value)
        errors = merged
    message = data.get("message")
    if message is None and error.code not in _messages():
        message = error.description
    if isinstance(error, RateLimitExceeded) and error.description:
        message = error.description  # the limit's own message (spread.rate_limits)
    if isinstance(error, CSRFError):
        message = _("The form expired or was sent from elsewhere. Reload the page and try again.")
    headers = data.get("headers") or {}
    response, code = error_response(_status_of(error), message, errors)
    response = make_response(response)
    response.headers.extend(headers)
    if error.code == 401 and wants_json():
        response.headers["WWW-Authenticate"] = 'Bearer realm="spread"'
    return response, code


def handle_validation_error(error: ValidationError):
    """A service rejected the input: 422 with the per-field messages."""
    db.session.rollback()
    errors = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return error_response(422, None, errors)


def handle_conflict(error: Exception):
    """Stale edits and lost races: roll back and answer 409 with a clear message."""
    db.session.rollback()
    message = getattr(error, "message", None) or _messages()[409]
    return error_response(409, _(message), getattr(error, "errors", None))


def handle_database_unavailable(error: Exception):
    """The database cannot be reached: roll back, answer 503 and Retry-After (SQLite busy: 409)."""
    if "database is locked" in str(error):
        return handle_conflict(error)
    logger.error("database unavailable: %s", error)
    # Nothing below may touch the database: the page and the language choice must not look
    # up the logged-in user again (the session cookie is kept; the next request finds them).
    g._login_user = login_manager.anonymous_user()
    try:
        db.session.rollback()
    except Exception:  # the connection may be gone entirely
        logger.exception("rollback failed")
    message = _messages()[ServiceUnavailable.code]
    if wants_json():
        response = jsonify({"code": ServiceUnavailable.code, "message": message, "errors": {}})
    else:
        response = make_response(render_template("unavailable.html", message=message,
                                                 code=ServiceUnavailable.code))
    response.status_code = ServiceUnavailable.code
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def handle_unexpected(error: Exception):
    """Log and answer 500 without leaking details."""
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    logger.exception("unhandled error")
    db.session.rollback()
    return error_response(InternalServerError.code)


def register_error_handlers(app: Flask) -> None:
    """Register the error handlers for pages and API alike."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(InterfaceError, handle_database_unavailable)
    app.register_error_handler(PoolTimeoutError, handle_database_unavailable)
    app.register_error_handler(ConflictError, handle_conflict)
    app.register_error_handler(IntegrityError, handle_conflict)
    app.register_error_handler(StaleDataError, handle_conflict)
    if not app.testing and not app.debug:
        app.register_error_handler(Exception, handle_unexpected)
