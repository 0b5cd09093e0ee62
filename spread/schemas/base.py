"""The project's base schema: unknown fields rejected, surrounding whitespace stripped."""
from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, pre_load, validate


class BaseSchema(Schema):
    """Every input schema derives from this one."""

    class Meta:
        unknown = RAISE
        ordered = True

    @pre_load
    def strip_strings(self, data: Any, **kwargs) -> Any:
        """Strip whitespace around strings; treat blank optional strings as missing."""
        if not isinstance(data, dict):
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
            elif isinstance(value, list):
                value = [v.strip() if isinstance(v, str) else v for v in value]
            cleaned[key] = value
        return cleaned


def one_of(choices) -> validate.OneOf:
    """Validate that a value is one of the codes of a vocabulary."""
    return validate.OneOf(list(choices), error="Not a valid choice.")


def length(min_length: int = 0, max_length: int | None = None) -> validate.Length:
    """Validate a text length with messages that :mod:`spread.schemas.messages` translates."""
    if min_length and max_length:
        error = "Use between {min} and {max} characters."
        return validate.Length(min=min_length, max=max_length, error=error)
    if min_length:
        return validate.Length(min=min_length, error="Use at least {min} characters.")
    return validate.Length(max=max_length, error="Use at most {max} characters.")


def text(max_length: int, required: bool = False, **kwargs) -> fields.String:
    """A text field with a length limit; required text may not be blank."""
    return fields.String(
        required=required,
        validate=length(1 if required else 0, max_length),
        **kwargs,
    )


def number_range(minimum: int, maximum: int) -> validate.Range:
    """Validate an integer range with a translatable message."""
    return validate.Range(min=minimum, max=maximum, error="Must be between {min} and {max}.")


class PageSchema(BaseSchema):
    """Paging parameters for listings."""

    page = fields.Integer(load_default=1, validate=number_range(1, 100000))
    per_page = fields.Integer(load_default=20, validate=number_range(1, 100))
