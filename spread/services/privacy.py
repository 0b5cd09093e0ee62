"""GDPR: everything spread holds about a person as JSON, and deleting (anonymising) an account.

Deletion keeps the user row as a tombstone ("Deleted user", an address at ``.invalid``, no
password, no tokens) so that the audit log and the anonymous statistics keep their references.
Free text the person wrote is erased; numbers, categories and dates stay, so the dialogue
statistics and the round dashboards count exactly what they counted before. Profiles are
archived and emptied; enrolments in rounds not yet published are withdrawn.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import delete, func, inspect, or_, select

from spread.extensions import db
from spread.models import (
    ActionTick,
    AuditEvent,
    BannedPair,
    Dialogue,
    Enrolment,
    Evaluation,
    FollowUp,
    Interest,
    LogEntry,
    LogEntryRevision,
    MatchModel,
    NextAction,
    Organisation,
    OutboxMessage,
    Pair,
    PairingRun,
    PairStatus,
    PhaseGuide,
    PhaseMark,
    PoorFitFlag,
    Profile,
    Role,
    Round,
    RoundState,
    User,
)
from spread.models.base import utcnow
from spread.models.matching_state import bump_profiles_version
from spread.schemas.messages import N_
from spread.services import audit
from spread.services.listing import contains
from spread.services.pairs import release_places
from spread.services.users import set_role

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "spread-personal-data"
EXPORT_VERSION = 1
DELETED_NAME = "Deleted user"
DELETED_PROFILE_TITLE = "Deleted profile"
UNUSABLE_PASSWORD = "!deleted"  # not a werkzeug hash: no password ever matches it
REDACTED = "[deleted]"
MIN_REDACTED_LENGTH = 3  # shorter texts would blank out parts of ordinary words
WITHDRAWN_REASON = "account deleted"
# Rounds whose pairs are not yet published: a deleted person's enrolments there are withdrawn.
UNPUBLISHED_STATES = (RoundState.DRAFT.value, RoundState.OPEN.value, RoundState.PAIRING.value,
                      RoundState.REVIEW.value)
PROFILE_TEXT_FIELDS = ("description", "problem", "outcomes", "hopes")
SIDES = ("giver", "taker")
LAST_ADMIN = N_("This is the last admin account: make another account admin first.")
WRONG_PASSWORD = N_("Wrong password.")
DELETED_ACCOUNT = N_("This account is deleted.")

# Every table with a foreign key to users.id or profiles.id, and the export section holding
# its rows; tests check this against the models, so a new reference cannot be forgotten.
EXPORTED_TABLES = (
    "api_tokens", "organisations", "profiles", "rounds", "enrolments", "interests", "pairs",
    "banned_pairs", "pairing_runs", "match_models", "phase_guides", "dialogues", "phase_marks", "action_ticks",
    "log_entries", "log_entry_revisions", "next_actions", "poor_fit_flags", "evaluations",
    "follow_ups", "audit_events", "outbox_messages",
)
# Tables whose rows are exported inside their profile rather than as a section of their own.
NESTED_IN_PROFILES = ("profile_sectors", "profile_target_groups")


# --- export ----------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def row_data(obj: Any) -> dict:
    """Every column of a row as JSON-ready data, except secrets (columns ending in ``_hash``)."""
    return {attr.key: _plain(getattr(obj, attr.key))
            for attr in inspect(obj).mapper.column_attrs if not attr.key.endswith("_hash")}


def _rows(objects: Iterable[Any]) -> list[dict]:
    unique = {obj.id: obj for obj in objects}
    return [row_data(unique[key]) for key in sorted(unique)]


def _all(query) -> list:
    return list(db.session.scalars(query))


def _profile_data(profile: Profile) -> dict:
    return {**row_data(profile), "sectors": profile.sectors,
            "target_groups": profile.target_groups}


def _dialogues_of(user: User, profile_ids: list[int]) -> list[Dialogue]:
    """Dialogues of the person's pairs and those where they marked, ticked, wrote or flagged."""
    touched = or_(
        Dialogue.pair_id.in_(select(Pair.id).where(
            or_(Pair.taker_id.in_(profile_ids), Pair.giver_id.in_(profile_ids)))),
        Dialogue.id.in_(select(PhaseMark.dialogue_id).where(PhaseMark.marked_by_id == user.id)),
        Dialogue.id.in_(select(ActionTick.dialogue_id).where(ActionTick.ticked_by_id == user.id)),
        Dialogue.id.in_(select(LogEntry.dialogue_id).where(LogEntry.author_id == user.id)),
        Dialogue.id.in_(select(PoorFitFlag.dialogue_id).where(
            PoorFitFlag.raised_by_id == user.id)),
        Dialogue.id.in_(select(Evaluation.dialogue_id).where(Evaluation.author_id == user.id)),
        Dialogue.id.in_(select(FollowUp.dialogue_id).where(FollowUp.author_id == user.id)),
    )
    return _all(select(Dialogue).where(touched))


