"""Schemas for partner suggestions and their reasons."""
from __future__ import annotations

from marshmallow import fields

from spread.schemas.base import BaseSchema, number_range
from spread.schemas.organisations import OrganisationRefSchema


class SuggestionQuerySchema(BaseSchema):
    """How many suggestions to return."""

    k = fields.Integer(load_default=10, validate=number_range(1, 50))


class SuggestedProfileSchema(BaseSchema):
    """The suggested partner, briefly."""

    id = fields.Integer()
    side = fields.String()
    title = fields.String()
    language = fields.String()
    region = fields.String(allow_none=True)
    organisation = fields.Nested(OrganisationRefSchema)


class ReasonsSchema(BaseSchema):
    """Why a pair fits, per criterion (from the similarity model's ``explain``)."""

    score = fields.Float()
    text = fields.Float(metadata={"description": "Text similarity, 0–1"})
    shared_terms = fields.List(fields.String())
    shared_sectors = fields.List(fields.String())
    shared_target_groups = fields.List(fields.String())
    same_region = fields.Boolean(allow_none=True)
    same_level = fields.Boolean(allow_none=True)
    same_facet = fields.Boolean(allow_none=True)
    comparable = fields.Boolean(metadata={
        "description": "False when the two profiles hold too little to compare (no text or "
                       "fields in common); the score is then 0"})
    components = fields.Dict(keys=fields.String(), values=fields.Float(),
                             metadata={"description": "Each criterion's share of the score"})


class ReasonsField(fields.Nested):
    """``ReasonsSchema`` in the API description; dumped as the model's dict, key by key.

    The similarity model's ``explain`` already returns JSON types with exactly these keys
    (``tests/test_suggestions.py`` checks the answer against ``ReasonsSchema``); passing the
    dict through spares a field-by-field dump of ten reasons per request.
    """

    def __init__(self, **kwargs):
        super().__init__(ReasonsSchema, **kwargs)
        self._keys = tuple(ReasonsSchema._declared_fields)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return {key: value[key] for key in self._keys if key in value}


class SuggestionSchema(BaseSchema):
    """One suggested partner with score and reasons."""

    profile = fields.Nested(SuggestedProfileSchema)
    score = fields.Float()
    reasons = ReasonsField()
