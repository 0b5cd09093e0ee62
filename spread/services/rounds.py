"""Internship rounds: creating, editing and moving them through their states."""
from __future__ import annotations

import logging

from marshmallow import ValidationError
from sqlalchemy import Select, select

from spread.extensions import db
from spread.models import Round, RoundState, User
from spread.models.round import LEGAL_TRANSITIONS
from spread.schemas.messages import N_
from spread.services import audit
from spread.services.errors import StaleError

logger = logging.getLogger(__name__)

ROUND_FIELDS = (
    "name", "description", "registration_opens", "registration_closes", "internship_start",
    "internship_end", "preparatory_workshop", "followup_workshop", "min_fit", "state",
)
ORDERED_DATES = (
    ("registration_opens", "registration_closes",
     N_("The registration window must close after it opens.")),
    ("internship_start", "internship_end", N_("The internship must end after it starts.")),
    ("registration_closes", "internship_start",
     N_("Registration must close before the internship starts.")),
    ("preparatory_workshop", "internship_start",
     N_("The preparatory workshop must be before the internship starts.")),
    ("internship_end", "followup_workshop",
     N_("The follow-up workshop must be after the internship ends.")),
)


def date_order_errors(values: dict) -> dict[str, list[str]]:
    """Field errors for dates of a round that are in the wrong order."""
    errors: dict[str, list[str]] = {}
    for earlier, later, message in ORDERED_DATES:
        first, second = values.get(earlier), values.get(later)
        if first and second and second < first:
            errors.setdefault(later, []).append(message)
    return errors


def check_version(obj, expected: int | None) -> None:
    """Refuse an edit made on an older version of ``obj`` (optimistic locking)."""
    if expected is not None and expected != obj.version:
        raise StaleError()


def create_round(data: dict, actor: User) -> Round:
    """Create a round in the draft state."""
    errors = date_order_errors(data)
    if errors:
        raise ValidationError(errors)
    round_ = Round(**data, created_by_id=actor.id, state=RoundState.DRAFT.value)
    db.session.add(round_)
    db.session.flush()
    audit.record("round.created", actor, round_, after=audit.snapshot(round_, ROUND_FIELDS))
    return round_


def update_round(round_: Round, data: dict, actor: User, version: int | None) -> Round:
    """Change a round's details; its state changes only through :func:`transition`."""
    check_version(round_, version)
    if round_.state == RoundState.CLOSED.value:
        raise ValidationError({"_schema": [N_("A closed round cannot be changed.")]})
    merged = {name: getattr(round_, name) for name in ROUND_FIELDS} | data
    errors = date_order_errors(merged)
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(round_, ROUND_FIELDS)
    for key, value in data.items():
        setattr(round_, key, value)
    db.session.flush()
    audit.record("round.updated", actor, round_, before=before,
                 after=audit.snapshot(round_, ROUND_FIELDS))
    return round_


def transition(round_: Round, state: str, actor: User, version: int | None = None,
               reason: str | None = None) -> Round:
    """Move a round to ``state`` if that is a legal next state, and record it."""
    check_version(round_, version)
    if not round_.can_move_to(state):
        allowed = ", ".join(LEGAL_TRANSITIONS.get(round_.state, ())) or "none"
        raise ValidationError({"state": [
            f"A round cannot go from {round_.state} to {state}. Possible next states: {allowed}."
        ]})
    before = round_.state
    round_.state = state
    db.session.flush()
    audit.record("round.state", actor, round_, before={"state": before}, after={"state": state},
                 reason=reason)
    logger.info("round %s: %s -> %s by user %s", round_.id, before, state, actor.id)
    return round_


def round_query(include_closed: bool = True) -> Select:
    """All rounds, newest first."""
    query = select(Round).order_by(Round.id.desc())
    if not include_closed:
        query = query.where(Round.state != RoundState.CLOSED.value)
    return query
