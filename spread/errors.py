"""One error shape for the API ({code, message, errors}) and friendly pages for the web."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from spread.extensions import db
from spread.schemas.messages import translate_errors
from spread.services.errors import ConflictError

logger = logging.getLogger(__name__)


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
    if isinstance(error, CSRFError):
        message = _("The form expired or was sent from elsewhere. Reload the page and try again.")
    headers = data.get("headers") or {}
    response, code = error_response(error.code or 500, message, errors)
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


def handle_database_unavailable(error: OperationalError):
    """The database cannot be reached: roll back and answer 503 (SQLite busy: 409)."""
    if "database is locked" in str(error):
        return handle_conflict(error)
    logger.error("database unavailable: %s", error)
    try:
        db.session.rollback()
    except Exception:  # the connection may be gone entirely
        logger.exception("rollback failed")
    return error_response(ServiceUnavailable.code)


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
    app.register_error_handler(ConflictError, handle_conflict)
    app.register_error_handler(IntegrityError, handle_conflict)
    app.register_error_handler(StaleDataError, handle_conflict)
    if not app.testing and not app.debug:
        app.register_error_handler(Exception, handle_unexpected)
