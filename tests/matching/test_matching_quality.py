"""Tests of reasons, bad input, the sketch shortlist and hubness reduction."""

import json

import numpy as np
import pytest

from matching import SimilarityModel
from matching.language import FILLER_WORDS, STOP_WORDS, detect_language
from matching.scoring import reduce_hubness
from matching.synthetic import make_profiles

# Words with no meaning in a match, and fragments a compound splitter could leave.
NEVER_REASONS = {
    "bor", "gang", "gerne", "kommune", "kommunen", "tiden", "ren", "met", "pr", "ca", "ser",
    "three", "day", "years", "og", "the", "af", "ældr", "plej", "genoptræn", "rehabiliter",
}

TAKER = {
    "text": ("Vi er en kommune, hvor borgere der bor alene gerne vil have genoptræning, men "
             "ventelisterne til rehabilitering er lange: ca. tre måneder pr. borger. Det ser "
             "ud til, at det tager tiden, og de får ren besked én gang om ugen."),
    "language": "da",
}
GIVER = {
    "text": ("I kommunen har vi afskaffet ventelisten til rehabilitering: borgere der bor i "
             "eget hjem får genoptræningen samme uge, og de ser en terapeut hver gang. Vi vil "
             "gerne dele metoden; det tog ca. et år, pr. måned tre nye hold."),
    "language": "da",
}


@pytest.fixture(scope="module")
def model():
    corpus = make_profiles(300, random_state=11, text_only=True)
    return SimilarityModel().fit(corpus + [TAKER, GIVER])


def test_reasons_are_meaningful_whole_words(model):
    out = model.explain(TAKER, GIVER)
    terms = out["shared_terms"]
    assert {"rehabilitering", "genoptræning", "ventelisterne"} <= set(terms)
    assert not set(terms) & NEVER_REASONS
    assert not set(terms) & STOP_WORDS
    words = set(TAKER["text"].lower().replace(",", " ").replace(".", " ").split()) | set(
        GIVER["text"].lower().replace(",", " ").replace(".", " ").replace(";", " ").split())
    assert all(t in words for t in terms)  # as written in one of the texts
    assert out["comparable"] is True


def test_compound_part_is_shown_as_the_whole_word():
    corpus = [{"text": t, "language": "da"} for t in (
        "pleje af ældre borgere", "ældrepleje i hjemmet", "affald og genbrug", "skole og læsning")]
    model = SimilarityModel().fit(corpus)
    terms = model.explain(*[{"text": "ældrepleje", "language": "da"},
                            {"text": "pleje af ældre", "language": "da"}])["shared_terms"]
    assert set(terms) == {"pleje", "ældre"}


def test_filler_words_are_also_no_features():
    assert {"kommune", "gerne", "ca", "pr", "tiden", "three", "day", "years"} <= FILLER_WORDS
    model = SimilarityModel().fit([{"text": "kommune gerne tiden ældrepleje"},
                                   {"text": "affald i kommunen"}])
    assert set(model.word_vectorizer_.vocabulary_) == {"ældrepleje", "affald"}


@pytest.mark.parametrize("tokens, language", [
    ("we have long waiting lists for rehabilitation in the municipality", "en"),
    ("vi har lange ventelister til genoptræning i kommunen", "da"),
    ("wir haben lange wartelisten für die rehabilitation", None),
    ("", None),
])
def test_language_detection(tokens, language):
    assert detect_language(tokens.split()) == language


BAD = [
    {"text": ""},
    {"text": None},
    {"text": "rehabilitering"},
    {"text": "Wir haben lange Wartelisten für die Rehabilitation älterer Menschen."},
    {"text": ("ventelister rehabilitering " * 3000) + "x" * 20000},
    {"text": "", "sectors": ["health"], "region": "Sjælland"},
    {"sectors": ["health"], "level": "municipality"},
    {"text": "12345 !!! ???", "language": "fr"},
]


