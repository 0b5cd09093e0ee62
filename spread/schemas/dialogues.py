"""Schemas for the six-phase dialogue: the phase guide, log entries, evaluations, follow-ups."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from spread.models import Adoption
from spread.models.dialogue import PHASE_COUNT
from spread.schemas.base import BaseSchema, number_range, one_of, text
from spread.schemas.users import UserRefSchema

PHASE_KEYS = ("check", "agree", "understand", "adapt", "implement", "evaluate")
COCREATION = ("co-design", "co-delivery", "co-assessment")
SIDES = ("giver", "taker")


def _count(minimum: int, maximum: int) -> validate.Length:
    return validate.Length(min=minimum, max=maximum,
                           error="Give between {min} and {max} items.")


# --- the phase guide -------------------------------------------------------------------------

class LocalisedTextSchema(BaseSchema):
    """A text in Danish and English; both are required."""

    da = text(2000, required=True)
    en = text(2000, required=True)


class PhaseDefinitionSchema(BaseSchema):
    """One phase of the guide: what each side does, the questions to ask, the co-creation."""

    number = fields.Integer(required=True, validate=number_range(1, PHASE_COUNT))
    key = fields.String(required=True, validate=one_of(PHASE_KEYS))
    title = fields.Nested(LocalisedTextSchema, required=True)
    purpose = fields.Nested(LocalisedTextSchema, required=True)
    giver_actions = fields.List(fields.Nested(LocalisedTextSchema), required=True,
                                validate=_count(3, 5))
    taker_actions = fields.List(fields.Nested(LocalisedTextSchema), required=True,
                                validate=_count(3, 5))
    questions = fields.List(fields.Nested(LocalisedTextSchema), required=True,
                            validate=_count(3, 4))
    cocreation = fields.String(required=True, validate=one_of(COCREATION))


class PhasesSchema(BaseSchema):
    """Exactly six phases, numbered 1–6 in order, with the guide's keys."""

    phases = fields.List(fields.Nested(PhaseDefinitionSchema), required=True,
                         validate=validate.Length(equal=PHASE_COUNT,
                                                  error="Give exactly {equal} phases."))

    @validates_schema
    def check_order(self, data: dict, **kwargs) -> None:
        """Phase n is the n-th phase and has the n-th key."""
        errors: dict = {}
        for index, phase in enumerate(data.get("phases", [])):
            if phase["number"] != index + 1 or phase["key"] != PHASE_KEYS[index]:
                errors[index] = {"number": [
                    (f"Phase {index + 1} must be number {index + 1} with key "
                    f"{PHASE_KEYS[index]}.")]}
        if errors:
            raise ValidationError({"phases": errors})


class GuideInputSchema(PhasesSchema):
    """A new version of the phase guide."""

    note = text(2000, load_default=None, allow_none=True)


