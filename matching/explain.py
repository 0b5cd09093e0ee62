"""Readable, per-criterion reasons for one giver–taker score."""

import logging

from . import scoring
from .features import value_key

logger = logging.getLogger(__name__)

__all__ = ["explain_pair", "shared_terms"]


def shared_terms(model, taker_text, giver_text, n_terms=10):
    """Words (or compound parts) the two texts share, most specific first.

    Terms are matched on stems, so "pleje af ældre" and "ældrepleje" share
    "ældre" and "pleje". Each term is shown as a word that occurs in one of
    the texts (the taker's wording first).

    Parameters
    ----------
    model : SimilarityModel
        A fitted model.
    taker_text, giver_text : str
        The two texts.
    n_terms : int, default=10
        At most this many terms.

    Returns
    -------
    list of str
    """
    analyzer = model.word_vectorizer_.analyzer
    taker = analyzer.analyse_with_surface(taker_text or "")
    giver = analyzer.analyse_with_surface(giver_text or "")
    surface = {}
    for stem, word in giver + taker:  # taker's wording wins
        surface[stem] = word
    common = {s for s, _ in taker} & {s for s, _ in giver}
    vocab = model.word_vectorizer_.vocabulary_ or {}
    idf = model.word_vectorizer_.idf_ if vocab else None
    max_idf = float(idf.max()) if idf is not None else 1.0

    def weight(stem):
        return float(idf[vocab[stem]]) if stem in vocab else max_idf

    ranked = sorted(common, key=lambda s: (-weight(s), surface[s]))
    # Drop a whole compound when its parts are listed too? Keep both: the
    # compound is the most specific term. Only deduplicate surface forms.
    out, seen = [], set()
    for stem in ranked:
        word = surface[stem]
        if word not in seen:
            seen.add(word)
            out.append(word)
        if len(out) >= n_terms:
            break
    return out


def _shared_values(a, b):
    if a is None or b is None:
        return []
    if isinstance(a, (str, int, float)):
        a = [a]
    if isinstance(b, (str, int, float)):
        b = [b]
    keys_b = {value_key(v) for v in b}
    out, seen = [], set()
    for v in a:
        key = value_key(v)
        if key is not None and key in keys_b and key not in seen:
            seen.add(key)
            out.append(v if isinstance(v, (str, int, float)) else str(v))
    return out


def explain_pair(model, taker, giver, n_terms=10):
    """Reasons for the score of one pair (see :meth:`SimilarityModel.explain`).

    Parameters
    ----------
    model : SimilarityModel
        A fitted model.
    taker, giver : dict
        Profiles.
    n_terms : int, default=10
        At most this many shared terms.

    Returns
    -------
    dict
        JSON-serialisable explanation.
    """
    a, b = model.transform([taker]), model.transform([giver])
    agree, known = scoring.pair_components(a, b, model.field_encoder_.blocks_)
    score = float(scoring.score_block(a, b, model.scoring_weights())[0, 0])
    weights = model.weights_
    den = sum(weights[c] for c in scoring.CRITERIA if known[c][0])
    components = {}
    for c in scoring.CRITERIA:
        if known[c][0] and weights[c] > 0 and den > 0:
            components[c] = round(weights[c] * float(agree[c][0]) / den, 4)

    def same(field):
        return bool(agree[field][0]) if known[field][0] else None

    out = {
        "score": round(score, 4),
        "text": round(float(agree["text"][0]), 4),
        "shared_terms": shared_terms(model, taker.get("text"), giver.get("text"), n_terms),
    }
    for field in ("sectors", "target_groups"):
        out[f"shared_{field}"] = _shared_values(taker.get(field), giver.get(field))
    out["same_region"] = same("region")
    out["same_level"] = same("level")
    out["same_facet"] = same("facet")
    out["components"] = components
    return out