@pytest.mark.parametrize("bad", BAD)
def test_bad_input_gives_a_result(model, bad):
    others = [TAKER, GIVER, {"text": ""}]
    S = model.score([bad], others)
    assert S.shape == (1, 3) and np.all((S >= 0) & (S <= 1))
    idx, _ = model.top_k([bad], others, k=3)
    assert idx.shape == (1, 3)
    for other in others:
        out = model.explain(bad, other)
        json.dumps(out)
        assert 0.0 <= out["score"] <= 1.0
        assert isinstance(out["comparable"], bool)


def test_not_comparable_is_flagged(model):
    assert model.explain({"text": ""}, GIVER)["comparable"] is False
    assert model.explain({"text": "!!!"}, {"text": ""})["comparable"] is False
    fields = {"text": "", "sectors": ["health"]}
    assert model.explain(fields, {"text": "", "sectors": ["social"]})["comparable"] is True


def test_fit_on_profiles_without_text():
    model = SimilarityModel().fit([{"text": ""}, {"sectors": ["health"]}])
    S = model.score([{"sectors": ["health"]}], [{"sectors": ["health"]}, {"text": "x"}])
    assert S[0, 0] > S[0, 1]


@pytest.mark.parametrize("shortlist", [10_000, 25])
def test_shortlist_top_k_equals_exact(shortlist):
    profiles = make_profiles(900, random_state=12)
    model = SimilarityModel(sketch_components=32, shortlist_size=shortlist).fit(profiles)
    q, c = model.transform(profiles[:60]), model.transform(profiles[60:])
    exclude = np.zeros((60, 840), dtype=bool)
    exclude[:, ::7] = True
    options = {"k": 10, "exclude": exclude, "exclude_same_organisation": True,
               "min_score": 0.05}
    exact_idx, exact_sc = model.top_k_features(q, c, **options)
    model.set_params(exact_max_candidates=0)
    fast_idx, fast_sc = model.top_k_features(q, c, **options)
    if shortlist >= len(c):  # everything re-ranked: the exact ranking
        np.testing.assert_allclose(fast_sc, exact_sc, atol=1e-5)
        same = np.isclose(fast_sc, exact_sc, atol=1e-5)
        assert (fast_idx[same] == exact_idx[same]).mean() > 0.97  # only near-ties may swap
    else:  # a shortlist of 25 finds most of the exact top 10, and scores them exactly
        found = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(fast_idx, exact_idx)])
        assert found > 0.8
        S = model.score_features(q, c)
        rows = np.arange(60)[:, None]
        np.testing.assert_allclose(fast_sc, S[rows, fast_idx], atol=1e-5)
    assert not exclude[np.arange(60)[:, None], fast_idx].any()


def test_reduce_hubness_demotes_a_hub():
    rng = np.random.default_rng(0)
    S = rng.uniform(0.0, 0.4, size=(30, 20))
    S[np.arange(20), np.arange(20)] = 0.6  # each of the first 20 rows has its own partner
    S[:, 5] = 0.65  # column 5 matches everybody a little better than their partner
    plain = S.argmax(axis=1)
    reduced = reduce_hubness(S, 5)
    assert (plain[:20] == 5).all()
    np.testing.assert_array_equal(reduced[:20].argmax(axis=1), np.arange(20))
    assert reduced.shape == S.shape and reduced.min() >= 0 and reduced.max() <= 1
    # Ranking within a row only depends on the column penalty: a constant shift per row.
    row_shift = reduced[25] - S[25]
    assert np.ptp(row_shift - (-np.partition(S, 25, axis=0)[25:].mean(axis=0) / 2)) < 1e-9


def test_score_uses_hubness_reduction_and_can_turn_it_off():
    profiles = make_profiles(200, random_state=13, text_only=True)
    plain = SimilarityModel(hubness_k=None).fit(profiles)
    csls = SimilarityModel().fit(profiles)
    takers, givers = profiles[:50], profiles[50:]
    np.testing.assert_allclose(csls.score(takers[:1], givers[:1]),
                               plain.score(takers[:1], givers[:1]))  # one pair: plain
    np.testing.assert_allclose(csls.score(takers, givers),
                               reduce_hubness(plain.score(takers, givers), 5))
