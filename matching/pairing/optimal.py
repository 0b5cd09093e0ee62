"""Optimal pairing: the largest total fit under capacities and constraints."""

import logging

import numpy as np
from scipy.optimize import linear_sum_assignment

from ._validation import check_inputs

logger = logging.getLogger(__name__)

__all__ = ["optimal_pairing"]


def optimal_pairing(S, capacities, allowed=None, min_score=0.0):
    """Pair takers with givers to maximise the total score.

    Each taker gets at most one giver, each giver at most ``capacities[g]``
    takers, and only allowed pairs scoring at least ``min_score`` (and above
    0, since a pair scoring 0 adds nothing) are made: a taker stays unpaired
    rather than being forced into a poor pair. Exact: solved as an
    assignment problem on the capacity-expanded matrix (one column per giver
    slot) with :func:`scipy.optimize.linear_sum_assignment`.

    Parameters
    ----------
    S : array-like of shape (n_takers, n_givers)
        Scores, higher is better (e.g. from ``SimilarityModel.score``).
    capacities : array-like of int, shape (n_givers,)
        How many takers each giver can host.
    allowed : array-like of bool or sparse matrix, shape (n_takers, n_givers), optional
        False for banned pairs (same organisation, no overlapping
        availability, banned by a coordinator). None allows all.
    min_score : float, default=0.0
        Pairs scoring below are never made.

    Returns
    -------
    list of (int, int)
        ``(taker, giver)`` pairs, sorted by taker.
    """
    S, capacities, allowed = check_inputs(S, capacities, allowed)
    valid = allowed & (S >= min_score) & (S > 0)
    valid[:, capacities == 0] = False
    takers = np.flatnonzero(valid.any(axis=1))
    if takers.size == 0:
        return []
    sub = valid[takers]
    slots = np.minimum(capacities, sub.sum(axis=0))
    giver_of_col = np.repeat(np.arange(S.shape[1]), slots)
    values = np.where(sub, S[takers], 0.0)[:, giver_of_col]
    rows, cols = linear_sum_assignment(values, maximize=True)
    givers = giver_of_col[cols]
    keep = sub[rows, givers]
    pairs = sorted(zip(takers[rows[keep]].tolist(), givers[keep].tolist()))
    logger.debug("optimal_pairing: %d pairs from %s matrix", len(pairs), values.shape)
    return pairs
