"""The six-phase spreading dialogue of an approved pair: the workspace and every write in it.

A phase is complete when both sides have marked it done; phase n opens when phase n-1 is
complete, or at once when the pair chose to work ahead. Marking, ticking and logging need an
open phase. Evaluation opens when phase 6 is complete or the round is closed; the follow-up
on its due date. Every write moves ``last_activity_at``, which the reminders read.
"""
from __future__ import annotations

import calendar
import logging
from datetime import date

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import delete, or_, select

from spread.extensions import db
from spread.models import (
    ActionTick,
    Adoption,
    Dialogue,
    Evaluation,
    FollowUp,
    LogEntry,
    LogEntryRevision,
    NextAction,
    Pair,
    PairStatus,
    PhaseMark,
    PoorFitFlag,
    Profile,
    Role,
    RoundState,
    User,
)
from spread.models.base import utcnow
from spread.models.dialogue import PHASE_COUNT
from spread.services import audit
from spread.services.mail import send_mail
from spread.services.pairs import PAIR_FIELDS, release_places
from spread.services.phase_guides import current_guide

logger = logging.getLogger(__name__)

SIDES = ("giver", "taker")
EVALUATION_PHASE = PHASE_COUNT
FLAG_AFTER_PHASE = 2


# --- opening ---------------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def today() -> date:
    """Today's date (UTC), the default for every date check."""
    return utcnow().date()


def dialogue_of_pair(pair: Pair) -> Dialogue | None:
    """The dialogue of a pair, if it has one."""
    return db.session.scalar(select(Dialogue).where(Dialogue.pair_id == pair.id))


def open_dialogue(pair: Pair, published_on: date | None = None) -> Dialogue:
    """Open the dialogue of an approved pair on the current guide (once; returns the existing)."""
    existing = dialogue_of_pair(pair)
    if existing is not None:
        return existing
    months = int(current_app.config.get("DIALOGUE_FOLLOWUP_MONTHS", 6))
    start = pair.round.internship_end or published_on or today()
    dialogue = Dialogue(pair_id=pair.id, guide_id=current_guide().id,
                        followup_due=add_months(start, months), last_activity_at=utcnow())
    db.session.add(dialogue)
    db.session.flush()
    return dialogue


# --- who is who ------------------------------------------------------------------------------

def profile_of(dialogue: Dialogue, side: str) -> Profile:
    """The giver's or the taker's profile."""
    return dialogue.pair.giver if side == "giver" else dialogue.pair.taker


def owner_of(dialogue: Dialogue, side: str) -> User:
    """The person behind one side."""
    return profile_of(dialogue, side).owner


def side_of(dialogue: Dialogue, user: User | None) -> str | None:
    """'giver' or 'taker' when ``user`` owns that side's profile (the giver's if both), else None.

    Coordinators and admins read every dialogue but act for neither side unless they own one.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    for side in SIDES:
        if profile_of(dialogue, side).owner_id == user.id:
            return side
    return None


def can_read(dialogue: Dialogue, user: User) -> bool:
    """Participants of the pairing, coordinators and admins."""
    return user.is_coordinator or side_of(dialogue, user) is not None


def dialogues_of_user(user: User) -> list[Dialogue]:
    """Dialogues where the user owns one side, newest first."""
    own = select(Profile.id).where(Profile.owner_id == user.id)
    return list(db.session.scalars(
        select(Dialogue).join(Pair, Dialogue.pair_id == Pair.id)
        .where(or_(Pair.giver_id.in_(own), Pair.taker_id.in_(own)))
        .order_by(Dialogue.id.desc())))


# --- state -----------------------------------------------------------------------------------

def phase_definition(dialogue: Dialogue, phase: int) -> dict:
    """The guide's definition of one phase, as the dialogue's guide version has it."""
    return dialogue.guide.phases[phase - 1]


def marks(dialogue: Dialogue) -> dict[tuple[int, str], PhaseMark]:
    """(phase, side) → mark."""
    return {(m.phase, m.side): m for m in dialogue.marks}


def is_complete(dialogue: Dialogue, phase: int, marked: dict | None = None) -> bool:
    """Both sides marked the phase done."""
    marked = marks(dialogue) if marked is None else marked
    return all((phase, side) in marked for side in SIDES)


def is_open(dialogue: Dialogue, phase: int, marked: dict | None = None) -> bool:
    """Phase 1 is always open; phase n once phase n-1 is complete, or all when working ahead."""
    return phase == 1 or dialogue.work_ahead or is_complete(dialogue, phase - 1, marked)


def current_phase(dialogue: Dialogue) -> int | None:
    """The first phase not complete yet; None when all six are."""
    marked = marks(dialogue)
    for phase in range(1, PHASE_COUNT + 1):
        if not is_complete(dialogue, phase, marked):
            return phase
    return None


def evaluation_open(dialogue: Dialogue) -> bool:
    """Open when phase 6 is complete or the round is closed."""
    return (is_complete(dialogue, EVALUATION_PHASE)
            or dialogue.pair.round.state == RoundState.CLOSED.value)


def followup_open(dialogue: Dialogue, on: date | None = None) -> bool:
    """Open on and after the follow-up date."""
    return dialogue.followup_due is not None and (on or today()) >= dialogue.followup_due


def evaluation_of(dialogue: Dialogue, side: str) -> Evaluation | None:
    """One side's evaluation."""
    return db.session.scalar(select(Evaluation).where(
        Evaluation.dialogue_id == dialogue.id, Evaluation.side == side))


