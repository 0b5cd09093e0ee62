"""Tests of SimilarityModel: text-only use, compounds, explain, top_k, sklearn API."""

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from matching import ProfileFeatures, SimilarityModel
from matching.synthetic import make_profiles
from matching.text import WordAnalyzer, collect_stems

CORPUS = [
    "pleje af ældre borgere i eget hjem",
    "ældrepleje med fokus på rehabilitering",
    "hjælp i hjemmet til borgere med handicap",
    "hjemmehjælp og madudbringning",
    "affaldssortering på genbrugsstationen",
    "digital selvbetjening for virksomheder",
    "reading programme for pupils in primary school",
    "chatbot answering citizens' questions about taxes",
    "climate adaptation of urban drainage",
    "job centre mentoring for unemployed young people",
]


@pytest.fixture(scope="module")
def model():
    return SimilarityModel().fit([{"text": t} for t in CORPUS])


@pytest.mark.parametrize(
    "language, a, b",
    [("da", "plejen", "pleje"), ("da", "rehabiliteringen", "rehabilitering"),
     ("da", "ventelisterne", "venteliste"), ("en", "services", "service"),
     ("en", "rehabilitation", "rehabilitate"), ("en", "waiting", "waits")],
)
def test_snowball_stemming_by_language(language, a, b):
    analyzer = WordAnalyzer()
    assert analyzer((a, language)) == analyzer((b, language))


def test_stemmer_follows_the_language():
    analyzer = WordAnalyzer()
    # The English stemmer leaves a Danish definite ending alone; the Danish one strips it.
    assert analyzer(("plejen", "en")) != analyzer(("pleje", "en"))
    assert analyzer(("plejen", "da")) == analyzer(("pleje", "da"))
    # Given no language, it is detected from the stop words.
    assert analyzer("plejen af de ældre") == analyzer(("plejen af de ældre", "da"))
    assert analyzer("the waiting lists of the clinics") == analyzer(
        ("the waiting lists of the clinics", "en"))


def test_compound_splitting():
    known, _ = collect_stems(CORPUS)
    analyzer = WordAnalyzer(known)
    assert {"ældr", "plej"} <= set(analyzer("ældrepleje"))
    assert {"hjem", "hjælp"} <= set(analyzer("hjemmehjælp"))
    # English words are never split into Danish parts.
    assert analyzer(("homecare", "en")) == ["homecar"]


@pytest.mark.parametrize("n_components", [None, 32])
@pytest.mark.parametrize(
    "a, b",
    [("pleje af ældre", "ældrepleje"), ("hjælp i hjemmet", "hjemmehjælp")],
)
def test_danish_compounds_score_higher_than_unrelated(a, b, n_components):
    corpus = [{"text": t} for t in CORPUS] + make_profiles(200, text_only=True)
    model = SimilarityModel(n_components=n_components).fit(corpus)
    unrelated = ["affaldssortering på genbrugsstationen", "climate adaptation of drainage"]
    S = model.score([{"text": a}], [{"text": b}] + [{"text": u} for u in unrelated])
    assert S[0, 0] > 0.2
    assert S[0, 0] > 2 * S[0, 1:].max()


def test_text_only_and_missing_keys(model):
    takers = [{"text": "ældrepleje"}, {"text": None}, {"text": "x", "sectors": None, "level": None}]
    givers = [{"text": "pleje af ældre", "region": "Sjælland"}, {}]
    S = model.score(takers, givers)
    assert S.shape == (3, 2)
    assert np.all((S >= 0) & (S <= 1))
    assert S[1].max() == 0.0


def test_structured_agreement_raises_score(model):
    base = {"text": "digital selvbetjening"}
    other = {"text": "selvbetjening digitalt"}
    plain = model.score([base], [other])[0, 0]
    same = {"sectors": ["digital"], "region": "Hovedstaden", "level": "municipality"}
    agreeing = model.score([{**base, **same}], [{**other, **same}])[0, 0]
    differing = model.score(
        [{**base, **same}],
        [{**other, "sectors": ["health"], "region": "Sjælland", "level": "state"}],
    )[0, 0]
    assert differing < plain < agreeing
    # Values never seen when fitting still agree with each other.
    new = {"sectors": ["brand-new-sector"]}
    assert model.score([{**base, **new}], [{**other, **new}])[0, 0] > plain


