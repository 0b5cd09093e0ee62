"""Schemas for rounds, enrolments, interest, pairs, pairing runs and the audit log."""
from __future__ import annotations

from marshmallow import fields, validate

from spread.models.round import LEGAL_TRANSITIONS
from spread.schemas.base import BaseSchema, identifier, length, one_of, text
from spread.schemas.suggestions import ReasonsSchema, SuggestedProfileSchema
from spread.schemas.users import UserRefSchema


class RoundSchema(BaseSchema):
    """An internship round."""

    id = fields.Integer(dump_only=True)
    name = text(200, required=True)
    description = text(5000, load_default="")
    state = fields.String(dump_only=True)
    registration_opens = fields.Date(load_default=None, allow_none=True)
    registration_closes = fields.Date(load_default=None, allow_none=True)
    internship_start = fields.Date(load_default=None, allow_none=True)
    internship_end = fields.Date(load_default=None, allow_none=True)
    preparatory_workshop = fields.Date(load_default=None, allow_none=True)
    followup_workshop = fields.Date(load_default=None, allow_none=True)
    min_fit = fields.Float(load_default=0.1, validate=validate.Range(
        min=0, max=1, error="Must be between {min} and {max}."))
    version = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class RoundUpdateSchema(RoundSchema):
    """Partial update of a round; send the ``version`` you read to avoid overwriting others."""

    version = fields.Integer(load_default=None)

    def __init__(self, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(**kwargs)


class TransitionSchema(BaseSchema):
    """Move a round to another state."""

    state = fields.String(required=True, validate=one_of(LEGAL_TRANSITIONS))
    version = fields.Integer(load_default=None)
    reason = text(2000, load_default=None, allow_none=True)


class EnrolSchema(BaseSchema):
    """Enrol (or withdraw) a profile."""

    profile_id = identifier(required=True)


class EnrolmentSchema(BaseSchema):
    """An enrolment of a profile in a round."""

    id = fields.Integer()
    profile = fields.Nested(SuggestedProfileSchema)
    side = fields.String()
    capacity = fields.Integer()
    approved = fields.Integer()
    created_at = fields.DateTime()
    withdrawn_at = fields.DateTime(allow_none=True)


class InterestInputSchema(BaseSchema):
    """State interest in a partner."""

    from_profile_id = identifier(required=True)
    to_profile_id = identifier(required=True)


class InterestSchema(BaseSchema):
    """A stated interest; ``mutual`` when the partner stated interest back."""

    id = fields.Integer()
    from_profile = fields.Nested(SuggestedProfileSchema)
    to_profile = fields.Nested(SuggestedProfileSchema)
    mutual = fields.Boolean()
    created_at = fields.DateTime()


class PairSchema(BaseSchema):
    """A proposed or decided pair with its score and reasons."""

    id = fields.Integer()
    round_id = fields.Integer()
    taker = fields.Nested(SuggestedProfileSchema)
    giver = fields.Nested(SuggestedProfileSchema)
    score = fields.Float(allow_none=True)
    reasons = fields.Nested(ReasonsSchema)
    status = fields.String()
    source = fields.String()
    mutual_interest = fields.Boolean()
    interest = fields.String(allow_none=True, metadata={
        "description": "mutual, taker (the taker asked), giver (the giver asked) or null"})
    decision_reason = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class PairQuerySchema(BaseSchema):
    """Filter and sort a round's pairs."""

    status = fields.String(load_default=None, validate=one_of(
        ("proposed", "approved", "rejected", "closed")))
    mutual = fields.Boolean(load_default=None)
    min_score = fields.Float(load_default=None)
    sort = fields.String(load_default="score", validate=one_of(("score", "-score", "id")))


class DecisionSchema(BaseSchema):
    """Approve or reject a pair; send the ``version`` you read."""

    version = fields.Integer(load_default=None)
    reason = fields.String(load_default=None, allow_none=True, validate=length(0, 2000))


class SwapSchema(BaseSchema):
    """Swap the givers of two pairs."""

    other_pair_id = identifier(required=True)
    version = fields.Integer(load_default=None)
    other_version = fields.Integer(load_default=None)


class ManualPairSchema(BaseSchema):
    """Pair a taker and a giver by hand."""

    taker_id = identifier(required=True)
    giver_id = identifier(required=True)


class BanSchema(ManualPairSchema):
    """Ban a taker–giver pair in the round."""

    reason = text(2000, required=True)


class RunRequestSchema(BaseSchema):
    """Start a pairing run."""

    method = fields.String(load_default="optimal", validate=one_of(("optimal", "stable")))
    only_unpaired = fields.Boolean(load_default=False)


class PairingRunSchema(BaseSchema):
    """A pairing run and its progress."""

    id = fields.Integer()
    round_id = fields.Integer()
    method = fields.String()
    only_unpaired = fields.Boolean()
    status = fields.String()
    stage = fields.String()
    progress = fields.Float()
    summary = fields.Dict()
    error = fields.String(allow_none=True)
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class AuditEventSchema(BaseSchema):
    """One entry of the audit log."""

    id = fields.Integer()
    round_id = fields.Integer(allow_none=True)
    pair_id = fields.Integer(allow_none=True)
    actor = fields.Nested(UserRefSchema, allow_none=True)
    action = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    reason = fields.String(allow_none=True)
    at = fields.DateTime()


class RoundQuerySchema(BaseSchema):
    """Filter rounds."""

    state = fields.String(load_default=None, validate=one_of(LEGAL_TRANSITIONS))

