"""Schemas for a round's registration import, pairs export and dashboard."""
from __future__ import annotations

from marshmallow import fields

from spread.schemas.base import BaseSchema
from spread.schemas.rounds import PairingRunSchema
from spread.schemas.suggestions import SuggestedProfileSchema


class ImportQuerySchema(BaseSchema):
    """Preview only (the default), or import every row or none."""

    dry_run = fields.Boolean(load_default=True)


class ImportFileSchema(BaseSchema):
    """The spreadsheet as a multipart upload (or send it as the ``text/csv`` body)."""

    file = fields.Raw(metadata={"type": "string", "format": "binary"})


class ImportErrorSchema(BaseSchema):
    """A problem with the file: its line (null for the whole file) and the column."""

    line = fields.Integer(allow_none=True)
    field = fields.String(allow_none=True)
    message = fields.String()


class ImportRowSchema(BaseSchema):
    """A registration and what importing it does: ``enrol``, ``create`` (+ enrol) or null."""

    line = fields.Integer()
    email = fields.String()
    side = fields.String()
    title = fields.String()
    action = fields.String(allow_none=True)
    profile_id = fields.Integer(allow_none=True)
    organisation = fields.String(allow_none=True)
    notes = fields.List(fields.String())


class ImportResultSchema(BaseSchema):
    """The preview, or the result of an import: rows, errors, and counts."""

    code = fields.Integer(metadata={"description": "422 when the import was refused"})
    message = fields.String()
    dry_run = fields.Boolean()
    rows = fields.List(fields.Nested(ImportRowSchema))
    errors = fields.List(fields.Nested(ImportErrorSchema))
    notes = fields.List(fields.String())
    created = fields.Integer(metadata={"description": "Profiles created (or to be created)"})
    enrolled = fields.Integer(metadata={"description": "Enrolments made (or to be made)"})


class HistogramBinSchema(BaseSchema):
    """Fit scores in [low, high)."""

    low = fields.Float()
    high = fields.Float()
    count = fields.Integer()


class UnpairedSchema(BaseSchema):
    """A profile left unpaired by the latest run, still without a pair."""

    profile = fields.Nested(SuggestedProfileSchema)
    reason = fields.String(metadata={
        "description": "no_allowed_partner, below_min_fit or capacity"})
    reason_text = fields.String()


class DashboardSchema(BaseSchema):
    """A round at a glance."""

    round_id = fields.Function(lambda d: d.round.id)
    state = fields.String()
    enrolments = fields.Dict(keys=fields.String(), values=fields.Integer())
    places = fields.Dict(keys=fields.String(), values=fields.Integer())
    pairs = fields.Dict(keys=fields.String(), values=fields.Integer())
    latest_run = fields.Nested(PairingRunSchema, allow_none=True)
    unpaired = fields.List(fields.Nested(UnpairedSchema))
    histogram = fields.List(fields.Nested(HistogramBinSchema))
    scored_pairs = fields.Integer()