def follow_up_of(dialogue: Dialogue, side: str) -> FollowUp | None:
    """One side's follow-up report."""
    return db.session.scalar(select(FollowUp).where(
        FollowUp.dialogue_id == dialogue.id, FollowUp.side == side))


# --- writes ----------------------------------------------------------------------------------

def _touch(dialogue: Dialogue) -> None:
    dialogue.last_activity_at = utcnow()


def _require_active(dialogue: Dialogue) -> None:
    if dialogue.closed_at is not None:
        raise ValidationError({"_schema": ["This dialogue is closed."]})


def _require_phase_open(dialogue: Dialogue, phase: int, field: str = "phase") -> None:
    if not 1 <= phase <= PHASE_COUNT:
        raise ValidationError({field: [f"Choose a phase from 1 to {PHASE_COUNT}."]})
    if not is_open(dialogue, phase):
        raise ValidationError({field: [
            (f"Phase {phase} is locked: both sides must mark phase {phase - 1} done first, "
            f"or choose to work ahead.")]})


def _check_next_actions(actions: list[dict], on: date) -> None:
    errors = {i: {"due": ["The due date is in the past."]}
              for i, action in enumerate(actions) if action["due"] < on}
    if errors:
        raise ValidationError({"next_actions": errors})


def create_entry(dialogue: Dialogue, side: str, author: User, data: dict,
                 on: date | None = None) -> LogEntry:
    """Log what one side did at a phase, with decisions, links and next actions."""
    _require_active(dialogue)
    _require_phase_open(dialogue, data["phase"])
    _check_next_actions(data.get("next_actions", []), on or today())
    entry = LogEntry(dialogue_id=dialogue.id, phase=data["phase"], side=side,
                     author_id=author.id, note=data["note"], decisions=data.get("decisions", ""),
                     links=list(data.get("links", [])))
    entry.next_actions = [NextAction(description=a["description"], owner=a["owner"],
                                     due=a["due"]) for a in data.get("next_actions", [])]
    db.session.add(entry)
    _touch(dialogue)
    db.session.flush()
    db.session.refresh(dialogue, ["entries"])
    return entry


def update_entry(entry: LogEntry, author: User, data: dict) -> LogEntry:
    """The author edits an entry; the old text is kept as a revision."""
    dialogue = db.session.get(Dialogue, entry.dialogue_id)
    _require_active(dialogue)
    if entry.author_id != author.id:
        raise PermissionError("Only the author edits an entry.")
    changed = {k: v for k, v in data.items() if getattr(entry, k) != v}
    if not changed:
        return entry
    entry.revisions.append(LogEntryRevision(note=entry.note, decisions=entry.decisions,
                                            links=list(entry.links)))
    for key, value in changed.items():
        setattr(entry, key, list(value) if key == "links" else value)
    _touch(dialogue)
    db.session.flush()
    return entry


