"""Turning submitted HTML forms into schema input, and schema errors back into the form."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields
from werkzeug.datastructures import MultiDict

from spread.schemas.messages import translate_errors

IGNORED_FORM_KEYS = {"csrf_token", "submit"}


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
