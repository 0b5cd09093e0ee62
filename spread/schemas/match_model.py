"""Schemas for the match-model page: learning a candidate and choosing a version."""
from __future__ import annotations

from marshmallow import fields, validate

from spread.schemas.base import BaseSchema, text


class LearnSchema(BaseSchema):
    """Input for learning candidate weights: an optional note on why."""

    note = text(500, allow_none=True, load_default=None)


class VersionSchema(BaseSchema):
    """Input naming a model version (to evaluate or adopt)."""

    version = fields.Integer(required=True, strict=False, validate=validate.Range(min=1))