def set_next_action_done(action: NextAction, done: bool) -> NextAction:
    """Mark a next action done, or open again."""
    dialogue = db.session.get(Dialogue, action.entry.dialogue_id)
    _require_active(dialogue)
    if done and action.done_at is None:
        action.done_at = utcnow()
    elif not done:
        action.done_at = None
    _touch(dialogue)
    db.session.flush()
    return action


def tick(dialogue: Dialogue, side: str, phase: int, action: int, done: bool,
         actor: User) -> None:
    """Tick (or untick) one of the side's recommended actions of an open phase."""
    _require_active(dialogue)
    _require_phase_open(dialogue, phase)
    actions = phase_definition(dialogue, phase)[f"{side}_actions"]
    if not 0 <= action < len(actions):
        raise ValidationError({"action": [
            (f"Phase {phase} has {len(actions)} actions for the {side}: use 0 to "
            f"{len(actions) - 1}.")]})
    where = (ActionTick.dialogue_id == dialogue.id, ActionTick.phase == phase,
             ActionTick.side == side, ActionTick.action == action)
    existing = db.session.scalar(select(ActionTick).where(*where))
    if done and existing is None:
        db.session.add(ActionTick(dialogue_id=dialogue.id, phase=phase, side=side, action=action,
                                  ticked_by_id=actor.id))
    elif not done and existing is not None:
        db.session.execute(delete(ActionTick).where(*where))
    _touch(dialogue)
    db.session.flush()


def mark_done(dialogue: Dialogue, side: str, phase: int, actor: User) -> PhaseMark:
    """Mark an open phase done for one side; the phase is complete when both have."""
    _require_active(dialogue)
    _require_phase_open(dialogue, phase)
    if (phase, side) in marks(dialogue):
        raise ValidationError({"phase": [f"Phase {phase} is already marked done by the {side}."]})
    mark = PhaseMark(dialogue_id=dialogue.id, phase=phase, side=side, marked_by_id=actor.id)
    dialogue.marks.append(mark)
    _touch(dialogue)
    db.session.flush()
    return mark


def set_work_ahead(dialogue: Dialogue, enabled: bool) -> Dialogue:
    """Open all phases at once (or go back to one phase at a time)."""
    _require_active(dialogue)
    dialogue.work_ahead = enabled
    _touch(dialogue)
    db.session.flush()
    return dialogue


def coordinators() -> list[User]:
    """Active coordinators (and admins when there are none) to tell about problems."""
    found = list(db.session.scalars(select(User).where(
        User.role == Role.COORDINATOR.value, User.active.is_(True)).order_by(User.id)))
    return found or list(db.session.scalars(select(User).where(
        User.role == Role.ADMIN.value, User.active.is_(True)).order_by(User.id)))


def dialogue_url(dialogue: Dialogue) -> str:
    """The dialogue's page, for emails."""
    return f"{current_app.config['PUBLIC_URL']}/dialogues/{dialogue.id}"


def locale_of(user: User) -> str:
    """The language to write to a user in."""
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def flag_poor_fit(dialogue: Dialogue, side: str, actor: User, reason: str) -> PoorFitFlag:
    """Tell the coordinators the pairing does not work (after phase 2 is complete)."""
    _require_active(dialogue)
    if not is_complete(dialogue, FLAG_AFTER_PHASE):
        raise ValidationError({"_schema": [
            (f"A poor fit can be flagged once both sides have completed phase "
            f"{FLAG_AFTER_PHASE}.")]})
    if not reason or not reason.strip():
        raise ValidationError({"reason": ["Say why the pairing does not work."]})
    if db.session.scalar(select(PoorFitFlag.id).where(
            PoorFitFlag.dialogue_id == dialogue.id, PoorFitFlag.side == side,
            PoorFitFlag.resolved_at.is_(None))) is not None:
        raise ValidationError({"_schema": ["Your side has flagged this pairing already."]})
    flag = PoorFitFlag(dialogue_id=dialogue.id, side=side, reason=reason.strip(),
                       raised_by_id=actor.id)
    db.session.add(flag)
    _touch(dialogue)
    db.session.flush()
    pair = dialogue.pair
    for coordinator in coordinators():
        with force_locale(locale_of(coordinator)):
            subject = _("A pairing in %(round)s is flagged as a poor fit", round=pair.round.name)
            body = render_template("mail/poor_fit_flagged.txt", coordinator=coordinator,
                                   dialogue=dialogue, pair=pair, flag=flag, actor=actor,
                                   url=dialogue_url(dialogue))
        send_mail(coordinator.email, subject, body, kind="poor_fit",
                  key=f"poorfit:{flag.id}:{coordinator.id}")
    logger.info("dialogue %s flagged as poor fit by the %s", dialogue.id, side)
    return flag


