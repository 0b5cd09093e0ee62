"""Demo history: an earlier, closed round whose decided pairs the match model can learn from.

Generated in code, deterministically (profiles in title order): each taker gets one approved
giver that shares a sector or target group with it and one rejected giver that shares neither,
with the coordinator's reason; some approved pairs have internship evaluations.
"""
from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from spread.extensions import db
from spread.models import Enrolment, Evaluation, Pair, PairStatus, Profile, Round, User
from spread.services.dialogues import open_dialogue

logger = logging.getLogger(__name__)

HISTORY_ROUND = "Forårsrunden 2026 (afsluttet)"
DECIDED_FROM = datetime(2026, 2, 16, 9, 0, tzinfo=UTC)
APPROVED_REASON = "Fælles sektor eller målgruppe; god faglig match."
REJECTED_REASON = "Ingen fælles sektor eller målgruppe."
#: Every this many approved pairs, the internship is evaluated (good when a sector is shared).
EVALUATE_EVERY = 3


def _shares(taker: Profile, giver: Profile) -> tuple[bool, bool]:
    return (bool(set(taker.sectors) & set(giver.sectors)),
            bool(set(taker.target_groups) & set(giver.target_groups)))


def _choose(taker: Profile, givers: list[Profile]) -> tuple[Profile | None, Profile | None]:
    """A giver that shares a sector or target group with the taker, and one that shares none."""
    others = [g for g in givers if g.organisation_id != taker.organisation_id]
    good = next((g for g in others if any(_shares(taker, g))), None)
    poor = next((g for g in others if not any(_shares(taker, g))), None)
    return good, poor


def _pair(round_: Round, taker: Profile, giver: Profile, approved: bool, at: datetime,
          coordinator: User) -> Pair:
    pair = Pair(round=round_, taker_id=taker.id, giver_id=giver.id, score=None, source="manual",
                status=(PairStatus.APPROVED if approved else PairStatus.REJECTED).value,
                decision_reason=APPROVED_REASON if approved else REJECTED_REASON,
                decided_by_id=coordinator.id, decided_at=at)
    db.session.add(pair)
    return pair


def _evaluate(pair: Pair, taker: Profile, good: bool, at: datetime) -> None:
    dialogue = open_dialogue(pair)
    db.session.add(Evaluation(dialogue_id=dialogue.id, side="taker", satisfaction=5 if good else 2,
                              would_recommend=good, author_id=taker.owner_id, created_at=at,
                              what_worked="Vi talte samme fagsprog." if good else "",
                              what_did_not="" if good else "For langt fra vores hverdag."))


def load_demo_history(coordinator: User) -> int:
    """Add the closed demo round with its decided pairs (once); how many pairs were added."""
    if db.session.scalar(select(Round.id).where(Round.name == HISTORY_ROUND)) is not None:
        return 0
    profiles = list(db.session.scalars(select(Profile).where(Profile.archived_at.is_(None))
                                       .order_by(Profile.title, Profile.id)))
    takers = [p for p in profiles if p.side == "taker"]
    givers = [p for p in profiles if p.side == "giver"]
    round_ = Round(name=HISTORY_ROUND, state="closed", created_by_id=coordinator.id,
                   description="En tidligere runde, så matchmodellen har afgørelser at lære af.",
                   registration_opens=date(2026, 1, 5), registration_closes=date(2026, 2, 6),
                   internship_start=date(2026, 3, 2), internship_end=date(2026, 5, 29))
    db.session.add(round_)
    db.session.flush()
    added, approved, enrolled = 0, 0, set()
    for i, taker in enumerate(takers):
        good, poor = _choose(taker, givers)
        at = DECIDED_FROM + timedelta(hours=i)
        for giver, fits in ((good, True), (poor, False)):
            if giver is None:
                continue
            pair = _pair(round_, taker, giver, fits, at, coordinator)
            enrolled |= {taker, giver}
            added += 1
            if fits:
                approved += 1
                if approved % EVALUATE_EVERY == 0:
                    db.session.flush()
                    _evaluate(pair, taker, _shares(taker, giver)[0], at + timedelta(days=100))
    for profile in sorted(enrolled, key=lambda p: p.id):
        db.session.add(Enrolment(round_id=round_.id, profile_id=profile.id, side=profile.side,
                                 enrolled_by_id=coordinator.id))
    db.session.flush()
    logger.info("demo history: %s decided pairs in round %s", added, round_.id)
    return added
