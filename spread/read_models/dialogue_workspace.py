"""Read model of a dialogue: the workspace both sides see, log entries and summaries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from spread.extensions import db
from spread.models import ActionTick, Dialogue, LogEntry, NextAction, PoorFitFlag, Profile, User
from spread.models.dialogue import PHASE_COUNT
from spread.services.dialogues import (
    SIDES,
    current_phase,
    evaluation_of,
    evaluation_open,
    follow_up_of,
    followup_open,
    is_complete,
    is_open,
    marks,
    phase_definition,
    profile_of,
    side_of,
    today,
)
from spread.vocabulary import other_side


@dataclass
class ActionView:
    """A next action with whether it is overdue."""

    action: NextAction
    on: date

    def __getattr__(self, name):
        return getattr(self.action, name)

    @property
    def overdue(self) -> bool:
        return self.action.done_at is None and self.action.due is not None \
            and self.action.due < self.on


def entry_view(entry: LogEntry, on: date | None = None) -> dict:
    """A log entry as the API shows it."""
    on = on or today()
    return {
        "id": entry.id, "phase": entry.phase, "side": entry.side, "author": entry.author,
        "note": entry.note, "decisions": entry.decisions, "links": entry.links,
        "created_at": entry.created_at, "updated_at": entry.updated_at,
        "next_actions": [ActionView(a, on) for a in entry.next_actions],
        "revisions": entry.revisions,
    }


def _party(profile: Profile) -> dict:
    return {"profile": profile, "contact": profile.owner}


def workspace(dialogue: Dialogue, viewer: User) -> dict:
    """Everything a pairing works with: both sides, the six phases and where they stand."""
    marked = marks(dialogue)
    ticks = {(t.phase, t.side, t.action) for t in db.session.scalars(
        select(ActionTick).where(ActionTick.dialogue_id == dialogue.id))}
    phases = []
    for number in range(1, PHASE_COUNT + 1):
        definition = phase_definition(dialogue, number)
        complete = is_complete(dialogue, number, marked)
        phases.append({
            **{k: definition[k] for k in ("number", "key", "title", "purpose", "cocreation",
                                          "questions")},
            **{f"{side}_actions": [
                {"index": i, "text": text, "done": (number, side, i) in ticks}
                for i, text in enumerate(definition[f"{side}_actions"])] for side in SIDES},
            "done_by": {side: marked[(number, side)].marked_at if (number, side) in marked
                        else None for side in SIDES},
            "complete": complete,
            "state": "complete" if complete else (
                "open" if is_open(dialogue, number, marked) else "locked"),
        })
    viewer_side = side_of(dialogue, viewer)
    evaluations = {side: evaluation_of(dialogue, side) for side in SIDES}
    round_ = dialogue.pair.round
    return {
        "id": dialogue.id, "pair_id": dialogue.pair_id, "round": round_,
        "guide_version": dialogue.guide.version, "viewer_side": viewer_side,
        "giver": _party(dialogue.pair.giver), "taker": _party(dialogue.pair.taker),
        "work_ahead": dialogue.work_ahead, "current_phase": current_phase(dialogue),
        "phases": phases,
        "entries": [entry_view(e) for e in dialogue.entries],
        "poor_fit_flags": list(db.session.scalars(select(PoorFitFlag).where(
            PoorFitFlag.dialogue_id == dialogue.id).order_by(PoorFitFlag.id))),
        "evaluation_open": evaluation_open(dialogue),
        # A side's rating is its own: the partner sees only that it was given.
        "evaluations": {side: ev if (viewer.is_coordinator or side == viewer_side) else None
                        for side, ev in evaluations.items()},
        "evaluated": {side: ev is not None for side, ev in evaluations.items()},
        "followup_due": dialogue.followup_due, "followup_open": followup_open(dialogue),
        "follow_ups": {side: follow_up_of(dialogue, side) for side in SIDES},
        "last_activity_at": dialogue.last_activity_at,
        "closed_at": dialogue.closed_at, "closed_reason": dialogue.closed_reason,
    }


def summary(dialogue: Dialogue, user: User) -> dict:
    """One line of the user's list of dialogues."""
    side = side_of(dialogue, user) or "giver"
    other = other_side(side)
    marked = marks(dialogue)
    return {
        "id": dialogue.id, "round": dialogue.pair.round, "side": side,
        "own": profile_of(dialogue, side), "partner": profile_of(dialogue, other),
        "current_phase": current_phase(dialogue),
        "phases_complete": sum(is_complete(dialogue, n, marked)
                               for n in range(1, PHASE_COUNT + 1)),
        "last_activity_at": dialogue.last_activity_at, "closed_at": dialogue.closed_at,
    }
