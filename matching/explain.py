"""Readable, per-criterion reasons for one giver–taker score."""

import logging

import numpy as np

from . import scoring
from .features import value_key
from .language import language_of

logger = logging.getLogger(__name__)

__all__ = ["explain_pair", "explain_pairs", "shared_terms"]


def shared_terms(model, taker_doc, giver_doc, n_terms=10):
    """Meaningful words the two texts share, most specific (highest IDF) first.

    Terms are matched on stems, so "rehabiliteringen" and "rehabilitering" match, and a
    word of one text also matches a Danish compound part of the other ("ældre" and
    "ældrepleje"). Each term is shown as a whole word as written in one of the texts
    (the taker's first), never as a stem or a compound fragment; stop words, domain
    filler words and words of fewer than three letters are never terms.

    Parameters
    ----------
    model : SimilarityModel
        A fitted model.
    taker_doc, giver_doc : str or (str, language)
        The two texts, optionally with their language ("da", "en").
    n_terms : int, default=10
        At most this many terms.

    Returns
    -------
    list of str
    """
    analyzer = model.word_vectorizer_.analyzer
    taker = analyzer.stem_surfaces(_doc(taker_doc))
    giver = analyzer.stem_surfaces(_doc(giver_doc))
    shown = {}
    for stem in taker.words.keys() & (giver.words.keys() | giver.parts):
        shown[stem] = taker.words[stem]
    for stem in giver.words.keys() & taker.parts:
        shown.setdefault(stem, giver.words[stem])
    vocab = model.word_vectorizer_.vocabulary_ or {}
    idf = model.word_vectorizer_.idf_ if vocab else None
    max_idf = float(idf.max()) if idf is not None else 1.0

    def weight(stem):
        return float(idf[vocab[stem]]) if stem in vocab else max_idf

    ranked = sorted(shown, key=lambda s: (-weight(s), shown[s]))
    out, seen = [], set()
    for stem in ranked:
        word = shown[stem]
        if len(word) >= 3 and word not in seen:
            seen.add(word)
            out.append(word)
        if len(out) >= n_terms:
            break
    return out


def _doc(doc):
    """A text or ``(text, language)`` as the analyzer's cache key ``(text, language)``."""
    text, language = doc if isinstance(doc, tuple) else (doc, None)
    return ("" if text is None else str(text), language_of(language))


def _has_text(features):
    """Whether each profile's text vector is non-zero."""
    text = features.vectors[:, :features.n_text]
    if hasattr(text, "getnnz"):
        return np.asarray(text.getnnz(axis=1) > 0)
    return np.any(text != 0, axis=1)


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


def explain_pair(model, taker, giver, n_terms=10, features=None):
    """Reasons for the score of one pair (see :meth:`SimilarityModel.explain`).

    Parameters
    ----------
    model : SimilarityModel
        A fitted model.
    taker, giver : dict
        Profiles.
    n_terms : int, default=10
        At most this many shared terms.
    features : tuple of ProfileFeatures, optional
        The two profiles already transformed (one row each).

    Returns
    -------
    dict
        JSON-serialisable explanation.
    """
    return explain_pairs(model, [taker], [giver], n_terms=n_terms, features=features)[0]


def explain_pairs(model, takers, givers, n_terms=10, features=None):
    """Reasons for aligned pairs ``(takers[i], givers[i])``, in one batch.

    The same dicts as :func:`explain_pair` of each pair; the per-criterion agreements of all
    pairs come from one vectorised pass.

    Parameters
    ----------
    model : SimilarityModel
        A fitted model.
    takers, givers : list of dict
        Profiles, same length.
    n_terms : int, default=10
        At most this many shared terms per pair.
    features : tuple of ProfileFeatures, optional
        The profiles already transformed (``len(takers)`` rows each, aligned).

    Returns
    -------
    list of dict
    """
    if len(takers) != len(givers):
        raise ValueError("takers and givers must have the same length (aligned pairs)")
    if not takers:
        return []
    if features is None:
        features = model.transform(takers), model.transform(givers)
    a, b = features
    agree, known = scoring.pair_components(a, b, model.field_encoder_.blocks_)
    w = model.scoring_weights()
    weights = model.weights_
    # Comparable: both texts have content to compare, or some criterion is known on both.
    comparable = _has_text(a) & _has_text(b)
    for field in scoring.CRITERIA[1:]:
        comparable |= known[field]
    results = []
    for i, (taker, giver) in enumerate(zip(takers, givers)):
        # One 1 x 1 block per pair, exactly as a single pair is scored.
        score = float(scoring.score_block(a.take([i]), b.take([i]), w)[0, 0])
        den = sum(weights[c] for c in scoring.CRITERIA if known[c][i])
        components = {}
        for c in scoring.CRITERIA:
            if known[c][i] and weights[c] > 0 and den > 0:
                components[c] = round(weights[c] * float(agree[c][i]) / den, 4)

        def same(field, i=i):
            return bool(agree[field][i]) if known[field][i] else None

        out = {
            "score": round(score, 4),
            "text": round(float(agree["text"][i]), 4),
            "comparable": bool(comparable[i]),
            "shared_terms": shared_terms(
                model, (taker.get("text"), taker.get("language")),
                (giver.get("text"), giver.get("language")), n_terms,
            ),
        }
        for field in ("sectors", "target_groups"):
            out[f"shared_{field}"] = _shared_values(taker.get(field), giver.get(field))
        out["same_region"] = same("region")
        out["same_level"] = same("level")
        out["same_facet"] = same("facet")
        out["components"] = components
        results.append(out)
    return results
