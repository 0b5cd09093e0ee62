"""API: the six-phase spreading dialogue of each pairing, its evaluation and follow-up.

The pairing's participants (the owners of its two profiles), coordinators and admins read a
dialogue; only participants write, each for their own side; coordinators close a pairing.
"""
from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user

from spread.api.common import (
    ApiBlueprint,
    get_or_404,
)
from spread.auth import allow, is_admin, requires
from spread.extensions import db
from spread.models import Dialogue, LogEntry, NextAction
from spread.read_models import dialogue_workspace
from spread.read_models.dialogue_access import own_side, phase_number, readable_dialogue
from spread.schemas.dialogues import (
    DialogueSummarySchema,
    EntryInputSchema,
    EntrySchema,
    EntryUpdateSchema,
    EvaluationInputSchema,
    EvaluationSchema,
    FollowUpInputSchema,
    FollowUpSchema,
    GuideInputSchema,
    GuideSchema,
    GuidesSchema,
    NextActionSchema,
    NextActionUpdateSchema,
    PoorFitSchema,
    ReasonSchema,
    TickInputSchema,
    WorkAheadSchema,
    WorkspaceSchema,
)
from spread.services import dialogues, phase_guides

blp = ApiBlueprint("dialogues", __name__, url_prefix="/api/v1",
                description="The six-phase spreading dialogue of each pairing")
NOT_NOW = "Not allowed now (locked, not open yet, done already) or invalid input"


def _workspace(dialogue: Dialogue) -> dict:
    return dialogue_workspace.workspace(dialogue, current_user)


@blp.route("/dialogues/<int:dialogue_id>", methods=["GET"])
@requires()
@blp.response(200, WorkspaceSchema)
@blp.errors(401, 403, 404)
def get_dialogue(dialogue_id: int):
    """A pairing's workspace: both sides, the six phases and where they stand, the log."""
    return _workspace(readable_dialogue(dialogue_id))


@blp.route("/dialogues/<int:dialogue_id>/entries", methods=["POST"])
@requires()
@blp.arguments(EntryInputSchema)
@blp.response(201, EntrySchema)
@blp.errors(401, 403, 404, 422, describe={422: NOT_NOW})
def create_entry(data: dict, dialogue_id: int):
    """Log what your side did at a phase: a note, decisions, links and next actions."""
    dialogue, side = own_side(dialogue_id)
    entry = dialogues.create_entry(dialogue, side, current_user, data)
    db.session.commit()
    return dialogue_workspace.entry_view(entry)


@blp.route("/entries/<int:entry_id>", methods=["PATCH"])
@requires()
@blp.arguments(EntryUpdateSchema)
@blp.response(200, EntrySchema)
@blp.errors(401, 403, 404, 422, describe={422: NOT_NOW})
def update_entry(data: dict, entry_id: int):
    """Edit your own log entry; the earlier text is kept in ``revisions``."""
    entry = get_or_404(LogEntry, entry_id)
    own_side(entry.dialogue_id)
    allow(entry.author_id == current_user.id)
    dialogues.update_entry(entry, current_user, data)
    db.session.commit()
    return dialogue_workspace.entry_view(entry)


@blp.route("/next-actions/<int:action_id>", methods=["PATCH"])
@requires()
@blp.arguments(NextActionUpdateSchema)
@blp.response(200, NextActionSchema)
@blp.errors(401, 403, 404)
def update_next_action(data: dict, action_id: int):
    """Mark a next action done (or not done); either side of the pairing may."""
    action = get_or_404(NextAction, action_id)
    own_side(action.entry.dialogue_id)
    dialogues.set_next_action_done(action, data["done"])
    db.session.commit()
    return dialogue_workspace.ActionView(action, dialogues.today())


@blp.route("/dialogues/<int:dialogue_id>/phases/<int:phase>/ticks", methods=["POST"])
@requires()
@blp.arguments(TickInputSchema)
@blp.response(200, WorkspaceSchema)
@blp.errors(401, 403, 404, 422, describe={422: NOT_NOW})
def tick(data: dict, dialogue_id: int, phase: int):
    """Tick (``done``: true) or untick one of your side's recommended actions of a phase."""
    dialogue, side = own_side(dialogue_id)
    dialogues.tick(dialogue, side, phase_number(phase), data["action"], data["done"], current_user)
    db.session.commit()
    return _workspace(dialogue)


