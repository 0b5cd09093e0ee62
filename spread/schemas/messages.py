"""Translation of validation messages, which marshmallow produces in English."""
from __future__ import annotations

import re

from flask_babel import gettext


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet."""
    return message


# Messages marshmallow and our validators produce, so that pybabel extracts them.
KNOWN_MESSAGES = [
    N_("Missing data for required field."),
    N_("Unknown field."),
    N_("Field may not be null."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid email address."),
    N_("Not a valid date."),
    N_("Not a valid list."),
    N_("Not a valid boolean."),
    N_("Not a valid choice."),
    N_("Invalid input type."),
    N_("Invalid input."),
    N_("Use at most {n} characters."),
    N_("Use at least {n} characters."),
    N_("Use between {n} and {n} characters."),
    N_("Must be between {n} and {n}."),
    N_("Must be at least {n}."),
    N_("Must be at most {n}."),
    N_("This field is required."),
    N_("Invalid JSON body."),  # webargs, for a request body that is not JSON
]

_NUMBER = re.compile(r"\d+")


def translate_message(message: str) -> str:
    """Translate one validation message, keeping any numbers it contains."""
    numbers = _NUMBER.findall(message)
    template = _NUMBER.sub("{n}", message)
    translated = gettext(template)
    for number in numbers:
        translated = translated.replace("{n}", number, 1)
    return translated


def translate_errors(errors):
    """Translate every message in a (possibly nested) marshmallow error structure."""
    if isinstance(errors, dict):
        return {key: translate_errors(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [translate_errors(value) for value in errors]
    if isinstance(errors, str):
        return translate_message(errors)
    return errors
