"""Coordinators' decisions and what became of the pairs, as training labels for the weights.

A pair's label is 1 (a good fit) or 0 (a poor one), from the strongest evidence there is, in
this order: the taker's adoption report at follow-up (copied, adapted or inspired: 1; not
adopted: 0), the internship evaluations (mean satisfaction 4 or more: 1; 2 or less: 0), a
poor-fit flag raised in the dialogue (0), and the coordinator's decision (approved: 1; rejected:
0; proposals withdrawn by a participant say nothing about the fit and are left out).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from spread.extensions import db
from spread.models import Adoption, Dialogue, Evaluation, FollowUp, Pair, PairStatus, PoorFitFlag

logger = logging.getLogger(__name__)

#: Evidence from strongest to weakest.
SOURCES = ("adoption", "evaluation", "poor_fit", "decision")
GOOD_SATISFACTION = 4
POOR_SATISFACTION = 2
NOT_ABOUT_FIT = ("withdrawn",)


@dataclass(frozen=True)
class Label:
    """One taker–giver pair's label, where it came from, and when that was decided."""

    taker_id: int
    giver_id: int
    label: int
    source: str
    at: datetime | None


def decision_labels() -> list[Label]:
    """Approved pairs as 1, pairs rejected by a coordinator as 0."""
    rows = db.session.execute(select(Pair.taker_id, Pair.giver_id, Pair.status, Pair.decided_at,
                                     Pair.decision_reason).where(
        Pair.status.in_((PairStatus.APPROVED.value, PairStatus.REJECTED.value,
                         PairStatus.CLOSED.value)),
        Pair.decided_at.is_not(None)))
    return [Label(t, g, int(status != PairStatus.REJECTED.value), "decision", at)
            for t, g, status, at, reason in rows if reason not in NOT_ABOUT_FIT]


def _dialogue_pairs() -> dict[int, tuple[int, int]]:
    rows = db.session.execute(select(Dialogue.id, Pair.taker_id, Pair.giver_id)
                              .join(Pair, Pair.id == Dialogue.pair_id))
    return {dialogue_id: (t, g) for dialogue_id, t, g in rows}


def outcome_labels() -> list[Label]:
    """Labels from the dialogues: poor-fit flags, evaluations and adoption at follow-up."""
    pairs = _dialogue_pairs()
    labels = [Label(*pairs[d], 0, "poor_fit", at) for d, at in db.session.execute(
        select(PoorFitFlag.dialogue_id, PoorFitFlag.raised_at)) if d in pairs]
    ratings: dict[int, list] = defaultdict(list)
    for d, satisfaction, at in db.session.execute(
            select(Evaluation.dialogue_id, Evaluation.satisfaction, Evaluation.created_at)):
        ratings[d].append((satisfaction, at))
    for d, rated in ratings.items():
        mean = sum(s for s, _ in rated) / len(rated)
        if d in pairs and (mean >= GOOD_SATISFACTION or mean <= POOR_SATISFACTION):
            labels.append(Label(*pairs[d], int(mean >= GOOD_SATISFACTION), "evaluation",
                                max(at for _, at in rated)))
    for d, adoption, at in db.session.execute(
            select(FollowUp.dialogue_id, FollowUp.adoption, FollowUp.created_at)
            .where(FollowUp.side == "taker", FollowUp.adoption.is_not(None))):
        if d in pairs:
            labels.append(Label(*pairs[d], int(adoption != Adoption.NOT_ADOPTED.value),
                                "adoption", at))
    return labels


def _rank(label: Label) -> tuple:
    """Stronger evidence first; of the same kind, the latest first (SQLite gives naive times)."""
    at = (label.at or datetime.min).replace(tzinfo=None)
    return SOURCES.index(label.source), -at.timestamp() if label.at else 0.0


def training_labels() -> list[Label]:
    """One label per taker–giver pair: its strongest evidence (see the module docstring)."""
    best: dict[tuple[int, int], Label] = {}
    for label in outcome_labels() + decision_labels():
        key = (label.taker_id, label.giver_id)
        held = best.get(key)
        if held is None or _rank(label) < _rank(held):
            best[key] = label
    return sorted(best.values(), key=lambda x: (x.taker_id, x.giver_id))


def trained_on(labels: list[Label]) -> dict:
    """What a set of labels holds: counts by source and class, and the dates they span."""
    dates = sorted(label.at for label in labels if label.at is not None)
    return {
        "labels": len(labels),
        "positive": sum(label.label for label in labels),
        "negative": sum(1 - label.label for label in labels),
        "by_source": {s: sum(1 for x in labels if x.source == s) for s in SOURCES},
        "from": dates[0].isoformat() if dates else None,
        "until": dates[-1].isoformat() if dates else None,
    }