@blp.route("/dialogues/<int:dialogue_id>/phases/<int:phase>/done", methods=["POST"])
@requires()
@blp.response(200, WorkspaceSchema)
@blp.errors(401, 403, 404, 422, describe={422: NOT_NOW})
def mark_done(dialogue_id: int, phase: int):
    """Mark a phase done for your side; it is complete when both sides have."""
    dialogue, side = own_side(dialogue_id)
    dialogues.mark_done(dialogue, side, phase_number(phase), current_user)
    db.session.commit()
    return _workspace(dialogue)


@blp.route("/dialogues/<int:dialogue_id>/work-ahead", methods=["POST"])
@requires()
@blp.arguments(WorkAheadSchema)
@blp.response(200, WorkspaceSchema)
@blp.errors(401, 403, 404)
def work_ahead(data: dict, dialogue_id: int):
    """Open every phase at once (``enabled``: true), or go back to one phase at a time."""
    dialogue, _side = own_side(dialogue_id)
    dialogues.set_work_ahead(dialogue, data["enabled"])
    db.session.commit()
    return _workspace(dialogue)


@blp.route("/dialogues/<int:dialogue_id>/poor-fit", methods=["POST"])
@requires()
@blp.arguments(ReasonSchema)
@blp.response(201, PoorFitSchema)
@blp.errors(401, 403, 404, 422, describe={422: NOT_NOW})
def poor_fit(data: dict, dialogue_id: int):
    """Flag the pairing as a poor fit (after phase 2); the coordinators are emailed."""
    dialogue, side = own_side(dialogue_id)
    flag = dialogues.flag_poor_fit(dialogue, side, current_user, data["reason"])
    db.session.commit()
    return flag


@blp.route("/dialogues/<int:dialogue_id>/close", methods=["POST"])
@requires()
@blp.arguments(ReasonSchema)
@blp.response(200, WorkspaceSchema)
@blp.errors(401, 403, 404, 422, describe={422: NOT_NOW})
def close(data: dict, dialogue_id: int):
    """Close a pairing that does not work (coordinators): the pair is closed, places freed."""
    dialogue = readable_dialogue(dialogue_id)
    allow(current_user.is_coordinator)
    dialogues.close_for_repairing(dialogue, current_user, data["reason"])
    db.session.commit()
    return _workspace(dialogue)


@blp.route("/dialogues/<int:dialogue_id>/evaluation", methods=["POST"])
@requires()
@blp.arguments(EvaluationInputSchema)
@blp.response(201, EvaluationSchema)
@blp.errors(401, 403, 404, 422, describe={422: NOT_NOW})
def evaluate(data: dict, dialogue_id: int):
    """Rate the internship for your side, once (opens after phase 6 or when the round closes)."""
    dialogue, side = own_side(dialogue_id)
    evaluation = dialogues.evaluate(dialogue, side, current_user, data)
    db.session.commit()
    return evaluation


@blp.route("/dialogues/<int:dialogue_id>/follow-up", methods=["POST"])
@requires()
@blp.arguments(FollowUpInputSchema)
@blp.response(201, FollowUpSchema)
@blp.errors(401, 403, 404, 422, describe={422: NOT_NOW})
def follow_up(data: dict, dialogue_id: int):
    """Report the follow-up for your side, once, on or after its due date.

    Takers report ``adoption`` (an explanation is required for not_adopted); givers report
    ``improved_original``.
    """
    dialogue, side = own_side(dialogue_id)
    report = dialogues.follow_up(dialogue, side, current_user, data)
    db.session.commit()
    return report


@blp.route("/me/dialogues", methods=["GET"])
@requires()
@blp.response(200, DialogueSummarySchema(many=True))
@blp.errors(401)
def my_dialogues():
    """The dialogues of your pairings, newest first."""
    return [dialogue_workspace.summary(d, current_user)
            for d in dialogues.dialogues_of_user(current_user)]


@blp.route("/phase-guides")
class PhaseGuides(MethodView):
    """The phase guide and its versions."""

    @requires()
    @blp.response(200, GuidesSchema)
    @blp.errors(401)
    def get(self):
        """The current guide and the list of versions."""
        versions = phase_guides.guide_versions()
        db.session.commit()
        return {"current": versions[0], "versions": versions}

    @requires(is_admin)
    @blp.arguments(GuideInputSchema)
    @blp.response(201, GuideSchema)
    @blp.errors(401, 403, describe={403: "Admins only"})
    def post(self, data: dict):
        """Publish a new version of the guide (admins); running dialogues keep theirs."""
        guide = phase_guides.publish_guide(data["phases"], current_user, data["note"])
        db.session.commit()
        return guide
