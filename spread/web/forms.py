"""Submitted HTML forms: into schema input, through a service, and errors back into the form.

The one idiom of a page that writes: :func:`submit` validates the form with a schema, calls the
service, commits and redirects (POST → redirect → GET); when the schema or the service refuses,
it rolls back and shows the page again with the messages (422 invalid input, 409 lost race).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, request
from flask_babel import gettext
from marshmallow import Schema, ValidationError, fields
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from spread.extensions import db
from spread.schemas.messages import translate_errors
from spread.services.errors import ConflictError

# What a service may raise when it refuses: invalid input (422) or a lost race (409).
REFUSALS = (ValidationError, ConflictError, IntegrityError, StaleDataError)


def form_input(schema: Schema, form: MultiDict) -> dict[str, Any]:
    """Collect the values of ``schema``'s loadable fields from a submitted form.

    Lists come from repeated keys (checkboxes) or, for free-text lists, from comma-separated
    text. A blank required field is left out (so it is reported missing); a blank optional one
    becomes ``None`` where the field allows it, else the empty string.
    """
    data: dict[str, Any] = {}
    for name, field in schema.load_fields.items():
        if isinstance(field, fields.List):
            values = form.getlist(name)
            if len(values) == 1 and isinstance(field.inner, fields.String) and "," in values[0]:
                values = values[0].split(",")
            values = [v.strip() for v in values if v.strip()]
            if name in form or values:
                data[name] = values
            continue
        if name not in form:
            continue
        value = form.get(name, "").strip()
        if value == "":
            if field.required:
                continue
            value = None if field.allow_none else ""
        data[name] = value
    return data


def load_form(schema: Schema, form: MultiDict) -> tuple[dict | None, dict]:
    """Validate a form with ``schema``: returns (data, {}) or (None, translated errors)."""
    try:
        return schema.load(form_input(schema, form)), {}
    except ValidationError as error:
        return None, translate_errors(flatten_errors(error.messages))


def flatten_errors(errors: dict) -> dict[str, list[str]]:
    """One flat list of messages per field: list fields report ``{index: [messages]}``."""
    flat: dict[str, list[str]] = {}
    for name, messages in errors.items():
        if isinstance(messages, dict):
            collected: list[str] = []
            for nested in messages.values():
                for message in nested if isinstance(nested, list) else [nested]:
                    if message not in collected:
                        collected.append(message)
            flat[name] = collected
        else:
            flat[name] = messages
    return flat


def errors_of(error: Exception) -> tuple[dict, int]:
    """Translated form errors and the status for a service's refusal."""
    if isinstance(error, ConflictError):
        return {"_form": [gettext(error.message)], **translate_errors(error.errors)}, 409
    if not isinstance(error, ValidationError):
        # Two people acted at the same moment (a unique row exists now, a row changed).
        return {"_form": [gettext("This was changed by someone else. Reload and try again.")]}, 409
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return translate_errors(flatten_errors(messages)), 422


def commit_or_show(action: Callable[[], Any], done: Callable[[Any], Any],
                   show: Callable[[dict, int], Any],
                   explain: Callable[[Exception], tuple[dict, int]] = errors_of):
    """Run ``action()`` and commit, then answer ``done(result)``; or roll back and answer
    ``show(*explain(error))`` when the service refuses."""
    try:
        result = action()
    except REFUSALS as error:
        db.session.rollback()
        return show(*explain(error))
    db.session.commit()
    return done(result)


def submit(schema: Schema, action: Callable[[dict], Any], done: Callable[[Any], Any],
           show: Callable[[dict, int], Any]):
    """Validate the request's form with ``schema``, then :func:`commit_or_show` of
    ``action(data)``; invalid input answers ``show(errors, 422)``."""
    data, errors = load_form(schema, request.form)
    if data is None:
        return show(errors, 422)
    return commit_or_show(lambda: action(data), done, show)


def flash_redirect(message: str, url: str):
    """Flash a success message and redirect (the end of a successful POST)."""
    flash(message, "success")
    return redirect(url)
