"""Schemas for giver and taker profiles."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from spread.schemas.base import BaseSchema, PageSchema, identifier, number_range, one_of, text
from spread.schemas.messages import N_
from spread.schemas.organisations import OrganisationRefSchema
from spread.schemas.users import UserRefSchema
from spread.vocabulary import (
    LEVELS,
    OPSI_FACETS,
    PROFILE_LANGUAGES,
    REGIONS,
    SECTORS,
    SIDES,
    TARGET_GROUPS,
)

GIVER_ONLY = ("outcomes", "capacity")
TAKER_ONLY = ("hopes",)
MAX_CAPACITY = 10


class ProfileSchema(BaseSchema):
    """A giver's innovation or a taker's challenge."""

    id = fields.Integer(dump_only=True)
    side = fields.String(required=True, validate=one_of(SIDES))
    organisation_id = identifier(required=True)
    language = fields.String(load_default="da", validate=one_of(PROFILE_LANGUAGES))
    title = text(200, required=True)
    description = text(5000, required=True)
    problem = text(5000, load_default="")
    outcomes = text(5000, allow_none=True)
    hopes = text(5000, allow_none=True)
    keywords = fields.List(text(60, required=True), load_default=list,
                           validate=validate.Length(max=30))
    sectors = fields.List(fields.String(validate=one_of(SECTORS)), load_default=list)
    target_groups = fields.List(fields.String(validate=one_of(TARGET_GROUPS)), load_default=list)
    facet = fields.String(load_default=None, allow_none=True, validate=one_of(OPSI_FACETS))
    level = fields.String(load_default=None, allow_none=True, validate=one_of(LEVELS))
    region = fields.String(load_default=None, allow_none=True, validate=one_of(REGIONS))
    capacity = fields.Integer(allow_none=True, validate=number_range(1, MAX_CAPACITY))
    available_from = fields.Date(load_default=None, allow_none=True)
    available_until = fields.Date(load_default=None, allow_none=True)

    owner = fields.Nested(UserRefSchema, dump_only=True)
    organisation = fields.Nested(OrganisationRefSchema, dump_only=True)
    archived = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    @validates_schema(skip_on_field_errors=False)
    def check_side_fields(self, data: dict, **kwargs) -> None:
        """Reject giver-only fields on takers and vice versa; check the availability window.

        Runs even when a field is invalid, so that a form shows every problem at once.
        """
        errors = profile_consistency_errors(data)
        if errors:
            raise ValidationError(errors)


class ProfileUpdateSchema(ProfileSchema):
    """Partial update of a profile; its side cannot change."""

    side = fields.String(dump_only=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(**kwargs)


def profile_consistency_errors(data: dict) -> dict[str, list[str]]:
    """Field errors for side-specific fields and the availability window of ``data``."""
    side = data.get("side")
    errors: dict[str, list[str]] = {}
    misplaced = GIVER_ONLY if side == "taker" else TAKER_ONLY if side == "giver" else ()
    message = N_("Only givers have this field.") if side == "taker" else N_("Only takers have this field.")
    for name in misplaced:
        if data.get(name) not in (None, ""):
            errors[name] = [message]
    start, end = data.get("available_from"), data.get("available_until")
    if start and end and end < start:
        errors["available_until"] = [N_("The end of the window must not be before its start.")]
    return errors


class ProfileQuerySchema(PageSchema):
    """Filters for browsing and searching profiles."""

    side = fields.String(load_default=None, validate=one_of(SIDES))
    sector = fields.String(load_default=None, validate=one_of(SECTORS))
    target_group = fields.String(load_default=None, validate=one_of(TARGET_GROUPS))
    region = fields.String(load_default=None, validate=one_of(REGIONS))
    level = fields.String(load_default=None, validate=one_of(LEVELS))
    organisation_id = identifier(load_default=None)
    mine = fields.Boolean(load_default=False)
    include_archived = fields.Boolean(load_default=False)
    q = fields.String(load_default=None, validate=validate.Length(max=200))
