"""Response schemas of a round's dialogue progress (read only)."""
from __future__ import annotations

from marshmallow import fields

from spread.schemas.base import BaseSchema


class ProgressPartySchema(BaseSchema):
    """One side of a pair."""

    profile_id = fields.Integer()
    title = fields.String()
    organisation = fields.String()


class ProgressPhaseCountSchema(BaseSchema):
    """How many dialogues completed one phase (both sides marked it done)."""

    phase = fields.Integer()
    title = fields.String(allow_none=True)
    completed = fields.Integer()


class ProgressStalledDialogueSchema(BaseSchema):
    """An open dialogue without recent activity."""

    dialogue_id = fields.Integer()
    pair_id = fields.Integer()
    taker = fields.Nested(ProgressPartySchema)
    giver = fields.Nested(ProgressPartySchema)
    phases_completed = fields.List(fields.Integer())
    last_activity_at = fields.DateTime()
    days_since_activity = fields.Integer()


class ProgressPoorFitFlagSchema(BaseSchema):
    """An open poor-fit flag and the pair it concerns."""

    id = fields.Integer()
    dialogue_id = fields.Integer()
    pair_id = fields.Integer()
    side = fields.String()
    reason = fields.String()
    raised_at = fields.DateTime()
    taker = fields.Nested(ProgressPartySchema)
    giver = fields.Nested(ProgressPartySchema)


class ProgressScoreCountSchema(BaseSchema):
    """How many answers gave one satisfaction score."""

    score = fields.Integer()
    count = fields.Integer()


class ProgressSideRatingsSchema(BaseSchema):
    """One side's ratings of the internship."""

    side = fields.String()
    responses = fields.Integer()
    distribution = fields.List(fields.Nested(ProgressScoreCountSchema))
    would_recommend = fields.Integer()
    would_recommend_share = fields.Float(allow_none=True)


class ProgressAdoptionCountSchema(BaseSchema):
    """How many takers reported one adoption outcome, and its share of the reports."""

    outcome = fields.String()
    count = fields.Integer()
    share = fields.Float(allow_none=True)


class ProgressAdoptionSchema(BaseSchema):
    """The takers' follow-up reports."""

    due = fields.Integer()
    reported = fields.Integer()
    outcomes = fields.List(fields.Nested(ProgressAdoptionCountSchema))


class ProgressDialogueCountsSchema(BaseSchema):
    """How many dialogues the round has, and how many started."""

    total = fields.Integer()
    started = fields.Integer()
    not_started = fields.Integer()
    closed = fields.Integer()
    stalled = fields.Integer()


class RoundProgressSchema(BaseSchema):
    """The coordinators' view of a round's dialogues."""

    round_id = fields.Integer()
    today = fields.Date()
    stall_days = fields.Integer()
    dialogues = fields.Nested(ProgressDialogueCountsSchema)
    funnel = fields.List(fields.Nested(ProgressPhaseCountSchema))
    stalled = fields.List(fields.Nested(ProgressStalledDialogueSchema))
    poor_fit_flags = fields.List(fields.Nested(ProgressPoorFitFlagSchema))
    satisfaction = fields.List(fields.Nested(ProgressSideRatingsSchema))
    adoption = fields.Nested(ProgressAdoptionSchema)
