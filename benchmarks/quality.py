"""Ranking quality on the JRC Innovative Public Services Explorer cases.

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


def to_profile(case, text_only=False):
    """A case as a matching profile (no ``type``: that is the label)."""
    profile = {"text": f"{case.get('name') or ''}. {case.get('description') or ''}"}
    if text_only:
        return profile
    sectors = [s for s in (case.get("primary_sector"),) if s]
    geo = case.get("geocoverage") or []
    profile.update(
        sectors=sectors or None,
        level=case.get("lead_organisation_category") or None,
        region=geo[0] if len(geo) == 1 else None,
        organisation=case.get("lead_organisation_name") or None,
    )
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


def main():
    takers, givers = load_cases()
    rel = relevance_matrix(takers, givers)
    print(f"cases: {len(takers)} takers, {len(givers)} givers; "
          f"{int((rel.max(axis=1) > 0).sum())} takers with a relevant giver")
    rows = []
    rng = np.random.default_rng(0)
    random_ranked = np.array([rng.permutation(len(givers))[:K] for _ in takers])
    evaluate("random", random_ranked, rel, rows)

    texts_t = [to_profile(c, True)["text"] for c in takers]
    texts_g = [to_profile(c, True)["text"] for c in givers]
    tfidf = TfidfVectorizer().fit(texts_t + texts_g)
    S = (tfidf.transform(texts_t) @ tfidf.transform(texts_g).T).toarray()
    evaluate("plain word TF-IDF (text)", ranking_from_scores(S), rel, rows)

    for label, text_only in (("SimilarityModel, text only", True),
                             ("SimilarityModel, text + fields", False)):
        pt = [to_profile(c, text_only) for c in takers]
        pg = [to_profile(c, text_only) for c in givers]
        t0 = time.perf_counter()
        model = SimilarityModel().fit(pt + pg)
        idx, _ = model.top_k(pt, pg, k=K)
        evaluate(f"{label}", idx, rel, rows)
        print(f"  {label}: fit + top-{K} in {time.perf_counter() - t0:.2f} s")

    print(f"\n{'method':34s} nDCG@{K}  recall@{K}")
    for name, ndcg, recall in rows:
        print(f"{name:34s} {ndcg:7.3f}  {recall:8.3f}")


if __name__ == "__main__":
    main()