def export_user_data(user: User) -> dict:
    """All data spread holds about ``user``, as one JSON-ready dict (sections by table)."""
    profiles = _all(select(Profile).where(Profile.owner_id == user.id).order_by(Profile.id))
    ids = [p.id for p in profiles]
    of_profiles = (lambda *columns: or_(*(column.in_(ids) for column in columns)))
    enrolments = _all(select(Enrolment).where(
        or_(Enrolment.profile_id.in_(ids), Enrolment.enrolled_by_id == user.id)))
    interests = _all(select(Interest).where(
        or_(of_profiles(Interest.from_profile_id, Interest.to_profile_id),
            Interest.created_by_id == user.id)))
    pairs = _all(select(Pair).where(
        or_(of_profiles(Pair.taker_id, Pair.giver_id), Pair.decided_by_id == user.id)))
    banned = _all(select(BannedPair).where(
        or_(of_profiles(BannedPair.taker_id, BannedPair.giver_id),
            BannedPair.created_by_id == user.id)))
    round_ids = {row.round_id for row in (*enrolments, *interests, *pairs, *banned)}
    rounds = _all(select(Round).where(
        or_(Round.created_by_id == user.id, Round.id.in_(round_ids))))
    dialogues = _dialogues_of(user, ids)
    dialogue_ids = [d.id for d in dialogues]
    in_dialogues = (lambda model: _all(select(model).where(model.dialogue_id.in_(dialogue_ids))))
    entries = _all(select(LogEntry).where(
        or_(LogEntry.dialogue_id.in_(dialogue_ids), LogEntry.author_id == user.id)))
    entry_ids = [e.id for e in entries]
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": utcnow().isoformat(),
        "account": row_data(user),
        "api_tokens": _rows(user.tokens),
        "organisations": _rows(_all(select(Organisation).where(
            Organisation.created_by_id == user.id))),
        "profiles": [_profile_data(p) for p in profiles],
        "rounds": _rows(rounds),
        "enrolments": _rows(enrolments),
        "interests": _rows(interests),
        "pairs": _rows(pairs),
        "banned_pairs": _rows(banned),
        "pairing_runs": _rows(_all(select(PairingRun).where(
            PairingRun.started_by_id == user.id))),
        "match_models": _rows(_all(select(MatchModel).where(
            MatchModel.created_by_id == user.id))),
        "phase_guides": _rows(_all(select(PhaseGuide).where(
            PhaseGuide.created_by_id == user.id))),
        "dialogues": _rows(dialogues),
        "phase_marks": _rows(in_dialogues(PhaseMark)),
        "action_ticks": _rows(in_dialogues(ActionTick)),
        "log_entries": _rows(entries),
        "log_entry_revisions": _rows(_all(select(LogEntryRevision).where(
            LogEntryRevision.entry_id.in_(entry_ids)))),
        "next_actions": _rows(_all(select(NextAction).where(
            NextAction.entry_id.in_(entry_ids)))),
        "poor_fit_flags": _rows(in_dialogues(PoorFitFlag)),
        "evaluations": _rows(in_dialogues(Evaluation)),
        "follow_ups": _rows(in_dialogues(FollowUp)),
        "audit_events": _rows(_all(select(AuditEvent).where(AuditEvent.actor_id == user.id))),
        "outbox_messages": _rows(_all(select(OutboxMessage).where(
            OutboxMessage.to == user.email))),
    }


