"""Schemas for organisations."""
from __future__ import annotations

from marshmallow import fields, validate

from spread.schemas.base import BaseSchema, PageSchema, one_of, text
from spread.schemas.messages import N_
from spread.vocabulary import ORGANISATION_KINDS, REGIONS


class OrganisationSchema(BaseSchema):
    """An organisation; ``region`` is a Danish region, or empty for organisations abroad."""

    id = fields.Integer(dump_only=True)
    name = text(200, required=True)
    kind = fields.String(required=True, validate=one_of(ORGANISATION_KINDS))
    region = fields.String(load_default=None, allow_none=True, validate=one_of(REGIONS))
    country = fields.String(
        load_default="DK",
        validate=validate.Regexp(r"^[A-Z]{2}$", error=N_("Use a two-letter country code.")),
    )
    archived = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class OrganisationUpdateSchema(OrganisationSchema):
    """Partial update of an organisation."""

    def __init__(self, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(**kwargs)


class OrganisationRefSchema(BaseSchema):
    """A short reference to an organisation, nested in other objects."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)


class OrganisationQuerySchema(PageSchema):
    """Filters for the organisation listing."""

    q = fields.String(load_default=None, validate=validate.Length(max=200))
    include_archived = fields.Boolean(load_default=False)


