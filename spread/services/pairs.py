"""Coordinators' decisions on pairs: approve, reject, swap, pair by hand, ban.

A giver's capacity and a taker's single place are guarded by conditional updates of the
enrolment counters (``approved < capacity``) inside the deciding transaction, so two
coordinators acting at the same moment can never overfill a giver or approve a taker twice;
a partial unique index on approved pairs guards the taker as well. Pairs carry a version:
a decision made on an old version is refused with a "changed by someone else" conflict.
"""
from __future__ import annotations

import logging

from marshmallow import ValidationError
from sqlalchemy import select, update

from spread.extensions import db
from spread.matchmaking.adapter import profile_to_matching
from spread.matchmaking.store import current_fitted_model
from spread.models import BannedPair, Enrolment, Pair, PairStatus, Profile, Round, RoundState, User
from spread.models.base import utcnow
from spread.schemas.messages import N_
from spread.services import audit
from spread.services.enrolments import active_enrolment
from spread.services.errors import ConflictError
from spread.services.rounds import check_version

logger = logging.getLogger(__name__)

PAIR_FIELDS = ("taker_id", "giver_id", "status", "score", "decision_reason")
DECIDING_STATES = (RoundState.PAIRING.value, RoundState.REVIEW.value)


def _require_deciding(round_: Round) -> None:
    if round_.state not in DECIDING_STATES:
        raise ValidationError({"round": ["Pairs can only be changed while the round is in "
                                         "pairing or review."]})


