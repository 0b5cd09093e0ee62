"""Property tests of optimal_pairing and stable_pairing on random instances."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from matching import optimal_pairing, stable_pairing


@st.composite
def instances(draw, max_takers=6, max_givers=4, max_cap=3):
    n_t = draw(st.integers(1, max_takers))
    n_g = draw(st.integers(1, max_givers))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    S = np.round(rng.random((n_t, n_g)), 3)
    caps = rng.integers(0, max_cap + 1, n_g)
    allowed = rng.random((n_t, n_g)) < draw(st.sampled_from([1.0, 0.8, 0.5]))
    min_score = draw(st.sampled_from([0.0, 0.2, 0.5]))
    return S, caps, allowed, min_score


def check_feasible(pairs, S, caps, allowed, min_score):
    takers = [t for t, _ in pairs]
    assert len(takers) == len(set(takers)), "a taker is paired twice"
    counts = np.bincount([g for _, g in pairs], minlength=len(caps))
    assert np.all(counts <= caps), "capacity exceeded"
    for t, g in pairs:
        assert allowed[t, g], "disallowed pair"
        assert S[t, g] >= min_score, "pair below min_score"


def lp_optimum(S, caps, allowed, min_score):
    """Integer optimum of the b-matching by MILP."""
    n_t, n_g = S.shape
    valid = (allowed & (S >= min_score) & (S > 0)).ravel()
    c = -np.where(valid, S.ravel(), 0.0)
    rows_t = np.kron(np.eye(n_t), np.ones(n_g))
    rows_g = np.kron(np.ones(n_t), np.eye(n_g))
    cons = [LinearConstraint(rows_t, 0, 1), LinearConstraint(rows_g, 0, caps)]
    res = milp(c, constraints=cons, integrality=np.ones(c.size),
               bounds=Bounds(0, np.where(valid, 1, 0)))
    return -res.fun


@settings(max_examples=150, deadline=None)
@given(instances())
def test_optimal_is_feasible_and_optimal(inst):
    S, caps, allowed, min_score = inst
    pairs = optimal_pairing(S, caps, allowed=allowed, min_score=min_score)
    check_feasible(pairs, S, caps, allowed, min_score)
    total = sum(S[t, g] for t, g in pairs)
    assert total == pytest.approx(lp_optimum(S, caps, allowed, min_score), abs=1e-9)


def test_optimal_accepts_sparse_allowed():
    rng = np.random.default_rng(1)
    S = rng.random((30, 10))
    allowed = rng.random((30, 10)) < 0.5
    dense = optimal_pairing(S, np.full(10, 2), allowed=allowed)
    sparse = optimal_pairing(S, np.full(10, 2), allowed=sp.csr_matrix(allowed))
    assert dense == sparse


def test_optimal_leaves_taker_unpaired_below_min_score():
    S = np.array([[0.9, 0.1], [0.8, 0.2]])
    assert optimal_pairing(S, [1, 1], min_score=0.5) == [(0, 0)]


def test_invalid_inputs():
    with pytest.raises(ValueError):
        optimal_pairing(np.ones((2, 2)), [1])
    with pytest.raises(ValueError):
        stable_pairing(np.ones((2, 2)), [1, -1])
    with pytest.raises(ValueError):
        optimal_pairing(np.array([[np.nan, 1.0]]), [1, 1])


def preferences(S, caps, allowed, min_score, taker_prefs=None, giver_prefs=None):
    """Acceptability and ranks as stable_pairing defines them."""
    n_t, n_g = S.shape
    acc = allowed & (S >= min_score) & (caps > 0)[None, :]
    t_rank = np.argsort(np.argsort(-S, axis=1, kind="stable"), axis=1, kind="stable")
    g_rank = np.argsort(np.argsort(-S, axis=0, kind="stable"), axis=0, kind="stable")
    if taker_prefs is not None:
        t_rank = np.full((n_t, n_g), 10**6)
        inlist = np.zeros_like(acc)
        for t, lst in enumerate(taker_prefs):
            t_rank[t, lst] = np.arange(len(lst))
            inlist[t, lst] = True
        acc &= inlist
    if giver_prefs is not None:
        g_rank = np.full((n_t, n_g), 10**6)
        inlist = np.zeros_like(acc)
        for g, lst in enumerate(giver_prefs):
            g_rank[lst, g] = np.arange(len(lst))
            inlist[lst, g] = True
        acc &= inlist
    return acc, t_rank, g_rank


def blocking_pairs(pairs, caps, acc, t_rank, g_rank):
    match = dict(pairs)
    assigned = {g: [t for t, gg in pairs if gg == g] for g in range(len(caps))}
    out = []
    for t, g in zip(*np.nonzero(acc)):
        cur = match.get(t)
        if cur == g:
            continue
        if cur is not None and t_rank[t, cur] <= t_rank[t, g]:
            continue
        if len(assigned[g]) < caps[g] or any(g_rank[o, g] > g_rank[t, g] for o in assigned[g]):
            out.append((t, g))
    return out


def random_prefs(rng, n_rows, n_cols):
    return [list(rng.permutation(n_cols)[: rng.integers(0, n_cols + 1)]) for _ in range(n_rows)]


@settings(max_examples=150, deadline=None)
@given(instances(), st.booleans(), st.booleans())
def test_stable_has_no_blocking_pair(inst, use_tp, use_gp):
    S, caps, allowed, min_score = inst
    rng = np.random.default_rng(int(S.sum() * 1000))
    tp = random_prefs(rng, *S.shape) if use_tp else None
    gp = random_prefs(rng, S.shape[1], S.shape[0]) if use_gp else None
    pairs = stable_pairing(S, caps, allowed=allowed, taker_prefs=tp, giver_prefs=gp,
                           min_score=min_score)
    check_feasible(pairs, S, caps, allowed, min_score)
    acc, t_rank, g_rank = preferences(S, caps, allowed, min_score, tp, gp)
    assert all(acc[t, g] for t, g in pairs), "pair not acceptable to both sides"
    assert blocking_pairs(pairs, caps, acc, t_rank, g_rank) == []


@settings(max_examples=60, deadline=None)
@given(instances(max_takers=4, max_givers=3, max_cap=2))
def test_stable_is_taker_optimal(inst):
    S, caps, allowed, min_score = inst
    n_t, n_g = S.shape
    ours = dict(stable_pairing(S, caps, allowed=allowed, min_score=min_score))
    acc, t_rank, g_rank = preferences(S, caps, allowed, min_score)
    for choice in itertools.product(range(-1, n_g), repeat=n_t):
        pairs = [(t, g) for t, g in enumerate(choice) if g >= 0]
        if any(not acc[t, g] for t, g in pairs):
            continue
        if np.any(np.bincount([g for _, g in pairs], minlength=n_g) > caps):
            continue
        if blocking_pairs(pairs, caps, acc, t_rank, g_rank):
            continue
        for t, g in pairs:  # every taker does at least as well with ours
            assert t in ours and t_rank[t, ours[t]] <= t_rank[t, g]


def test_stable_uses_stated_preferences():
    S = np.array([[0.9, 0.1], [0.8, 0.2]])
    pairs = stable_pairing(S, [1, 1], taker_prefs=[[1, 0], [0, 1]])
    assert pairs == [(0, 1), (1, 0)]


def test_stable_rejects_bad_lists():
    with pytest.raises(ValueError):
        stable_pairing(np.ones((2, 2)), [1, 1], taker_prefs=[[0, 0], [1]])
    with pytest.raises(ValueError):
        stable_pairing(np.ones((2, 2)), [1, 1], giver_prefs=[[5], [1]])
