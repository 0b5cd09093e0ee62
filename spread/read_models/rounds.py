"""Page data of a round: the coordinator's counts, a participant's view, runs, review choices."""
from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from spread import labels
from spread.extensions import db
from spread.models import (
    Enrolment,
    Interest,
    OutboxMessage,
    Pair,
    PairingRun,
    PairStatus,
    Profile,
    Round,
    RoundState,
    User,
)
from spread.models.round import LEGAL_TRANSITIONS
from spread.services import enrolments, pairing_runs, publishing
from spread.services.listing import paginate
from spread.services.review import PAIR_LOADING
from spread.services.rounds import round_query

ACTIVE_PAIR_STATES = (PairStatus.PROPOSED.value, PairStatus.APPROVED.value)


def visible_rounds(user: User) -> list[Round]:
    """The rounds a user may list: coordinators all, participants all past draft."""
    query = round_query()
    if not user.is_coordinator:
        query = query.where(Round.state != RoundState.DRAFT.value)
    return list(db.session.scalars(query))


def recent_runs(round_id: int, limit: int) -> list[PairingRun]:
    """A round's latest pairing runs, newest first."""
    return list(db.session.scalars(select(PairingRun).where(PairingRun.round_id == round_id)
                                   .order_by(PairingRun.id.desc()).limit(limit)))


def coordination(round_: Round) -> dict:
    """What the coordinator sees on a round: next states, counts, latest runs."""
    sides = dict(db.session.execute(
        select(Enrolment.side, func.count())
        .where(Enrolment.round_id == round_.id, Enrolment.withdrawn_at.is_(None))
        .group_by(Enrolment.side)).all())
    by_status = dict(db.session.execute(
        select(Pair.status, func.count()).where(Pair.round_id == round_.id)
        .group_by(Pair.status)).all())
    interests = enrolments.interest_pairs(round_.id)
    return {
        "transitions": [
            (state, labels.ROUND_TRANSITIONS.get((round_.state, state),
                                                 labels.ROUND_STATES[state]))
            for state in LEGAL_TRANSITIONS.get(round_.state, ())],
        "givers": sides.get("giver", 0),
        "takers": sides.get("taker", 0),
        "pairs": {status: by_status.get(status, 0) for status in labels.PAIR_STATUSES},
        "interests": len(interests),
        "mutual": sum(1 for a, b in interests if (b, a) in interests) // 2,
        "runs": recent_runs(round_.id, 5),
    }


def _partners(profile: Profile, everyone: list[Profile], own_ids: set[int],
              own_interests: dict, interests: set) -> list[dict]:
    """The enrolled profiles a participant's profile may state interest in."""
    return [{
        "profile": other,
        "interest": own_interests.get((profile.id, other.id)),
        "theirs": (other.id, profile.id) in interests,
        "mutual": enrolments.is_mutual(interests, profile.id, other.id),
    } for other in everyone
        if other.side != profile.side and other.organisation_id != profile.organisation_id
        and other.id not in own_ids]


def participation(round_: Round, user: User) -> dict:
    """What a participant sees: their profiles, enrolments, partners, interest and pairs."""
    own = list(db.session.scalars(select(Profile).where(
        Profile.owner_id == user.id, Profile.archived_at.is_(None))
        .order_by(Profile.side, Profile.id)))
    own_ids = {p.id for p in own}
    enrolled = enrolments.enrolled_profiles(round_.id)
    enrolment_of = {p.id: e for e, p in enrolled}
    everyone = [p for _e, p in enrolled]
    interests = enrolments.interest_pairs(round_.id)
    own_interests = {(i.from_profile_id, i.to_profile_id): i for i in db.session.scalars(
        select(Interest).where(Interest.round_id == round_.id,
                               Interest.from_profile_id.in_(own_ids)))} if own_ids else {}
    profiles = [{"profile": profile, "enrolment": enrolment_of.get(profile.id),
                 "partners": _partners(profile, everyone, own_ids, own_interests, interests)
                 if profile.id in enrolment_of else []}
                for profile in own]
    my_pairs = [p for p in publishing.pairs_of_user(user) if p.round_id == round_.id]
    return {
        "profiles": profiles,
        "can_enrol": round_.state == RoundState.OPEN.value or (
            user.is_coordinator and round_.state in enrolments.WITHDRAWABLE_STATES),
        "can_withdraw": round_.state in enrolments.WITHDRAWABLE_STATES,
        "can_state_interest": round_.state in enrolments.WITHDRAWABLE_STATES,
        "published": round_.state in publishing.VISIBLE_STATES,
        "pairs": [_own_side(p, user) for p in my_pairs],
    }


def _own_side(pair: Pair, user: User) -> dict:
    """A pair seen from the user's side: their profile and the partner's."""
    if pair.taker.owner_id == user.id:
        return {"pair": pair, "own": pair.taker, "partner": pair.giver}
    return {"pair": pair, "own": pair.giver, "partner": pair.taker}


def unpaired_of(run: PairingRun) -> list[dict]:
    """The profiles a run left unpaired, with the reason in the reader's language."""
    reasons = {int(pid): code for pid, code in (run.summary or {}).get("unpaired", {}).items()}
    profiles = {p.id: p for p in db.session.scalars(
        select(Profile).options(joinedload(Profile.organisation))
        .where(Profile.id.in_(reasons)))} if reasons else {}
    unpaired = [{"profile": profiles.get(pid),
                 "reason": gettext(pairing_runs.UNPAIRED_REASONS.get(code, code))}
                for pid, code in reasons.items()]
    unpaired.sort(key=lambda item: (item["profile"].side, item["profile"].id)
                  if item["profile"] else ("", 0))
    return unpaired


def review_choices(round_id: int) -> dict:
    """The review page's choices: active pairs (to swap with), enrolled takers and givers."""
    active = list(db.session.scalars(
        select(Pair).options(*PAIR_LOADING)
        .where(Pair.round_id == round_id, Pair.status.in_(ACTIVE_PAIR_STATES))
        .order_by(Pair.id)))
    enrolled = db.session.execute(
        select(Enrolment.side, Profile).join(Enrolment, Enrolment.profile_id == Profile.id)
        .options(selectinload(Profile.organisation))
        .where(Enrolment.round_id == round_id, Enrolment.withdrawn_at.is_(None))
        .order_by(Profile.id)).all()
    return {"active": active,
            "takers": [p for side, p in enrolled if side == "taker"],
            "givers": [p for side, p in enrolled if side == "giver"]}


def outbox_page(page: int, per_page: int):
    """One page of the emails spread sent, newest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.sent_at.desc(),
                                           OutboxMessage.id.desc())
    return paginate(query, page, per_page)


def interests_seen_by(round_id: int, user: User) -> list[Interest]:
    """A round's stated interest: all of it for coordinators, for participants the interest
    from or to their own profiles; both profiles loaded with it."""
    query = (select(Interest).where(Interest.round_id == round_id).order_by(Interest.id)
             .options(selectinload(Interest.from_profile).joinedload(Profile.organisation),
                      selectinload(Interest.to_profile).joinedload(Profile.organisation)))
    if not user.is_coordinator:
        own = select(Profile.id).where(Profile.owner_id == user.id)
        query = query.where(Interest.from_profile_id.in_(own) | Interest.to_profile_id.in_(own))
    return list(db.session.scalars(query))
