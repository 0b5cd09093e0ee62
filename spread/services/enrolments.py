"""Participants enrol their profiles in a round, withdraw them, and state interest in partners."""
from __future__ import annotations

import logging

from marshmallow import ValidationError
from sqlalchemy import and_, select

from spread.extensions import db
from spread.models import Enrolment, Interest, Pair, PairStatus, Profile, Round, RoundState, User
from spread.models.base import utcnow
from spread.schemas.messages import N_
from spread.services import audit

logger = logging.getLogger(__name__)

WITHDRAWABLE_STATES = (RoundState.OPEN.value, RoundState.PAIRING.value, RoundState.REVIEW.value)


def active_enrolment(round_: Round, profile: Profile) -> Enrolment | None:
    """The profile's enrolment in the round, unless withdrawn."""
    return db.session.scalar(select(Enrolment).where(
        Enrolment.round_id == round_.id, Enrolment.profile_id == profile.id,
        Enrolment.withdrawn_at.is_(None)))


def enrol(round_: Round, profile: Profile, actor: User, by_coordinator: bool = False) -> Enrolment:
    """Enrol a profile in a round that is open for registration (coordinators: until review)."""
    open_states = (RoundState.OPEN.value,) + (
        (RoundState.PAIRING.value, RoundState.REVIEW.value) if by_coordinator else ())
    if round_.state not in open_states:
        raise ValidationError({"round": [N_("The round is not open for registration.")]})
    if profile.archived:
        raise ValidationError({"profile_id": [N_("Archived profiles cannot be enrolled.")]})
    existing = db.session.scalar(select(Enrolment).where(
        Enrolment.round_id == round_.id, Enrolment.profile_id == profile.id))
    if existing is not None and existing.active:
        raise ValidationError({"profile_id": [N_("This profile is already enrolled in the round.")]})
    capacity = (profile.capacity or 1) if profile.is_giver else 1
    if existing is not None:
        existing.withdrawn_at = None
        existing.capacity = capacity
        enrolment = existing
    else:
        enrolment = Enrolment(round_id=round_.id, profile_id=profile.id, side=profile.side,
                              capacity=capacity, enrolled_by_id=actor.id)
        db.session.add(enrolment)
    db.session.flush()
    audit.record("enrolment.created", actor, round_, after={"profile_id": profile.id})
    return enrolment


def enrol_many(round_: Round, profiles: list[Profile], actor: User,
               by_coordinator: bool = False) -> list[tuple[int, str]]:
    """Enrol many profiles as :func:`enrol` does, with one query and one flush.

    Returns the problems as (position in ``profiles``, message) and writes nothing when there
    are any.
    """
    open_states = (RoundState.OPEN.value,) + (
        (RoundState.PAIRING.value, RoundState.REVIEW.value) if by_coordinator else ())
    if round_.state not in open_states:
        return [(i, N_("The round is not open for registration.")) for i in range(len(profiles))]
    existing = {e.profile_id: e for e in db.session.scalars(select(Enrolment).where(
        Enrolment.round_id == round_.id,
        Enrolment.profile_id.in_([p.id for p in profiles])))}
    problems = [(i, N_("Archived profiles cannot be enrolled.")) for i, p in enumerate(profiles)
                if p.archived]
    problems += [(i, N_("This profile is already enrolled in the round."))
                 for i, p in enumerate(profiles) if p.id in existing and existing[p.id].active]
    if problems:
        return sorted(problems)
    for profile in profiles:
        capacity = (profile.capacity or 1) if profile.is_giver else 1
        enrolment = existing.get(profile.id)
        if enrolment is not None:
            enrolment.withdrawn_at, enrolment.capacity = None, capacity
        else:
            db.session.add(Enrolment(round_id=round_.id, profile_id=profile.id,
                                     side=profile.side, capacity=capacity,
                                     enrolled_by_id=actor.id))
        audit.record("enrolment.created", actor, round_, after={"profile_id": profile.id})
    db.session.flush()
    return []


def withdraw(round_: Round, profile: Profile, actor: User) -> Enrolment:
    """Withdraw a profile before the round is published; its proposed pairs go with it."""
    if round_.state not in WITHDRAWABLE_STATES:
        raise ValidationError({"round": [N_("Enrolments can only be withdrawn before publishing.")]})
    enrolment = active_enrolment(round_, profile)
    if enrolment is None:
        raise ValidationError({"profile_id": [N_("This profile is not enrolled in the round.")]})
    if enrolment.approved:
        raise ValidationError({"profile_id": [N_("This profile has an approved pair; ask the coordinator to reject it first.")]})
    enrolment.withdrawn_at = utcnow()
    for pair in db.session.scalars(select(Pair).where(
            Pair.round_id == round_.id, Pair.status == PairStatus.PROPOSED.value,
            (Pair.taker_id == profile.id) | (Pair.giver_id == profile.id))):
        pair.status = PairStatus.REJECTED.value
        pair.decision_reason = "withdrawn"
    db.session.flush()
    audit.record("enrolment.withdrawn", actor, round_, before={"profile_id": profile.id})
    return enrolment


def express_interest(round_: Round, from_profile: Profile, to_profile: Profile,
                     actor: User) -> Interest:
    """Record that ``from_profile`` would like to be paired with ``to_profile`` in the round."""
    if round_.state not in WITHDRAWABLE_STATES:
        raise ValidationError({"round": [N_("Interest can only be stated before publishing.")]})
    if from_profile.side == to_profile.side:
        raise ValidationError({"to_profile_id": [N_("Choose a partner on the other side.")]})
    if from_profile.organisation_id == to_profile.organisation_id:
        raise ValidationError({"to_profile_id": [N_("Partners must be from another organisation.")]})
    if active_enrolment(round_, from_profile) is None:
        raise ValidationError({"from_profile_id": [N_("Enrol this profile in the round first.")]})
    if active_enrolment(round_, to_profile) is None:
        raise ValidationError({"to_profile_id": [N_("That profile is not enrolled in the round.")]})
    existing = db.session.scalar(select(Interest).where(
        Interest.round_id == round_.id, Interest.from_profile_id == from_profile.id,
        Interest.to_profile_id == to_profile.id))
    if existing is not None:
        return existing
    interest = Interest(round_id=round_.id, from_profile_id=from_profile.id,
                        to_profile_id=to_profile.id, created_by_id=actor.id)
    db.session.add(interest)
    db.session.flush()
    return interest


def withdraw_interest(interest: Interest) -> None:
    """Take back a statement of interest."""
    db.session.delete(interest)
    db.session.flush()


def interest_pairs(round_id: int) -> set[tuple[int, int]]:
    """All (from_profile_id, to_profile_id) interests of a round."""
    rows = db.session.execute(select(Interest.from_profile_id, Interest.to_profile_id)
                              .where(Interest.round_id == round_id))
    return {(a, b) for a, b in rows}


def is_mutual(interests: set[tuple[int, int]], a: int, b: int) -> bool:
    """Whether both profiles stated interest in each other."""
    return (a, b) in interests and (b, a) in interests


def enrolled_profiles(round_id: int, side: str | None = None) -> list[tuple[Enrolment, Profile]]:
    """Active enrolments of a round with their profiles, by profile id."""
    query = (select(Enrolment, Profile)
             .join(Profile, and_(Profile.id == Enrolment.profile_id))
             .where(Enrolment.round_id == round_id, Enrolment.withdrawn_at.is_(None))
             .order_by(Profile.id))
    if side:
        query = query.where(Enrolment.side == side)
    return [(e, p) for e, p in db.session.execute(query)]
