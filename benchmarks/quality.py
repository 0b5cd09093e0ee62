"""Ranking quality: the IPS Explorer relevance benchmark and two identity benchmarks.

Part 1 (identity, see ``benchmarks/identity.py``): each query must find its own partner
(IPS cases split in two halves; hand-written Danish problem/solution pairs); R@1, R@10, MRR
for plain word TF-IDF, exact word+char TF-IDF, the default model and variants.

Part 2, ranking quality on the JRC Innovative Public Services Explorer cases.

Givers: cases with status "Implemented" or "In production" (in use).
Takers: cases with status "Pilot", "In development" or "Planned".
("Not in use anymore" is left out.) Relevance of a giver for a taker: 2 when
both have the same innovation ``type`` and the same ``primary_sector``, 1 for
the same ``type`` only. ``type`` is never given to the models.

Usage::

    .venv/bin/python benchmarks/quality.py
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from identity import danish_pairs, identity_rows, ips_pairs

from matching import SimilarityModel
from matching.evaluation import ndcg_at_k, recall_at_k

DATA = ROOT.parent / "shared" / "data" / "ips-explorer" / "cases.json"
GIVER_STATUS = {"Implemented", "In production"}
TAKER_STATUS = {"Pilot", "In development", "Planned"}
K = 10


def load_cases(path=DATA):
    """Cases split into (takers, givers) lists of raw case dicts."""
    cases = json.loads(Path(path).read_text(encoding="utf-8"))
    givers = [c for c in cases if c.get("status") in GIVER_STATUS]
    takers = [c for c in cases if c.get("status") in TAKER_STATUS]
    return takers, givers


def to_profile(case, fields="none"):
    """A case as a matching profile (never ``type``: that is the label).

    ``fields``: "none" (text only), "basic" (primary_sector → sectors,
    lead_organisation_category → level, single-country geocoverage → region)
    or "tech" (basic + ``technology`` → facet: AI vs blockchain, a
    profile-level property like an OPSI facet, not the innovation type).
    """
    profile = {"text": f"{case.get('name') or ''}. {case.get('description') or ''}"}
    if fields == "none":
        return profile
    sectors = [s for s in (case.get("primary_sector"),) if s]
    geo = case.get("geocoverage") or []
    profile.update(
        sectors=sectors or None,
        level=case.get("lead_organisation_category") or None,
        region=geo[0] if len(geo) == 1 else None,
        organisation=case.get("lead_organisation_name") or None,
    )
    if fields == "tech":
        profile["facet"] = case.get("technology") or None
    return profile


def relevance_matrix(takers, givers):
    """Graded relevance (n_takers, n_givers): 2 same type+sector, 1 same type."""
    t_type = np.array([c.get("type") for c in takers], dtype=object)
    g_type = np.array([c.get("type") for c in givers], dtype=object)
    t_sec = np.array([c.get("primary_sector") for c in takers], dtype=object)
    g_sec = np.array([c.get("primary_sector") for c in givers], dtype=object)
    same_type = (t_type[:, None] == g_type[None, :]) & (t_type[:, None] != None)
    same_sec = t_sec[:, None] == g_sec[None, :]
    return np.where(same_type, np.where(same_sec, 2.0, 1.0), 0.0)


def ranking_from_scores(S, k=K):
    """Top-k indices per row, descending score, ties by lower index."""
    order = np.lexsort((np.broadcast_to(np.arange(S.shape[1]), S.shape), -S), axis=1)
    return order[:, :k]


def evaluate(name, ranked, rel, rows):
    rows.append((name, ndcg_at_k(ranked, rel, K), recall_at_k(ranked, rel, K)))


def held_out_weights(model, ft, fg, rel, rows, label):
    """Learn criterion weights with ``fit_weights`` on half the takers, test on the other half.

    Training pairs: every (taker, giver) pair of the training half, label 1
    when relevant (> 0). Both directions are reported, each next to the
    default weights on the same test half. The model's weights are reset
    afterwards.
    """
    n = len(ft)
    perm = np.random.default_rng(0).permutation(n)
    a, b = np.sort(perm[: n // 2]), np.sort(perm[n // 2:])
    for name, train, test in (("A", a, b), ("B", b, a)):
        test_name = "B" if name == "A" else "A"
        model.weights_ = model._param_weights()
        idx, _ = model.top_k_features(ft.take(test), fg, k=K)
        rows.append((f"{label}, default weights, on {test_name}",
                     ndcg_at_k(idx, rel[test], K), recall_at_k(idx, rel[test], K)))
        t_idx = np.repeat(train, len(fg))
        g_idx = np.tile(np.arange(len(fg)), len(train))
        model.fit_weights(ft.take(t_idx), fg.take(g_idx), rel[train].ravel() > 0)
        idx, _ = model.top_k_features(ft.take(test), fg, k=K)
        rows.append((f"{label}, weights learned on {name}, on {test_name}",
                     ndcg_at_k(idx, rel[test], K), recall_at_k(idx, rel[test], K)))
        print(f"  weights learned on half {name}: "
              + ", ".join(f"{c} {w:.2f}" for c, w in model.weights_.items()))
    model.weights_ = model._param_weights()


def print_identity():
    """Part 1: the identity benchmarks, one table each."""
    cases = json.loads(DATA.read_text(encoding="utf-8"))
    for name, (queries, targets) in (("IPS halves", ips_pairs(cases)),
                                     ("Danish pairs", danish_pairs())):
        t0 = time.perf_counter()
        rows = identity_rows(queries, targets)
        print(f"\nidentity: {name}, {len(queries)} queries ({time.perf_counter() - t0:.0f} s)")
        print(f"{'method':76s}  R@1   R@10   MRR")
        for label, r1, r10, mrr in rows:
            print(f"{label:76s} {r1:.3f} {r10:.3f} {mrr:.3f}")


def main():
    print_identity()
    print("\nIPS relevance benchmark")
    takers, givers = load_cases()
    rel = relevance_matrix(takers, givers)
    print(f"cases: {len(takers)} takers, {len(givers)} givers; "
          f"{int((rel.max(axis=1) > 0).sum())} takers with a relevant giver")
    rows = []
    rng = np.random.default_rng(0)
    random_ranked = np.array([rng.permutation(len(givers))[:K] for _ in takers])
    evaluate("random", random_ranked, rel, rows)

    texts_t = [to_profile(c)["text"] for c in takers]
    texts_g = [to_profile(c)["text"] for c in givers]
    tfidf = TfidfVectorizer().fit(texts_t + texts_g)
    S = (tfidf.transform(texts_t) @ tfidf.transform(texts_g).T).toarray()
    evaluate("plain word TF-IDF (text)", ranking_from_scores(S), rel, rows)

    variants = (
        ("model, text only (default: exact sparse)", "none", {}),
        ("model, text only, LSA 256", "none", {"n_components": 256}),
        ("model + basic fields", "basic", {}),
        ("model + basic fields + technology", "tech", {}),
        ("model + fields + tech, LSA 256", "tech", {"n_components": 256}),
    )
    for label, fields, params in variants:
        pt = [to_profile(c, fields) for c in takers]
        pg = [to_profile(c, fields) for c in givers]
        t0 = time.perf_counter()
        model = SimilarityModel(**params).fit(pt + pg)
        ft, fg = model.transform(pt), model.transform(pg)
        idx, _ = model.top_k_features(ft, fg, k=K)
        evaluate(label, idx, rel, rows)
        print(f"  {label}: fit + transform + top-{K} in {time.perf_counter() - t0:.2f} s")
        if fields == "tech" and not params:
            held_out_weights(model, ft, fg, rel, rows, label)

    print(f"\n{'method':58s} nDCG@{K}  recall@{K}")
    for name, ndcg, recall in rows:
        print(f"{name:58s} {ndcg:7.3f}  {recall:8.3f}")


if __name__ == "__main__":
    main()