def _take_place(round_id: int, profile_id: int) -> bool:
    result = db.session.execute(
        update(Enrolment)
        .where(Enrolment.round_id == round_id, Enrolment.profile_id == profile_id,
               Enrolment.withdrawn_at.is_(None), Enrolment.approved < Enrolment.capacity)
        .values(approved=Enrolment.approved + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_places(pair: Pair) -> None:
    """Give both sides of an approved pair their places back (before it stops being approved)."""
    if pair.status == PairStatus.APPROVED.value:
        _release_place(pair.round_id, pair.taker_id)
        _release_place(pair.round_id, pair.giver_id)


def _release_place(round_id: int, profile_id: int) -> None:
    db.session.execute(
        update(Enrolment)
        .where(Enrolment.round_id == round_id, Enrolment.profile_id == profile_id,
               Enrolment.approved > 0)
        .values(approved=Enrolment.approved - 1)
        .execution_options(synchronize_session=False)
    )


def approve(pair: Pair, actor: User, version: int | None = None) -> Pair:
    """Approve a proposed pair if the taker is free and the giver has room."""
    # Lock the pair and read it afresh: a decision on it that committed meanwhile is then
    # seen here (a stale version, or no longer proposed) rather than surfacing as the
    # taker's place being taken.
    db.session.refresh(pair, with_for_update=True)
    check_version(pair, version)
    _require_deciding(pair.round)
    if pair.status != PairStatus.PROPOSED.value:
        raise ValidationError({"status": [f"Only proposed pairs can be approved; this one is "
                                          f"{pair.status}."]})
    before = audit.snapshot(pair, PAIR_FIELDS)
    if not _take_place(pair.round_id, pair.taker_id):
        raise ConflictError(N_("The taker already has an approved pair in this round."))
    if not _take_place(pair.round_id, pair.giver_id):
        raise ConflictError(N_("The giver has no room left: its capacity is taken."))
    pair.status = PairStatus.APPROVED.value
    pair.decided_by_id, pair.decided_at, pair.decision_reason = actor.id, utcnow(), None
    db.session.flush()
    audit.record("pair.approved", actor, pair=pair, before=before,
                 after=audit.snapshot(pair, PAIR_FIELDS))
    return pair


def reject(pair: Pair, actor: User, reason: str, version: int | None = None,
           action: str = "pair.rejected") -> Pair:
    """Reject a proposed or approved pair, with the reason; an approval frees its places."""
    check_version(pair, version)
    _require_deciding(pair.round)
    if pair.status not in (PairStatus.PROPOSED.value, PairStatus.APPROVED.value):
        raise ValidationError({"status": [f"This pair is {pair.status} already."]})
    if not reason or not reason.strip():
        raise ValidationError({"reason": [N_("Give a reason for the rejection.")]})
    before = audit.snapshot(pair, PAIR_FIELDS)
    release_places(pair)
    pair.status = PairStatus.REJECTED.value
    pair.decided_by_id, pair.decided_at, pair.decision_reason = actor.id, utcnow(), reason.strip()
    db.session.flush()
    audit.record(action, actor, pair=pair, before=before,
                 after=audit.snapshot(pair, PAIR_FIELDS), reason=reason.strip())
    return pair


def _check_can_pair(round_: Round, taker: Profile, giver: Profile) -> None:
    errors: dict[str, list[str]] = {}
    if taker.side != "taker":
        errors["taker_id"] = [N_("This profile is not a taker.")]
    if giver.side != "giver":
        errors["giver_id"] = [N_("This profile is not a giver.")]
    if not errors and taker.organisation_id == giver.organisation_id:
        errors["giver_id"] = [N_("A taker cannot be paired with its own organisation.")]
    for key, profile in (("taker_id", taker), ("giver_id", giver)):
        if key not in errors and active_enrolment(round_, profile) is None:
            errors[key] = [N_("This profile is not enrolled in the round.")]
    if not errors and is_banned(round_.id, taker.id, giver.id):
        errors["giver_id"] = [N_("This pair is banned in this round.")]
    if errors:
        raise ValidationError(errors)


def is_banned(round_id: int, taker_id: int, giver_id: int) -> bool:
    """Whether a coordinator banned this pair in the round."""
    return db.session.scalar(select(BannedPair.id).where(
        BannedPair.round_id == round_id, BannedPair.taker_id == taker_id,
        BannedPair.giver_id == giver_id)) is not None


def score_pair(taker: Profile, giver: Profile) -> tuple[float, dict]:
    """The current fitted model's score and reasons for one pair (as a pairing run scores)."""
    model = current_fitted_model().model
    taker_dict, giver_dict = profile_to_matching(taker), profile_to_matching(giver)
    reasons = model.explain(taker_dict, giver_dict)
    return float(reasons["score"]), reasons


def propose(round_: Round, taker: Profile, giver: Profile, actor: User | None, source: str,
            score: float | None = None, reasons: dict | None = None) -> Pair:
    """Add a proposed pair (by hand or from a run), with its score and reasons."""
    if score is None or reasons is None:
        score, reasons = score_pair(taker, giver)
    pair = Pair(round_id=round_.id, taker_id=taker.id, giver_id=giver.id, score=score,
                reasons=reasons, status=PairStatus.PROPOSED.value, source=source)
    db.session.add(pair)
    db.session.flush()
    return pair


def pair_by_hand(round_: Round, taker: Profile, giver: Profile, actor: User) -> Pair:
    """A coordinator pairs two enrolled profiles by hand (proposed, to approve as usual)."""
    _require_deciding(round_)
    _check_can_pair(round_, taker, giver)
    pair = propose(round_, taker, giver, actor, source="manual")
    audit.record("pair.manual", actor, pair=pair, after=audit.snapshot(pair, PAIR_FIELDS))
    return pair


def swap(first: Pair, second: Pair, actor: User, versions: tuple[int | None, int | None]
         = (None, None)) -> tuple[Pair, Pair]:
    """Swap the givers of two pairs of one round: both are replaced by new proposed pairs."""
    if first.id == second.id or first.round_id != second.round_id:
        raise ValidationError({"other_pair_id": [N_("Choose another pair of the same round.")]})
    check_version(first, versions[0])
    check_version(second, versions[1])
    round_ = first.round
    _check_can_pair(round_, first.taker, second.giver)
    _check_can_pair(round_, second.taker, first.giver)
    reason = f"swapped (pairs {first.id} and {second.id})"
    reject(first, actor, reason, action="pair.swapped")
    reject(second, actor, reason, action="pair.swapped")
    new_first = propose(round_, first.taker, second.giver, actor, source="swap")
    new_second = propose(round_, second.taker, first.giver, actor, source="swap")
    for pair in (new_first, new_second):
        audit.record("pair.manual", actor, pair=pair, after=audit.snapshot(pair, PAIR_FIELDS),
                     reason=reason)
    return new_first, new_second


def ban(round_: Round, taker: Profile, giver: Profile, actor: User, reason: str) -> BannedPair:
    """Rule a pair out of the round; any open proposal or approval of it is rejected."""
    _require_deciding(round_)
    if not reason or not reason.strip():
        raise ValidationError({"reason": [N_("Give a reason for the ban.")]})
    if taker.side != "taker" or giver.side != "giver":
        raise ValidationError({"giver_id": [N_("Ban a taker together with a giver.")]})
    if is_banned(round_.id, taker.id, giver.id):
        raise ValidationError({"giver_id": [N_("This pair is banned already.")]})
    banned = BannedPair(round_id=round_.id, taker_id=taker.id, giver_id=giver.id,
                        reason=reason.strip(), created_by_id=actor.id)
    db.session.add(banned)
    for pair in db.session.scalars(select(Pair).where(
            Pair.round_id == round_.id, Pair.taker_id == taker.id, Pair.giver_id == giver.id,
            Pair.status.in_((PairStatus.PROPOSED.value, PairStatus.APPROVED.value)))):
        reject(pair, actor, f"banned: {reason.strip()}")
    db.session.flush()
    audit.record("pair.banned", actor, round_, after={"taker_id": taker.id, "giver_id": giver.id},
                 reason=reason.strip())
    return banned
