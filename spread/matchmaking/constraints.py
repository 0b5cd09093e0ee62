"""The hard constraints of a pairing run as one boolean matrix, built with numpy.

A taker–giver pair is allowed when the two belong to different organisations, their
availability windows overlap (an open end overlaps everything), and the pair is neither banned
in the round nor already rejected in it.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np
from sqlalchemy import select

from spread.extensions import db
from spread.models import BannedPair, Pair, PairStatus, Profile

logger = logging.getLogger(__name__)

# Stand-ins for an open start or end of an availability window, as proleptic day numbers.
OPEN_START = np.iinfo(np.int64).min
OPEN_END = np.iinfo(np.int64).max


def day_numbers(days: Sequence[date | None], open_value: int) -> np.ndarray:
    """Dates as int64 day numbers (``date.toordinal``), ``open_value`` where unknown."""
    return np.fromiter((d.toordinal() if d is not None else open_value for d in days),
                       dtype=np.int64, count=len(days))


def overlapping(takers: Sequence[Profile], givers: Sequence[Profile]) -> np.ndarray:
    """(n_takers, n_givers) bool: the availability windows overlap."""
    t_from = day_numbers([p.available_from for p in takers], OPEN_START)
    t_until = day_numbers([p.available_until for p in takers], OPEN_END)
    g_from = day_numbers([p.available_from for p in givers], OPEN_START)
    g_until = day_numbers([p.available_until for p in givers], OPEN_END)
    start = np.maximum(t_from[:, None], g_from[None, :])
    end = np.minimum(t_until[:, None], g_until[None, :])
    return start <= end


def other_organisation(takers: Sequence[Profile], givers: Sequence[Profile]) -> np.ndarray:
    """(n_takers, n_givers) bool: taker and giver belong to different organisations."""
    t_org = np.fromiter((p.organisation_id for p in takers), dtype=np.int64, count=len(takers))
    g_org = np.fromiter((p.organisation_id for p in givers), dtype=np.int64, count=len(givers))
    return t_org[:, None] != g_org[None, :]


def ruled_out_pairs(round_id: int) -> set[tuple[int, int]]:
    """(taker id, giver id) pairs banned in the round or already rejected in it."""
    banned = db.session.execute(select(BannedPair.taker_id, BannedPair.giver_id)
                                .where(BannedPair.round_id == round_id)).tuples()
    rejected = db.session.execute(select(Pair.taker_id, Pair.giver_id).where(
        Pair.round_id == round_id, Pair.status == PairStatus.REJECTED.value)).tuples()
    return set(banned) | set(rejected)


def allowed_matrix(takers: Sequence[Profile], givers: Sequence[Profile],
                   ruled_out: Iterable[tuple[int, int]] = ()) -> np.ndarray:
    """(n_takers, n_givers) bool: every hard constraint of a run holds for the pair."""
    allowed = other_organisation(takers, givers) & overlapping(takers, givers)
    taker_rows = {p.id: i for i, p in enumerate(takers)}
    giver_cols = {p.id: j for j, p in enumerate(givers)}
    cells = [(taker_rows[t], giver_cols[g]) for t, g in ruled_out
             if t in taker_rows and g in giver_cols]
    if cells:
        rows, cols = zip(*cells)
        allowed[list(rows), list(cols)] = False
    return allowed


def round_allowed(round_id: int, takers: Sequence[Profile],
                  givers: Sequence[Profile]) -> np.ndarray:
    """The allowed matrix of a round's takers and givers."""
    return allowed_matrix(takers, givers, ruled_out_pairs(round_id))