def test_explain_content_is_readable_and_json(model):
    taker = {"text": "Vi søger en løsning til pleje af ældre", "sectors": ["social", "health"],
             "region": "Sjælland", "level": "municipality"}
    giver = {"text": "Ældrepleje med rehabilitering", "sectors": ["Health"],
             "region": "Sjælland", "level": "region", "target_groups": ["elderly"]}
    out = model.explain(taker, giver)
    json.dumps(out)
    assert {"ældre", "pleje"} <= set(out["shared_terms"])
    assert out["shared_sectors"] == ["health"]
    assert out["shared_target_groups"] == []
    assert out["same_region"] is True
    assert out["same_level"] is False
    assert out["same_facet"] is None
    assert out["score"] == pytest.approx(model.score([taker], [giver])[0, 0], abs=1e-3)
    assert sum(out["components"].values()) == pytest.approx(out["score"], abs=2e-3)
    assert set(out["components"]) == {"text", "sectors", "region", "level"}


def test_top_k_matches_argsort_of_score():
    profiles = make_profiles(300, random_state=3)
    model = SimilarityModel(n_components=32, hubness_k=None).fit(profiles)
    takers, givers = profiles[:40], profiles[40:]
    S = model.score(takers, givers)
    idx, sc = model.top_k(takers, givers, k=7)
    assert idx.shape == sc.shape == (40, 7)
    expected = np.argsort(-S, axis=1, kind="stable")[:, :7]
    np.testing.assert_array_equal(idx, expected)
    np.testing.assert_allclose(sc, np.take_along_axis(S, expected, axis=1))


def test_top_k_features_exclusions_and_min_score():
    profiles = make_profiles(120, random_state=4)
    model = SimilarityModel(n_components=None).fit(profiles)
    q, c = model.transform(profiles[:5]), model.transform(profiles[5:])
    assert isinstance(q, ProfileFeatures) and len(c) == 115
    exclude = np.zeros(115, dtype=bool)
    exclude[:50] = True
    idx, sc = model.top_k_features(q, c, k=200, exclude=exclude, min_score=0.3,
                                   exclude_same_organisation=True)
    assert idx.shape == (5, 115)
    got = idx[idx >= 0]
    assert np.all(got >= 50)
    assert np.all(sc[idx >= 0] >= 0.3) and np.all(np.isnan(sc[idx < 0]))
    same_org = model.same_organisation(profiles[:5], profiles[5:])
    for r in range(5):
        assert not same_org[r, idx[r][idx[r] >= 0]].any()
    one = model.top_k_features(q.take([2]), c, k=3)[0]
    np.testing.assert_array_equal(one[0], model.top_k_features(q, c, k=3)[0][2])


def test_sklearn_conventions(model):
    params = model.get_params()
    assert params["text_weight"] == 1.0
    cloned = clone(model)
    assert not hasattr(cloned, "weights_")
    with pytest.raises(NotFittedError):
        cloned.score([{"text": "a"}], [{"text": "b"}])
    cloned.set_params(sector_weight=0.0, text_weight=2.0)
    cloned.fit([{"text": t} for t in CORPUS])
    assert cloned.weights_["text"] == 2.0 and cloned.weights_["sectors"] == 0.0


def test_fit_weights_learns_from_decisions():
    rng = np.random.default_rng(0)
    profiles = make_profiles(200, random_state=5)
    model = SimilarityModel(n_components=None).fit(profiles)
    takers = [profiles[i] for i in rng.integers(0, 200, 300)]
    givers = [profiles[i] for i in rng.integers(0, 200, 300)]
    comps = model.pair_components(takers, givers)
    labels = (comps[:, 1] > 0.5).astype(int)  # decisions follow sector overlap only
    model.fit_weights(takers, givers, labels)
    assert model.weights_["sectors"] == 1.0
    assert model.weights_["sectors"] > model.weights_["region"]
    assert set(model.learned_params()) >= {"sector_weight", "text_weight"}


def test_fit_rejects_bad_input():
    with pytest.raises(ValueError):
        SimilarityModel().fit([])
    # No text at all is not an error (structured fields may still be compared): all text is 0.
    empty = SimilarityModel().fit([{"text": ""}])
    assert empty.score([{"text": "a b"}], [{"text": "a b"}])[0, 0] == 0.0
    with pytest.raises(TypeError):
        SimilarityModel().fit(["just text"])