class GuideVersionSchema(BaseSchema):
    """One version of the phase guide, briefly."""

    id = fields.Integer()
    version = fields.Integer()
    note = fields.String(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class GuideSchema(GuideVersionSchema):
    """One version of the phase guide with its phases."""

    phases = fields.List(fields.Nested(PhaseDefinitionSchema))


class GuidesSchema(BaseSchema):
    """The current guide and every version."""

    current = fields.Nested(GuideSchema)
    versions = fields.List(fields.Nested(GuideVersionSchema))


# --- writes ------------------------------------------------------------------------------------

class NextActionInputSchema(BaseSchema):
    """A next action: what, which side owns it, and by when."""

    description = text(1000, required=True)
    owner = fields.String(required=True, validate=one_of(SIDES),
                          metadata={"description": "The side that owns it: giver or taker"})
    due = fields.Date(required=True)


class LinkField(fields.Url):
    """An http(s) link."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": "Give an http:// or https:// address."})
        super().__init__(schemes={"http", "https"}, require_tld=False, **kwargs)


class EntryInputSchema(BaseSchema):
    """A new log entry at one phase."""

    phase = fields.Integer(required=True, validate=number_range(1, PHASE_COUNT))
    note = fields.String(required=True, validate=[
        validate.Length(min=1, error="Write a note: what you did, learned or decided."),
        validate.Length(max=10000, error="Use at most {max} characters.")])
    decisions = text(5000, load_default="")
    links = fields.List(LinkField(), load_default=list, validate=_count(0, 20))
    next_actions = fields.List(fields.Nested(NextActionInputSchema), load_default=list,
                               validate=_count(0, 20))


class EntryUpdateSchema(BaseSchema):
    """An edit of a log entry by its author; the old text is kept."""

    note = fields.String(validate=[
        validate.Length(min=1, error="Write a note: what you did, learned or decided."),
        validate.Length(max=10000, error="Use at most {max} characters.")])
    decisions = text(5000)
    links = fields.List(LinkField(), validate=_count(0, 20))


class TickInputSchema(BaseSchema):
    """Tick (or untick) one of your side's recommended actions of a phase."""

    action = fields.Integer(required=True, validate=validate.Range(min=0, error=(
        "Must be at least {min}.")), metadata={"description": "Index in the phase's actions"})
    done = fields.Boolean(load_default=True)


class WorkAheadSchema(BaseSchema):
    """Open every phase at once, or go back to one phase at a time."""

    enabled = fields.Boolean(required=True)


class ReasonSchema(BaseSchema):
    """A reason, required."""

    reason = text(5000, required=True)


class EvaluationInputSchema(BaseSchema):
    """Your side's rating of the internship."""

    satisfaction = fields.Integer(required=True, validate=number_range(1, 5))
    would_recommend = fields.Boolean(required=True)
    what_worked = text(5000, load_default="")
    what_did_not = text(5000, load_default="")


class FollowUpInputSchema(BaseSchema):
    """The follow-up report: takers on adoption, givers on improving the original."""

    adoption = fields.String(load_default=None, allow_none=True,
                             validate=one_of([a.value for a in Adoption]))
    improved_original = fields.Boolean(load_default=None, allow_none=True)
    explanation = text(5000, load_default="")


class NextActionUpdateSchema(BaseSchema):
    """Mark a next action done or not done."""

    done = fields.Boolean(required=True)


# --- answers -----------------------------------------------------------------------------------

class NextActionSchema(BaseSchema):
    """A next action."""

    id = fields.Integer()
    entry_id = fields.Integer()
    description = fields.String()
    owner = fields.String()
    due = fields.Date(allow_none=True)
    done_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()


class RevisionSchema(BaseSchema):
    """An earlier text of a log entry."""

    id = fields.Integer()
    note = fields.String()
    decisions = fields.String()
    links = fields.List(fields.String())
    replaced_at = fields.DateTime()


class EntrySchema(BaseSchema):
    """A log entry with its next actions and its earlier texts."""

    id = fields.Integer()
    phase = fields.Integer()
    side = fields.String()
    author = fields.Nested(UserRefSchema, allow_none=True)
    note = fields.String()
    decisions = fields.String()
    links = fields.List(fields.String())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    next_actions = fields.List(fields.Nested(NextActionSchema))
    revisions = fields.List(fields.Nested(RevisionSchema))


class EvaluationSchema(BaseSchema):
    """One side's rating of the internship."""

    id = fields.Integer()
    side = fields.String()
    satisfaction = fields.Integer()
    would_recommend = fields.Boolean()
    what_worked = fields.String()
    what_did_not = fields.String()
    created_at = fields.DateTime()


class FollowUpSchema(BaseSchema):
    """One side's follow-up report."""

    id = fields.Integer()
    side = fields.String()
    adoption = fields.String(allow_none=True)
    improved_original = fields.Boolean(allow_none=True)
    explanation = fields.String()
    created_at = fields.DateTime()


class PoorFitSchema(BaseSchema):
    """A side's flag that the pairing does not work."""

    id = fields.Integer()
    side = fields.String()
    reason = fields.String()
    raised_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    resolution = fields.String(allow_none=True)


class ActionStateSchema(BaseSchema):
    """A recommended action and whether its side ticked it."""

    index = fields.Integer()
    text = fields.Nested(LocalisedTextSchema)
    done = fields.Boolean()


class PhaseStateSchema(BaseSchema):
    """One phase of a dialogue: the guide's text and where the pair stands."""

    number = fields.Integer()
    key = fields.String()
    title = fields.Nested(LocalisedTextSchema)
    purpose = fields.Nested(LocalisedTextSchema)
    cocreation = fields.String()
    questions = fields.List(fields.Nested(LocalisedTextSchema))
    giver_actions = fields.List(fields.Nested(ActionStateSchema))
    taker_actions = fields.List(fields.Nested(ActionStateSchema))
    done_by = fields.Dict(keys=fields.String(), values=fields.DateTime(allow_none=True),
                          metadata={"description": "When each side marked it done"})
    complete = fields.Boolean()
    state = fields.String(metadata={"description": "locked, open or complete"})


class OrganisationBriefSchema(BaseSchema):
    """An organisation, briefly."""

    id = fields.Integer()
    name = fields.String()


class PartyProfileSchema(BaseSchema):
    """One side's profile: the giver's innovation or the taker's challenge."""

    id = fields.Integer()
    side = fields.String()
    title = fields.String()
    description = fields.String()
    problem = fields.String()
    outcomes = fields.String(allow_none=True)
    hopes = fields.String(allow_none=True)
    language = fields.String()
    organisation = fields.Nested(OrganisationBriefSchema)


class ContactSchema(BaseSchema):
    """The person behind one side."""

    id = fields.Integer()
    name = fields.String()
    email = fields.String()


class DialoguePartySchema(BaseSchema):
    """One side of the pairing."""

    profile = fields.Nested(PartyProfileSchema)
    contact = fields.Nested(ContactSchema)


class RoundBriefSchema(BaseSchema):
    """The round of a dialogue, with its internship dates."""

    id = fields.Integer()
    name = fields.String()
    state = fields.String()
    internship_start = fields.Date(allow_none=True)
    internship_end = fields.Date(allow_none=True)


class WorkspaceSchema(BaseSchema):
    """A pairing's workspace: both sides, the six phases, the log, evaluation and follow-up."""

    id = fields.Integer()
    pair_id = fields.Integer()
    round = fields.Nested(RoundBriefSchema)
    guide_version = fields.Integer()
    viewer_side = fields.String(allow_none=True, metadata={
        "description": "giver or taker; null for coordinators reading another pairing"})
    giver = fields.Nested(DialoguePartySchema)
    taker = fields.Nested(DialoguePartySchema)
    work_ahead = fields.Boolean()
    current_phase = fields.Integer(allow_none=True)
    phases = fields.List(fields.Nested(PhaseStateSchema))
    entries = fields.List(fields.Nested(EntrySchema))
    poor_fit_flags = fields.List(fields.Nested(PoorFitSchema))
    evaluation_open = fields.Boolean()
    evaluations = fields.Dict(keys=fields.String(), values=fields.Nested(
        EvaluationSchema, allow_none=True), metadata={
        "description": "Per side; participants see only their own side's rating"})
    evaluated = fields.Dict(keys=fields.String(), values=fields.Boolean())
    followup_due = fields.Date(allow_none=True)
    followup_open = fields.Boolean()
    follow_ups = fields.Dict(keys=fields.String(), values=fields.Nested(
        FollowUpSchema, allow_none=True))
    last_activity_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    closed_reason = fields.String(allow_none=True)


class DialogueSummarySchema(BaseSchema):
    """One of your dialogues, briefly."""

    id = fields.Integer()
    round = fields.Nested(RoundBriefSchema)
    side = fields.String()
    own = fields.Nested(PartyProfileSchema)
    partner = fields.Nested(PartyProfileSchema)
    current_phase = fields.Integer(allow_none=True)
    phases_complete = fields.Integer()
    last_activity_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
