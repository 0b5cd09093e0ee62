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


def test_lsa_projection_is_stored_for_copy_free_transform():
    profiles = make_profiles(600, random_state=5)
    model = SimilarityModel(n_components=16).fit(profiles)
    # x @ components_.T must not copy the projection on every transform
    assert model.svd_.components_.T.flags["C_CONTIGUOUS"]
    x = model._join(model.word_vectorizer_.transform([p["text"] for p in profiles[:5]]),
                    model.char_vectorizer_.transform([p["text"] for p in profiles[:5]]))
    reference = x.toarray() @ np.asarray(model.svd_.components_, order="C").T
    np.testing.assert_allclose(model.svd_.transform(x), reference, rtol=1e-4, atol=1e-5)


def test_explain_with_precomputed_features_is_the_same():
    profiles = make_profiles(120, random_state=6)
    model = SimilarityModel().fit(profiles)
    taker, giver = profiles[0], profiles[1]
    features = model.transform([taker]), model.transform([giver])
    assert model.explain(taker, giver, features=features) == model.explain(taker, giver)


def test_surface_analysis_cache_gives_the_same_terms():
    profiles = make_profiles(120, random_state=7)
    model = SimilarityModel().fit(profiles)
    analyzer = model.word_vectorizer_.analyzer
    text = ("Ældrepleje og pleje af ældre; hjemmehjælp og hjemmehjælpen. " + profiles[3]["text"],
            "da")
    first = analyzer.analyse_with_surface(text)
    assert analyzer.analyse_with_surface(text) == first  # second time from the word cache
    fresh = type(analyzer)(analyzer.known_stems, analyzer.min_part, analyzer.min_compound)
    assert fresh.analyse_with_surface(text) == first
    assert ("ældr", "ældre", True) in first  # the whole word
    split = type(analyzer)({"ældr", "plej"}).analyse_with_surface(text)
    assert ("ældr", "ældre", False) in split  # the part of "ældrepleje"


def _shared_terms_reference(model, taker_text, giver_text, n_terms=10):
    """shared_terms from the uncached (stem, surface, whole) lists: no per-text maps."""
    analyzer = model.word_vectorizer_.analyzer
    taker = analyzer.analyse_with_surface(taker_text or "")
    giver = analyzer.analyse_with_surface(giver_text or "")
    whole_t = {s: w for s, w, whole in taker if whole}
    whole_g = {s: w for s, w, whole in giver if whole}
    shown = {s: whole_t[s] for s in whole_t if s in {g for g, _, _ in giver}}
    for s, w in whole_g.items():
        if s in {t for t, _, _ in taker}:
            shown.setdefault(s, w)
    vocab = model.word_vectorizer_.vocabulary_ or {}
    idf = model.word_vectorizer_.idf_
    max_idf = float(idf.max())

    def weight(stem):
        return float(idf[vocab[stem]]) if stem in vocab else max_idf

    out = []
    for stem in sorted(shown, key=lambda s: (-weight(s), shown[s])):
        if len(shown[stem]) >= 3 and shown[stem] not in out:
            out.append(shown[stem])
    return out[:n_terms]


def test_stem_surface_maps_give_the_same_shared_terms():
    from matching.explain import shared_terms

    profiles = make_profiles(150, random_state=8)
    model = SimilarityModel().fit(profiles)
    analyzer = model.word_vectorizer_.analyzer
    texts = [p["text"] for p in profiles[:40]] + [
        "Ældrepleje og pleje af ældre; hjemmehjælp og hjemmehjælpen.", "", "pleje"]
    model.prepare_explain([{"text": t} for t in texts[::2]])  # half of them analysed ahead
    for t in texts:
        terms = analyzer.stem_surfaces((t, None))
        triples = analyzer.analyse_with_surface(t)
        assert terms.words == {s: w for s, w, whole in triples if whole}
        assert terms.parts == {s for s, _, whole in triples if not whole}
    for a, b in zip(texts, texts[1:] + texts[:1]):
        for n in (3, 10):
            assert shared_terms(model, a, b, n) == _shared_terms_reference(model, a, b, n)


@pytest.mark.parametrize("n_components", [None, 16])
def test_explain_many_equals_explain_of_each_pair(n_components):
    profiles = make_profiles(600, random_state=9)
    for i, p in enumerate(profiles):  # vary which criteria are known
        if i % 4 == 0:
            p["region"] = None
        if i % 5 == 0:
            p["sectors"] = None
    model = SimilarityModel(n_components=n_components).fit(profiles)
    takers, givers = profiles[:25], profiles[300:325]
    features = model.transform(takers), model.transform(givers)
    batch = model.explain_many(takers, givers, features=features)
    assert batch == [model.explain(t, g) for t, g in zip(takers, givers)]
    assert model.explain_many(takers, givers) == batch
    assert model.explain_many([], []) == []


@pytest.mark.parametrize("n_components", [None, 16])
def test_top_k_table_rows_equal_single_queries(n_components):
    # A suggestion index ranks every profile's partners at once (chunked products); each row
    # must be what the profile alone would get, and a prefix of it the top of a smaller k.
    profiles = make_profiles(600, random_state=10)
    for i, p in enumerate(profiles):
        p["organisation"] = i % 7
    model = SimilarityModel(n_components=n_components).fit(profiles)
    takers, givers = model.transform(profiles[:300]), model.transform(profiles[300:])
    idx, scores = model.top_k_features(takers, givers, k=55, exclude_same_organisation=True)
    for row in range(0, 300, 7):
        for k in (15, 55):
            one_idx, one_scores = model.top_k_features(takers.take([row]), givers, k=k,
                                                       exclude_same_organisation=True)
            np.testing.assert_array_equal(idx[row, :k], one_idx[0])
            np.testing.assert_allclose(scores[row, :k], one_scores[0], atol=1e-6)
    assert (idx >= 0).all()
    organisations = np.array([p["organisation"] for p in profiles])
    assert not (organisations[300 + idx] == organisations[:300, None]).any()
