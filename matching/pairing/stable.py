"""Stable pairing: deferred acceptance with capacities (hospital–resident)."""

import heapq
import itertools
import logging

import numpy as np

from ._validation import check_inputs

logger = logging.getLogger(__name__)

__all__ = ["stable_pairing"]


def _flatten(prefs, n_rows, n_cols, name):
    """Flat (row, col, position) arrays of preference lists, checked."""
    if len(prefs) != n_rows:
        raise ValueError(f"{name} must have one list per row ({n_rows}), got {len(prefs)}")
    lengths = np.fromiter((len(lst) for lst in prefs), dtype=np.int64, count=n_rows)
    cols = np.fromiter(itertools.chain.from_iterable(prefs), dtype=np.int64, count=lengths.sum())
    rows = np.repeat(np.arange(n_rows), lengths)
    starts = np.cumsum(lengths) - lengths
    pos = np.arange(cols.size) - np.repeat(starts, lengths)
    if cols.size and (cols.min() < 0 or cols.max() >= n_cols):
        raise ValueError(f"{name} has an index outside 0..{n_cols - 1}")
    return rows, cols, pos


def _listed(rows, cols, shape, name):
    """Bool matrix of listed pairs; rejects an index listed twice in one list."""
    out = np.zeros(shape, dtype=bool)
    out[rows, cols] = True
    if np.count_nonzero(out) != rows.size:
        raise ValueError(f"{name} lists an index twice in one list")
    return out


def stable_pairing(S, capacities, allowed=None, taker_prefs=None, giver_prefs=None,
                   min_score=0.0):
    """Taker-optimal stable pairing by deferred acceptance (takers propose).

    Givers have capacities and rank takers; no giver and taker both prefer
    each other over what they got (no blocking pair). Among all stable
    pairings this one is the best for every taker. Preference lists may be
    incomplete: a pair can only be made when it is on both sides' lists (if
    given), allowed, and scores at least ``min_score``.

    Parameters
    ----------
    S : array-like of shape (n_takers, n_givers)
        Scores; preferences are derived from them where no list is given
        (descending score, ties broken by lower index).
    capacities : array-like of int, shape (n_givers,)
        How many takers each giver can host.
    allowed : array-like of bool or sparse matrix, shape (n_takers, n_givers), optional
        False for banned pairs. None allows all.
    taker_prefs : list of list of int, optional
        Per taker, giver indices from most to least preferred (e.g. stated
        interest). Givers not listed are unacceptable to that taker.
    giver_prefs : list of list of int, optional
        Per giver, taker indices from most to least preferred.
    min_score : float, default=0.0
        Pairs scoring below are unacceptable.

    Returns
    -------
    list of (int, int)
        ``(taker, giver)`` pairs, sorted by taker.
    """
    S, capacities, allowed = check_inputs(S, capacities, allowed)
    n_t, n_g = S.shape
    acceptable = allowed & (S >= min_score)
    acceptable[:, capacities == 0] = False
    if taker_prefs is not None:
        tp_rows, tp_cols, _ = _flatten(taker_prefs, n_t, n_g, "taker_prefs")
        acceptable &= _listed(tp_rows, tp_cols, (n_t, n_g), "taker_prefs")
    if giver_prefs is not None:
        gp_rows, gp_cols, gp_pos = _flatten(giver_prefs, n_g, n_t, "giver_prefs")
        acceptable &= _listed(gp_cols, gp_rows, (n_t, n_g), "giver_prefs")

    rank = _giver_ranks(S, None if giver_prefs is None else (gp_rows, gp_cols, gp_pos))
    taker_list = _taker_lists(S, acceptable, None if taker_prefs is None else (tp_rows, tp_cols))

    lists = [None] * n_t
    caps = capacities.tolist()
    heaps = [[] for _ in range(n_g)]  # per giver: (-rank, taker), worst on top
    nxt = [0] * n_t
    free = list(range(n_t - 1, -1, -1))
    proposals = 0
    while free:
        t = free.pop()
        prefs = lists[t]
        if prefs is None:
            prefs = lists[t] = taker_list(t)
        p = nxt[t]
        while p < len(prefs):
            g = prefs[p]
            p += 1
            proposals += 1
            r = rank[g * n_t + t]
            h = heaps[g]
            if len(h) < caps[g]:
                heapq.heappush(h, (-r, t))
                break
            if -h[0][0] > r:
                _, loser = heapq.heapreplace(h, (-r, t))
                free.append(loser)
                break
        nxt[t] = p
    pairs = sorted((t, g) for g, h in enumerate(heaps) for _, t in h)
    logger.debug("stable_pairing: %d pairs after %d proposals", len(pairs), proposals)
    return pairs


def _giver_ranks(S, giver_lists):
    """Givers' rankings of takers, looked up at ``g * n_t + t`` (only relative order counts)."""
    n_t, n_g = S.shape
    if giver_lists is not None:
        # Sparse: only listed pairs are ever looked up.
        gp_rows, gp_cols, gp_pos = giver_lists
        return dict(zip((gp_rows * n_t + gp_cols).tolist(), gp_pos.tolist()))
    order = np.argsort(-S, axis=0, kind="stable")
    rank = np.empty((n_t, n_g), dtype=np.int64)
    np.put_along_axis(rank, order, np.arange(n_t)[:, None], axis=0)
    rank = rank.T
    return rank.ravel().tolist() if rank.size <= 4_000_000 else rank.ravel()


def _taker_lists(S, acceptable, taker_lists):
    """A function giving a taker's acceptable givers, best first (built when first needed)."""
    n_t = S.shape[0]
    if taker_lists is None:
        order = np.argsort(-S, axis=1, kind="stable")

        def taker_list(t):
            return order[t][acceptable[t, order[t]]].tolist()
        return taker_list
    tp_rows, tp_cols = taker_lists
    keep = acceptable[tp_rows, tp_cols]
    kept_cols = tp_cols[keep]
    bounds = np.searchsorted(tp_rows[keep], np.arange(n_t + 1))

    def taker_list(t):
        return kept_cols[bounds[t]:bounds[t + 1]].tolist()
    return taker_list