def close_for_repairing(dialogue: Dialogue, actor: User, reason: str) -> Dialogue:
    """A coordinator closes a pairing that does not work: the pair is closed, places freed.

    After publishing a pair cannot be rejected (that is a review decision); it is closed
    instead, and its dialogue with it, so the coordinator can pair the profiles again.
    """
    if dialogue.closed_at is not None:
        raise ValidationError({"_schema": ["This dialogue is closed already."]})
    if not reason or not reason.strip():
        raise ValidationError({"reason": ["Give a reason for closing the pairing."]})
    reason = reason.strip()
    pair = dialogue.pair
    before = audit.snapshot(pair, PAIR_FIELDS)
    release_places(pair)
    pair.status = PairStatus.CLOSED.value
    pair.decided_by_id, pair.decided_at, pair.decision_reason = actor.id, utcnow(), reason
    now = utcnow()
    dialogue.closed_at, dialogue.closed_reason = now, reason
    for flag in db.session.scalars(select(PoorFitFlag).where(
            PoorFitFlag.dialogue_id == dialogue.id, PoorFitFlag.resolved_at.is_(None))):
        flag.resolved_at, flag.resolution = now, reason
    _touch(dialogue)
    db.session.flush()
    audit.record("pair.closed", actor, pair=pair, before=before,
                 after=audit.snapshot(pair, PAIR_FIELDS), reason=reason)
    logger.info("dialogue %s closed by user %s", dialogue.id, actor.id)
    return dialogue


def evaluate(dialogue: Dialogue, side: str, author: User, data: dict) -> Evaluation:
    """One side rates the internship, once."""
    _require_active(dialogue)
    if not evaluation_open(dialogue):
        raise ValidationError({"_schema": [
            ("The evaluation is not open yet: it opens when both sides have completed phase 6 "
            "or the round is closed.")]})
    if evaluation_of(dialogue, side) is not None:
        raise ValidationError({"_schema": [f"The {side} has evaluated this internship already."]})
    evaluation = Evaluation(dialogue_id=dialogue.id, side=side, author_id=author.id, **data)
    db.session.add(evaluation)
    _touch(dialogue)
    db.session.flush()
    return evaluation


def follow_up(dialogue: Dialogue, side: str, author: User, data: dict,
              on: date | None = None) -> FollowUp:
    """One side's follow-up report, once, on or after the follow-up date."""
    _require_active(dialogue)
    if not followup_open(dialogue, on):
        due = dialogue.followup_due.isoformat() if dialogue.followup_due else "—"
        raise ValidationError({"_schema": [f"The follow-up is not open yet: it opens on {due}."]})
    if follow_up_of(dialogue, side) is not None:
        raise ValidationError({"_schema": [f"The {side} has reported the follow-up already."]})
    errors: dict[str, list[str]] = {}
    explanation = data.get("explanation") or ""
    if side == "taker":
        if data.get("adoption") is None:
            errors["adoption"] = ["Say what became of the innovation."]
        elif data["adoption"] == Adoption.NOT_ADOPTED.value and not explanation:
            errors["explanation"] = ["Explain why the innovation was not adopted."]
        if data.get("improved_original") is not None:
            errors["improved_original"] = ["Only the giver reports on the original."]
    else:
        if data.get("improved_original") is None:
            errors["improved_original"] = ["Say whether you improved your own solution."]
        if data.get("adoption") is not None:
            errors["adoption"] = ["Only the taker reports on adoption."]
    if errors:
        raise ValidationError(errors)
    report = FollowUp(dialogue_id=dialogue.id, side=side, author_id=author.id,
                      adoption=data.get("adoption"),
                      improved_original=data.get("improved_original"), explanation=explanation)
    db.session.add(report)
    _touch(dialogue)
    db.session.flush()
    return report
