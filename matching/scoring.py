"""Scoring kernels on precomputed :class:`~matching.features.ProfileFeatures`.

The fit of a pair is a weighted mean of per-criterion agreements, taken over
the criteria known on *both* sides (text always counts)::

    score = (w_text * text + sum_c w_c * agree_c * known_c) / (w_text + sum_c w_c * known_c)

clipped to [0, 1]. Text and field agreements are all dot products, so the
numerator is one matrix product of column-weighted vectors; everything is
computed block-wise in float32 so that large tables never materialise.
"""

import logging

import numpy as np
import scipy.sparse as sp

from .features import FIELDS, equal_codes

logger = logging.getLogger(__name__)

#: Criteria in a fixed order: text, then the structured fields.
CRITERIA = ("text", *FIELDS)
#: Elements (rows x candidates) scored at once by the chunked functions.
CHUNK_ELEMENTS = 2**23


class Weights:
    """Criterion weights expanded to the columns of ``ProfileFeatures.vectors``.

    Parameters
    ----------
    weights : dict of str to float
        Weight per criterion (keys of :data:`CRITERIA`).
    n_text : int
        Number of text columns.
    blocks : dict of str to (int, int)
        Column range of each field block (relative to the field part).
    """

    def __init__(self, weights, n_text, blocks):
        self.text = np.float32(weights["text"])
        n_cols = n_text + max(stop for _, stop in blocks.values())
        cols = np.empty(n_cols, dtype=np.float32)
        cols[:n_text] = self.text
        for field, (start, stop) in blocks.items():
            cols[n_text + start:n_text + stop] = weights[field]
        self.columns = cols
        self.known = np.array([weights[f] for f in FIELDS], dtype=np.float32)


def _uniform(known):
    """True when every row of a ``known`` matrix is the same (or there are none)."""
    return known.shape[0] == 0 or bool((known == known[0]).all())


def score_block(a, b, w):
    """Score every pair between two feature blocks.

    When every candidate knows the same criteria (the usual case for a
    precomputed side), the denominator depends on the row only and is folded
    into the row vectors before the product, so no extra pass over the
    (rows × candidates) block is needed.

    Parameters
    ----------
    a, b : ProfileFeatures
        Rows and columns.
    w : Weights
        Column weights.

    Returns
    -------
    ndarray of shape (len(a), len(b)), float32
        Scores in [0, 1].
    """
    ka = a.known * w.known
    if w.text > 0 and _uniform(b.known):
        row_den = w.text + (ka @ b.known[0] if len(b) else np.zeros(len(a), np.float32))
        scale = (1.0 / row_den).astype(np.float32)
        if sp.issparse(a.vectors):
            left = a.vectors.multiply(w.columns).multiply(scale[:, None]).tocsr()
            num = np.asarray((left @ b.vectors.T).toarray(), dtype=np.float32)
        else:
            num = (a.vectors * w.columns * scale[:, None]) @ b.vectors.T
        np.clip(num, 0.0, 1.0, out=num)
        return num
    if sp.issparse(a.vectors):
        num = (a.vectors.multiply(w.columns).tocsr() @ b.vectors.T).toarray()
        num = np.asarray(num, dtype=np.float32)
    else:
        num = (a.vectors * w.columns) @ b.vectors.T
    den = ka @ b.known.T
    den += w.text
    if w.text > 0:
        num /= den
    else:
        np.divide(num, den, out=num, where=den > 0)
        num[den <= 0] = 0.0
    np.clip(num, 0.0, 1.0, out=num)
    return num


def pair_components(a, b, blocks):
    """Agreement per criterion for aligned pairs ``(a[i], b[i])``.

    Parameters
    ----------
    a, b : ProfileFeatures
        Same length.
    blocks : dict of str to (int, int)
        Column range of each field block (relative to the field part).

    Returns
    -------
    agree : dict of str to ndarray of float64
        Agreement per criterion (0 where unknown); text is the raw cosine.
    known : dict of str to ndarray of bool
        Whether the criterion is known on both sides (always True for text).
    """
    n = len(a)
    if sp.issparse(a.vectors):
        prod = a.vectors.multiply(b.vectors).tocsc()
    else:
        prod = a.vectors * b.vectors

    def colsum(start, stop):
        return np.asarray(prod[:, start:stop].sum(axis=1), dtype=np.float64).ravel()

    agree = {"text": colsum(0, a.n_text)}
    known = {"text": np.ones(n, dtype=bool)}
    both = (a.known * b.known) > 0
    for j, field in enumerate(FIELDS):
        start, stop = blocks[field]
        known[field] = both[:, j]
        agree[field] = np.where(both[:, j], colsum(a.n_text + start, a.n_text + stop), 0.0)
    return agree, known


