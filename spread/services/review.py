"""Read models for coordinators' review: pairs with interest flags, the audit log."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from spread.extensions import db
from spread.models import AuditEvent, Pair, Profile
from spread.services.enrolments import interest_pairs


def _side_loading(side):
    # Both sides with their organisation, in one query per side; the pair listing shows
    # neither sectors nor target groups, so they are not loaded.
    return selectinload(side).options(joinedload(Profile.organisation),
                                      lazyload(Profile.sector_links),
                                      lazyload(Profile.target_group_links))


#: How the review listing loads a round's pairs (no query per pair).
PAIR_LOADING = (_side_loading(Pair.taker), _side_loading(Pair.giver))


@dataclass
class PairView:
    """A pair as the review screens show it."""

    pair: Pair
    interest: str | None

    def __getattr__(self, name):
        return getattr(self.pair, name)

    @property
    def mutual_interest(self) -> bool:
        """Both sides asked for each other."""
        return self.interest == "mutual"


def interest_label(interests: set[tuple[int, int]], taker_id: int, giver_id: int) -> str | None:
    """'mutual', 'taker', 'giver' (who stated interest in the other) or None."""
    taker_asked = (taker_id, giver_id) in interests
    giver_asked = (giver_id, taker_id) in interests
    if taker_asked and giver_asked:
        return "mutual"
    return "taker" if taker_asked else "giver" if giver_asked else None


def list_pairs(round_id: int, filters: dict | None = None) -> list[PairView]:
    """A round's pairs with interest flags, filtered and sorted (see PairQuerySchema)."""
    filters = filters or {}
    query = select(Pair).where(Pair.round_id == round_id).options(*PAIR_LOADING)
    if filters.get("status"):
        query = query.where(Pair.status == filters["status"])
    if filters.get("min_score") is not None:
        query = query.where(Pair.score >= filters["min_score"])
    sort = filters.get("sort") or "score"
    order = {"score": Pair.score.desc(), "-score": Pair.score.asc(), "id": Pair.id.asc()}[sort]
    query = query.order_by(order, Pair.id)
    interests = interest_pairs(round_id)
    views = [PairView(p, interest_label(interests, p.taker_id, p.giver_id))
             for p in db.session.scalars(query)]
    if filters.get("mutual") is not None:
        views = [v for v in views if v.mutual_interest == filters["mutual"]]
    return views


def audit_log(round_id: int, pair_id: int | None = None) -> list[AuditEvent]:
    """A round's audit events (or one pair's), newest first."""
    query = select(AuditEvent).where(AuditEvent.round_id == round_id)
    if pair_id is not None:
        query = query.where(AuditEvent.pair_id == pair_id)
    query = query.options(joinedload(AuditEvent.actor))
    return list(db.session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())))
