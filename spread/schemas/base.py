"""The project's base schema: unknown fields rejected, surrounding whitespace stripped."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from spread.models.base import MAX_ID
from spread.schemas.messages import N_

#: PostgreSQL cannot store NUL in text, and no one types it: such input is refused (422).
NUL_MESSAGE = N_("Remove the invisible NUL character from the text.")


class BaseSchema(Schema):
    """Every input schema derives from this one."""

    class Meta:
        unknown = RAISE
        ordered = True

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        """Dump date-times with their offset, as the document promises (RFC 3339)."""
        for field in _with_inner_fields(field_obj):
            if isinstance(field, fields.DateTime) and not isinstance(field, fields.NaiveDateTime):
                field.SERIALIZATION_FUNCS = {**field.SERIALIZATION_FUNCS,
                                             "iso": utc_isoformat, "iso8601": utc_isoformat}

    @pre_load
    def strip_strings(self, data: Any, **kwargs) -> Any:
        """Strip whitespace around strings; refuse strings with a NUL character."""
        if not isinstance(data, Mapping):  # webargs hands query strings over as a Mapping
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
            elif isinstance(value, list):
                value = [v.strip() if isinstance(v, str) else v for v in value]
            cleaned[key] = value
        with_nul = [key for key, value in cleaned.items() if _has_nul(value)]
        if with_nul:
            raise ValidationError({key: [NUL_MESSAGE] for key in with_nul})
        return cleaned


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    return isinstance(value, list) and any(isinstance(v, str) and "\x00" in v for v in value)


def _with_inner_fields(field: fields.Field | None):
    """A field and the fields inside it (list items, dict values)."""
    if field is not None:
        yield field
        yield from _with_inner_fields(getattr(field, "inner", None))
        yield from _with_inner_fields(getattr(field, "value_field", None))


def utc_isoformat(moment: datetime) -> str:
    """ISO 8601 with an offset; naive values are UTC (SQLite hands stored times back naive)."""
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).isoformat()


def identifier(**kwargs) -> fields.Integer:
    """The id of a stored object: 1 to MAX_ID (a larger number names nothing)."""
    return fields.Integer(validate=number_range(1, MAX_ID), **kwargs)


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
