"""The fast paths give the same results as the straightforward computations."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from matching import SimilarityModel
from matching.scoring import score_block
from matching.synthetic import make_profiles
from matching.text import CharNgramVectorizer, char_wb_ngrams, normalise

TEXTS = [p["text"] for p in make_profiles(300, random_state=3)] + [
    "", "a", "ab  c!d  ÆBLE-pleje", "x" * 12, "ældrepleje og hjemmehjælp",
]


def test_char_wb_ngrams_short_word_counted_once():
    assert char_wb_ngrams("a", 3, 5) == [" a "]
    assert char_wb_ngrams("ab", 3, 5) == [" ab", "ab ", " ab "]


def _sklearn(**kw):
    return TfidfVectorizer(
        analyzer="char_wb", preprocessor=normalise, ngram_range=(3, 5), sublinear_tf=True,
        dtype=np.float32, **kw,
    )


@pytest.mark.parametrize("max_features", [None, 2000])
def test_char_vectorizer_matches_sklearn(max_features):
    ours = CharNgramVectorizer((3, 5), max_features=max_features)
    fitted = ours.fit_transform(TEXTS)
    full = _sklearn().fit(TEXTS)
    if max_features is None:
        assert ours.vocabulary_ == full.vocabulary_
    else:  # the most frequent n-grams (sklearn breaks ties at the cut-off differently)
        assert len(ours.vocabulary_) == max_features
        totals = dict(zip(full.get_feature_names_out(),
                          np.asarray(_counts(full, TEXTS).sum(axis=0)).ravel()))
        kept = [totals[g] for g in ours.vocabulary_]
        dropped = [t for g, t in totals.items() if g not in ours.vocabulary_]
        assert min(kept) >= max(dropped)
    ref = _sklearn(vocabulary=ours.vocabulary_).fit(TEXTS)
    np.testing.assert_allclose(ours.idf_, ref.idf_, rtol=1e-6)
    np.testing.assert_allclose(fitted.toarray(), ref.transform(TEXTS).toarray(), atol=1e-6)
    new = ["unseen wørds and ældrepleje", "", "pleje"]
    # twice: the second call uses the per-word cache
    for _ in range(2):
        np.testing.assert_allclose(
            ours.transform(new).toarray(), ref.transform(new).toarray(), atol=1e-6
        )


def _counts(vectorizer, texts):
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(analyzer=vectorizer.build_analyzer(),
                           vocabulary=vectorizer.vocabulary_).transform(texts)


def test_score_block_uniform_and_mixed_known_agree():
    profiles = make_profiles(60, random_state=4)
    model = SimilarityModel(n_components=None).fit(profiles)
    mixed = [dict(p) for p in profiles[:20]]
    for i, p in enumerate(mixed):  # vary which criteria are known
        if i % 2:
            p["sectors"] = None
        if i % 3:
            p["region"] = None
    a = model.transform(profiles[20:40])
    w = model.scoring_weights()
    for b in (model.transform(mixed), model.transform(profiles[40:60])):
        s = score_block(a, b, w)
        # reference: the weighted-mean formula, pair by pair
        ref = np.empty_like(s)
        for i in range(len(a)):
            for j in range(len(b)):
                ai, bj = a.take([i]), b.take([j])
                num = (ai.vectors.multiply(w.columns) @ bj.vectors.T).toarray()[0, 0]
                den = w.text + ((ai.known * w.known) @ bj.known.T)[0, 0]
                ref[i, j] = min(max(num / den, 0.0), 1.0)
        np.testing.assert_allclose(s, ref, atol=1e-5)