def export_filename(user: User) -> str:
    """The download name of an export."""
    return f"spread-data-user-{user.id}-{utcnow().date().isoformat()}.json"


# --- accounts for admins ---------------------------------------------------------------------

def user_query(q: str | None = None, include_deleted: bool = True):
    """Accounts whose name or email contains every word of ``q``, newest first."""
    query = select(User).order_by(User.created_at.desc(), User.id.desc())
    if not include_deleted:
        query = query.where(User.deleted_at.is_(None))
    for word in (q or "").split():
        query = query.where(or_(contains(User.name, word), contains(User.email, word)))
    return query


def active_admin_count(excluding: User | None = None) -> int:
    """Number of admin accounts that can still log in (optionally not counting one)."""
    query = select(func.count(User.id)).where(
        User.role == Role.ADMIN.value, User.active.is_(True), User.deleted_at.is_(None))
    if excluding is not None:
        query = query.where(User.id != excluding.id)
    return db.session.scalar(query) or 0


def _refuse_losing_last_admin(user: User) -> None:
    if user.is_admin and user.deleted_at is None and active_admin_count(excluding=user) == 0:
        raise ValidationError({"_schema": [LAST_ADMIN]})


def check_password(user: User, password: str) -> None:
    """Refuse (422 on the password field) unless ``password`` is the account's password."""
    if not user.check_password(password or ""):
        raise ValidationError({"password": [WRONG_PASSWORD]})


def change_role(user: User, role: Role, actor: User) -> User:
    """An admin changes an account's role; the last admin keeps theirs. Audited."""
    if user.deleted_at is not None:
        raise ValidationError({"role": [DELETED_ACCOUNT]})
    if user.role == role.value:
        return user
    if role is not Role.ADMIN:
        _refuse_losing_last_admin(user)
    before = user.role
    set_role(user, role)
    audit.record("user.role", actor, before={"user_id": user.id, "role": before},
                 after={"user_id": user.id, "role": role.value})
    return user


# --- deletion --------------------------------------------------------------------------------

def _withdraw_from_unpublished_rounds(profile_ids: list[int], actor: User) -> None:
    """Withdraw the profiles from rounds not yet published; their pairs there are rejected."""
    enrolments = _all(select(Enrolment).join(Round).where(
        Enrolment.profile_id.in_(profile_ids), Enrolment.withdrawn_at.is_(None),
        Round.state.in_(UNPUBLISHED_STATES)))
    now = utcnow()
    for enrolment in enrolments:
        pairs = _all(select(Pair).where(
            Pair.round_id == enrolment.round_id,
            Pair.status.in_((PairStatus.PROPOSED.value, PairStatus.APPROVED.value)),
            or_(Pair.taker_id == enrolment.profile_id, Pair.giver_id == enrolment.profile_id)))
        for pair in pairs:
            release_places(pair)
            pair.status = PairStatus.REJECTED.value
            pair.decision_reason = WITHDRAWN_REASON
            pair.decided_by_id, pair.decided_at = actor.id, now
        enrolment.withdrawn_at = now
        db.session.execute(delete(Interest).where(
            Interest.round_id == enrolment.round_id,
            or_(Interest.from_profile_id == enrolment.profile_id,
                Interest.to_profile_id == enrolment.profile_id)))
        audit.record("enrolment.withdrawn", actor, enrolment.round,
                     before={"profile_id": enrolment.profile_id}, reason=WITHDRAWN_REASON)
    db.session.flush()
    for enrolment in enrolments:
        db.session.refresh(enrolment)