def _rows_per_chunk(n_cols):
    return max(1, CHUNK_ELEMENTS // max(1, n_cols))


def _exclusion_rows(exclude, start, stop, n_cols):
    """Rows ``start:stop`` of an exclusion mask as a dense bool array (or None)."""
    if exclude is None:
        return None
    if sp.issparse(exclude):
        return exclude[start:stop].toarray().astype(bool)
    exclude = np.asarray(exclude, dtype=bool)
    if exclude.ndim == 1:
        return np.broadcast_to(exclude, (stop - start, n_cols))
    return exclude[start:stop]


def select_top_k(s, k):
    """Top-``k`` columns per row, by descending score then ascending index.

    Parameters
    ----------
    s : ndarray of shape (n, m)
        Scores; excluded entries hold ``-inf``.
    k : int
        ``1 <= k <= m``.

    Returns
    -------
    idx : ndarray of shape (n, k), int64
    top : ndarray of shape (n, k), same dtype as ``s``
    """
    n, m = s.shape
    if k < m:
        part = np.argpartition(s, m - k, axis=1)[:, m - k:]
        kth = np.take_along_axis(s, part, axis=1).min(axis=1)
        # Rows where ties at the k-th value exceed the partition: resolve exactly.
        n_ge = (s >= kth[:, None]).sum(axis=1)
        for r in np.flatnonzero(n_ge > k):
            cand = np.flatnonzero(s[r] >= kth[r])
            order = np.lexsort((cand, -s[r, cand]))[:k]
            part[r] = cand[order]
    else:
        part = np.broadcast_to(np.arange(m), (n, m)).copy()
    vals = np.take_along_axis(s, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    idx = np.take_along_axis(part, order, axis=1).astype(np.int64)
    return idx, np.take_along_axis(vals, order, axis=1)


def top_k_chunked(query, candidates, w, k, exclude=None, min_score=None,
                  exclude_same_organisation=False):
    """Top-``k`` candidates per query, computed in row chunks.

    See :meth:`matching.SimilarityModel.top_k_features` for the parameters.

    Returns
    -------
    idx : ndarray of shape (n_query, k), int64
        Candidate indices, best first; -1 where fewer than ``k`` qualify.
    scores : ndarray of shape (n_query, k), float64
        Their scores; NaN where the index is -1.
    """
    n_q, n_c = len(query), len(candidates)
    k = int(max(0, min(k, n_c)))
    idx_out = np.full((n_q, k), -1, dtype=np.int64)
    sc_out = np.full((n_q, k), np.nan, dtype=np.float64)
    if k == 0 or n_q == 0:
        return idx_out, sc_out
    step = _rows_per_chunk(n_c)
    for start in range(0, n_q, step):
        stop = min(start + step, n_q)
        block = query.take(slice(start, stop))
        s = score_block(block, candidates, w)
        ex = _exclusion_rows(exclude, start, stop, n_c)
        if ex is not None:
            s[ex] = -np.inf
        if exclude_same_organisation:
            s[equal_codes(block.organisation, candidates.organisation)] = -np.inf
        if min_score is not None:
            s[s < min_score] = -np.inf
        idx, top = select_top_k(s, k)
        bad = ~np.isfinite(top)
        idx[bad] = -1
        top = top.astype(np.float64)
        top[bad] = np.nan
        idx_out[start:stop] = idx
        sc_out[start:stop] = top
    return idx_out, sc_out


def score_chunked(a, b, w):
    """Full score matrix, computed block-wise; float64 output."""
    out = np.empty((len(a), len(b)), dtype=np.float64)
    step = _rows_per_chunk(len(b))
    for start in range(0, len(a), step):
        stop = min(start + step, len(a))
        out[start:stop] = score_block(a.take(slice(start, stop)), b, w)
    return out


#: Elements of the dense block of query rows scattered at once for the re-rank.
RERANK_ELEMENTS = 2**22


def exact_pair_scores(query, candidates, idx, w):
    """Exact scores of the pairs ``(query[i], candidates[idx[i, j]])``; -inf where idx is -1.

    Each query row is scattered into a dense row once; each pair then costs one gather
    over the candidate's non-zeros (the same sum as :func:`score_block`, up to float
    rounding order).

    Parameters
    ----------
    query, candidates : ProfileFeatures
        Sparse (CSR) vectors.
    idx : ndarray of shape (len(query), L), int64
        Candidate indices per query, -1 for none.
    w : Weights
        Column weights of the exact vectors.

    Returns
    -------
    ndarray of shape (len(query), L), float32
    """
    n_q, width = idx.shape
    out = np.full((n_q, width), -np.inf, dtype=np.float32)
    qv = query.vectors.multiply(w.columns).tocsr() if sp.issparse(query.vectors) else None
    cv = candidates.vectors
    n_cols = cv.shape[1]
    step = int(np.clip(RERANK_ELEMENTS // max(n_cols, 1), 1, 256))
    dense = np.zeros((min(step, max(n_q, 1)), n_cols), dtype=np.float32)
    ka = query.known * w.known
    flat = dense.ravel()
    for start in range(0, n_q, step):
        stop = min(start + step, n_q)
        block = qv[start:stop]
        cells = np.repeat(np.arange(stop - start) * n_cols, np.diff(block.indptr)) + block.indices
        flat[cells] = block.data
        sel = idx[start:stop]
        pair_q, pair_j = np.nonzero(sel >= 0)
        cand = sel[pair_q, pair_j]
        lo = cv.indptr[cand]
        lengths = cv.indptr[cand + 1] - lo
        ends = np.cumsum(lengths)
        # Positions of every pair's candidate non-zeros, and where each lands in ``dense``.
        shift = np.repeat(lo - (ends - lengths), lengths)
        pos = np.arange(int(ends[-1]) if len(ends) else 0) + shift
        gathered = flat[np.repeat(pair_q * n_cols, lengths) + cv.indices[pos]] * cv.data[pos]
        num = np.zeros(len(cand), dtype=np.float32)
        if len(gathered):
            starts = np.minimum(ends - lengths, len(gathered) - 1)
            num = np.where(lengths > 0, np.add.reduceat(gathered, starts), 0.0)
        den = w.text + np.einsum("ij,ij->i", ka[start + pair_q], candidates.known[cand])
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = np.where(den > 0, num / den, 0.0)
        out[start + pair_q, pair_j] = np.clip(scores, 0.0, 1.0)
        flat[cells] = 0.0
    return out


def top_k_shortlisted(query, candidates, w, w_sketch, n_sketch, k, shortlist, exclude=None,
                      min_score=None, exclude_same_organisation=False):
    """Top-``k`` per query: shortlist on the dense sketches, then rank the shortlist exactly.

    The ``shortlist`` best candidates by sketch score (exclusions applied) are scored on
    the exact vectors with :func:`exact_pair_scores`; the result is ordered as in
    :func:`top_k_chunked` (score, then lower index). With ``shortlist >= len(candidates)``
    it equals the exact ranking.

    Returns
    -------
    idx : ndarray of shape (n_query, k), int64
    scores : ndarray of shape (n_query, k), float64
    """
    n_c = len(candidates)
    k = int(max(0, min(k, n_c)))
    width = int(min(n_c, max(shortlist, k)))
    cand, _ = top_k_chunked(
        query.sketch_features(n_sketch), candidates.sketch_features(n_sketch), w_sketch, width,
        exclude=exclude, exclude_same_organisation=exclude_same_organisation,
    )
    exact = exact_pair_scores(query, candidates, cand, w)
    if min_score is not None:
        exact[exact < min_score] = -np.inf
    tiebreak = np.where(cand >= 0, cand, n_c)
    order = np.lexsort((tiebreak, -exact), axis=1)[:, :k]
    idx = np.take_along_axis(cand, order, axis=1)
    top = np.take_along_axis(exact, order, axis=1).astype(np.float64)
    bad = ~np.isfinite(top)
    idx[bad] = -1
    top[bad] = np.nan
    return idx, top


def reduce_hubness(S, k):
    """Cross-domain similarity local scaling (CSLS) of a full two-sided score matrix.

    Each pair loses half the mean of its row's ``k`` best scores and half its column's,
    so a profile that scores high with everybody (a hub: vague, "everything matches"
    text) no longer tops every list; the overall mean of those penalties is added back
    so scores keep their scale. The result is clipped to [0, 1].

    Parameters
    ----------
    S : ndarray of shape (n, m)
        Scores; ``k < min(n, m)``.
    k : int
        Neighbours per row and column.

    Returns
    -------
    ndarray of shape (n, m), float64
    """
    n, m = S.shape
    rows = np.partition(S, m - k, axis=1)[:, m - k:].mean(axis=1)
    cols = np.partition(S, n - k, axis=0)[n - k:, :].mean(axis=0)
    penalty_mean = (rows.mean() + cols.mean()) / 2
    out = S - rows[:, None] / 2
    out -= cols[None, :] / 2
    out += penalty_mean
    np.clip(out, 0.0, 1.0, out=out)
    return out
