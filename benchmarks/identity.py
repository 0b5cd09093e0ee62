"""Identity-style retrieval: each query must find its own partner among all targets.

Two sets: the IPS Explorer cases split in two (name + first half of the description as the
query, the rest as its target; read at run time from ``../shared/data``), and a small
hand-written Danish set (``benchmarks/danish_pairs.json``: a problem and a paraphrased
solution per pair). Scores: R@1, R@10 and MRR of the true partner.
"""

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from matching import SimilarityModel

DANISH = Path(__file__).resolve().parent / "danish_pairs.json"
MIN_WORDS = 30


def ips_pairs(cases):
    """(query, target) profiles per case with at least ``MIN_WORDS`` description words."""
    queries, targets = [], []
    for case in cases:
        words = (case.get("description") or "").split()
        if len(words) < MIN_WORDS:
            continue
        half = len(words) // 2
        queries.append({"text": f"{case.get('name') or ''}. {' '.join(words[:half])}",
                        "language": "en"})
        targets.append({"text": " ".join(words[half:]), "language": "en"})
    return queries, targets


def danish_pairs(path=DANISH):
    """(problem, solution) profiles of the hand-written Danish set."""
    pairs = json.loads(Path(path).read_text(encoding="utf-8"))
    return ([{"text": p["problem"]} for p in pairs], [{"text": p["solution"]} for p in pairs])


def identity_scores(S):
    """R@1, R@10 and MRR of the diagonal of a (queries x targets) score matrix."""
    own = np.diag(S)[:, None]
    rank = (S > own).sum(axis=1) + 1  # ties count in the query's favour
    return float(np.mean(rank <= 1)), float(np.mean(rank <= 10)), float(np.mean(1.0 / rank))


def plain_tfidf(queries, targets):
    """Plain word TF-IDF (sklearn defaults), fitted on both sides."""
    tq, tt = [p["text"] for p in queries], [p["text"] for p in targets]
    vec = TfidfVectorizer().fit(tq + tt)
    return (vec.transform(tq) @ vec.transform(tt).T).toarray()


def word_char_tfidf(queries, targets):
    """Exact word + char_wb (3-5) TF-IDF, sublinear tf, the two halves weighted equally."""
    tq, tt = [p["text"] for p in queries], [p["text"] for p in targets]
    parts = []
    for vec in (TfidfVectorizer(sublinear_tf=True),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)):
        vec.fit(tq + tt)
        parts.append((vec.transform(tq), vec.transform(tt)))
    q = normalize(sp.hstack([p[0] for p in parts], format="csr"))
    t = normalize(sp.hstack([p[1] for p in parts], format="csr"))
    return (q @ t.T).toarray()


def model_scores(queries, targets, **params):
    """``SimilarityModel(**params).fit(queries + targets).score(queries, targets)``."""
    model = SimilarityModel(**params).fit(queries + targets)
    return model.score(queries, targets)


def model_top_k_ranks(queries, targets, k=10, **params):
    """R@1, R@10, MRR@k of the model's top_k (uses the shortlist path when params force it)."""
    model = SimilarityModel(**params).fit(queries + targets)
    idx, _ = model.top_k(queries, targets, k=k)
    hit = idx == np.arange(len(queries))[:, None]
    rank = np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, np.inf)
    return float(np.mean(rank <= 1)), float(np.mean(rank <= 10)), float(np.mean(1.0 / rank))


def identity_rows(queries, targets):
    """(method, R@1, R@10, MRR) for the baselines and the model variants."""
    rows = [("plain word TF-IDF (sklearn defaults)", *identity_scores(plain_tfidf(queries, targets))),
            ("exact word+char TF-IDF", *identity_scores(word_char_tfidf(queries, targets)))]
    variants = (
        ("SimilarityModel() default (exact sparse + CSLS k=5)", {}),
        ("  hubness_k=None (exact sparse cosine, no CSLS)", {"hubness_k": None}),
        ("  hubness_k=10", {"hubness_k": 10}),
        ("  hubness_k=20", {"hubness_k": 20}),
        ("  n_components=256 (LSA, the old default), no CSLS", {"n_components": 256,
                                                              "hubness_k": None}),
        ("  compound_splitting=False", {"compound_splitting": False}),
        ("  compound_splitting=False, no CSLS", {"compound_splitting": False,
                                                 "hubness_k": None}),
        ("  word_share=0.3", {"word_share": 0.3}),
        ("  word_share=0.7", {"word_share": 0.7}),
    )
    for label, params in variants:
        rows.append((label, *identity_scores(model_scores(queries, targets, **params))))
    rows.append(("  top_k, sketch shortlist forced (exact_max_candidates=0), MRR@10",
                 *model_top_k_ranks(queries, targets, exact_max_candidates=0)))
    rows.append(("  top_k, exact (no CSLS), MRR@10", *model_top_k_ranks(queries, targets)))
    return rows