def _anonymise_profiles(profiles: list[Profile]) -> list[str]:
    """Archive and empty the profiles; returns the texts removed (for redaction elsewhere)."""
    removed: list[str] = []
    now = utcnow()
    for profile in profiles:
        removed.append(profile.title)
        removed.extend(getattr(profile, name) or "" for name in PROFILE_TEXT_FIELDS)
        profile.title = DELETED_PROFILE_TITLE
        profile.description, profile.problem = "", ""
        profile.outcomes, profile.hopes = None, None
        profile.keywords = []
        profile.archived_at = profile.archived_at or now
    ids = [p.id for p in profiles]
    for pair in _all(select(Pair).where(or_(Pair.taker_id.in_(ids), Pair.giver_id.in_(ids)))):
        if pair.reasons and pair.reasons.get("shared_terms"):
            # The shared terms are words from the profile texts.
            pair.reasons = {**pair.reasons, "shared_terms": []}
    if profiles:
        bump_profiles_version()
    return removed


def _erase_dialogue_text(user: User) -> list[str]:
    """Erase the free text the person wrote in dialogues; returns the texts removed."""
    removed: list[str] = []
    entries = _all(select(LogEntry).where(LogEntry.author_id == user.id))
    for entry in entries:
        removed.extend((entry.note, entry.decisions, *(entry.links or [])))
        for revision in entry.revisions:
            removed.extend((revision.note, revision.decisions, *(revision.links or [])))
        entry.revisions = []
        entry.note, entry.decisions, entry.links = "", "", []
        for action in entry.next_actions:
            removed.append(action.description)
            action.description = ""
            if action.owner not in SIDES:  # a side is a category; anything else may be a name
                removed.append(action.owner)
                action.owner = ""
    for flag in _all(select(PoorFitFlag).where(PoorFitFlag.raised_by_id == user.id)):
        removed.append(flag.reason)
        flag.reason = ""
    for evaluation in _all(select(Evaluation).where(Evaluation.author_id == user.id)):
        removed.extend((evaluation.what_worked, evaluation.what_did_not))
        evaluation.what_worked, evaluation.what_did_not = "", ""
    for report in _all(select(FollowUp).where(FollowUp.author_id == user.id)):
        removed.append(report.explanation)
        report.explanation = ""
    return removed


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if len(secret) < MIN_REDACTED_LENGTH:
            continue
        text = re.sub(re.escape(secret), REDACTED, text, flags=re.IGNORECASE)
    return text


def _clean_outbox(email: str, secrets: list[str]) -> None:
    """Remove the person's mails; redact their name, address and texts in mails to others."""
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.to == email))
    # Longest first, so a text is redacted whole before any shorter text inside it.
    secrets = sorted({s.strip() for s in secrets if s and len(s.strip()) >= MIN_REDACTED_LENGTH},
                     key=len, reverse=True)
    if not secrets:
        return
    for message in _all(select(OutboxMessage)):
        subject, body = _redact(message.subject, secrets), _redact(message.body, secrets)
        if (subject, body) != (message.subject, message.body):
            message.subject, message.body = subject, body


def delete_account(user: User, actor: User, reason: str | None = None) -> User:
    """Anonymise ``user`` on their own or an admin's request; harmless when done already.

    Refuses (422) to delete the last admin. The person's tokens go, their mails leave the
    outbox, their profiles are archived and emptied, the free text they wrote is erased and
    their enrolments in rounds not yet published are withdrawn. The deletion is audited, with
    the admin's reason.
    """
    if user.deleted_at is not None:
        return user
    _refuse_losing_last_admin(user)
    secrets = [user.name, user.email]  # name and address first: the reason is redacted too
    profiles = _all(select(Profile).where(Profile.owner_id == user.id))
    _withdraw_from_unpublished_rounds([p.id for p in profiles], actor)
    secrets += _anonymise_profiles(profiles)
    secrets += _erase_dialogue_text(user)
    secrets += [token.name for token in user.tokens]
    _clean_outbox(user.email, secrets)
    user.tokens = []
    user.name = DELETED_NAME
    user.email = f"deleted-{user.id}@invalid"
    user.password_hash = UNUSABLE_PASSWORD
    user.locale = None
    user.role = Role.PARTICIPANT.value
    user.active = False
    user.deleted_at = utcnow()
    db.session.flush()
    reason = _redact(reason.strip(), secrets[:2]) if reason and reason.strip() else None
    audit.record("account.deleted", actor, after={"user_id": user.id}, reason=reason)
    logger.info("account %s deleted by user %s", user.id, actor.id)
    return user
