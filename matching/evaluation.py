"""Ranking metrics for judging suggestions against graded relevance."""

import logging

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["ndcg_at_k", "recall_at_k"]


def _check(ranked, relevance, k):
    ranked = np.asarray(ranked)
    relevance = np.asarray(relevance, dtype=np.float64)
    if ranked.ndim != 2 or relevance.ndim != 2 or ranked.shape[0] != relevance.shape[0]:
        raise ValueError("ranked and relevance must be 2-D with one row per query")
    if k < 1:
        raise ValueError("k must be >= 1")
    return ranked[:, :k], relevance


def _gains(ranked, relevance):
    valid = ranked >= 0
    safe = np.where(valid, ranked, 0)
    return np.where(valid, np.take_along_axis(relevance, safe, axis=1), 0.0)


def ndcg_at_k(ranked, relevance, k=10):
    """Mean normalised discounted cumulative gain at ``k``.

    DCG uses gain ``rel`` and discount ``1 / log2(rank + 1)``; the ideal
    ranking sorts all candidates by relevance. Queries without any relevant
    candidate are skipped.

    Parameters
    ----------
    ranked : array-like of int, shape (n_queries, >= k)
        Candidate indices per query, best first; -1 pads short lists.
    relevance : array-like of shape (n_queries, n_candidates)
        Graded relevance (0 = not relevant).
    k : int, default=10
        Cut-off.

    Returns
    -------
    float
        Mean nDCG@k over queries with at least one relevant candidate (NaN if none).
    """
    ranked, relevance = _check(ranked, relevance, k)
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    gains = _gains(ranked, relevance)
    dcg = (gains * discount[: gains.shape[1]]).sum(axis=1)
    ideal = -np.sort(-relevance, axis=1)[:, :k]
    idcg = (ideal * discount[: ideal.shape[1]]).sum(axis=1)
    keep = idcg > 0
    if not keep.any():
        return float("nan")
    return float(np.mean(dcg[keep] / idcg[keep]))


def recall_at_k(ranked, relevance, k=10):
    """Mean share of a query's relevant candidates found in its top ``k``.

    Parameters
    ----------
    ranked : array-like of int, shape (n_queries, >= k)
        Candidate indices per query, best first; -1 pads short lists.
    relevance : array-like of shape (n_queries, n_candidates)
        Relevance; any value > 0 counts as relevant.
    k : int, default=10
        Cut-off.

    Returns
    -------
    float
        Mean of ``|relevant ∩ top k| / |relevant|`` over queries with at
        least one relevant candidate (NaN if none).
    """
    ranked, relevance = _check(ranked, relevance, k)
    hits = (_gains(ranked, relevance) > 0).sum(axis=1)
    n_rel = (relevance > 0).sum(axis=1)
    keep = n_rel > 0
    if not keep.any():
        return float("nan")
    return float(np.mean(hits[keep] / n_rel[keep]))
