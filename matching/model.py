"""The giver–taker similarity model (a scikit-learn estimator)."""

import logging

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from . import scoring
from .explain import explain_pair, explain_pairs
from .features import FieldEncoder, ProfileFeatures, equal_codes
from .language import language_of
from .text import CharNgramVectorizer, WordAnalyzer, collect_stems, most_common_surface

logger = logging.getLogger(__name__)

__all__ = ["SimilarityModel"]

_WEIGHT_PARAMS = {
    "text": "text_weight",
    "sectors": "sector_weight",
    "target_groups": "target_group_weight",
    "region": "region_weight",
    "level": "level_weight",
    "facet": "facet_weight",
}


class SimilarityModel(BaseEstimator):
    """Score how well givers fit takers, from profile text and structured fields.

    Text similarity is the exact cosine of sparse TF-IDF vectors that join
    word stems (Snowball stemmers chosen by each profile's language, stop and
    filler words removed, Danish compounds split into parts known from the
    fitted texts) and character n-grams within word boundaries (which also
    catch compounds and spelling variants). Among many candidates (more than
    ``exact_max_candidates``) a dense LSA sketch shortlists
    ``shortlist_size`` candidates per query, which are then ranked on the
    exact vectors. Structured fields add agreement criteria: sector and
    target-group overlap, same region, same level, same facet.

    A pair's score is the weighted mean of the criteria known on both sides
    (text always counts), so a text-only profile is scored on text alone.
    Scores lie in [0, 1]; higher is a better fit.

    Profiles are dicts with ``text`` (str) and optional ``sectors`` (list),
    ``target_groups`` (list), ``facet``, ``level``, ``region``,
    ``organisation``, ``language`` ("da" or "en"; detected from the text when
    missing); missing keys and None values are fine.

    Parameters
    ----------
    text_weight : float, default=1.0
        Weight of text similarity.
    sector_weight : float, default=0.3
        Weight of sector overlap.
    target_group_weight : float, default=0.2
        Weight of target-group overlap.
    region_weight : float, default=0.05
        Weight of being in the same region.
    level_weight : float, default=0.1
        Weight of the same level of government.
    facet_weight : float, default=0.2
        Weight of the same OPSI facet.
    word_share : float, default=0.5
        Share of word-stem similarity in the text similarity; the rest is
        character n-gram similarity.
    char_ngram_range : tuple of int, default=(3, 5)
        Character n-gram sizes (``char_wb``).
    n_components : int or None, default=None
        LSA dimensions replacing the text vectors (scores are then LSA
        cosines). None keeps the exact sparse TF-IDF cosine; so does a fit on
        fewer than ``2 * n_components`` profiles.
    sketch_components : int or None, default=128
        Dimensions of the dense LSA sketch used only to shortlist candidates
        (with ``n_components=None``); None keeps no sketch (always exact).
    shortlist_size : int, default=40
        Candidates per query ranked exactly after the sketch shortlist (at
        least ``k``).
    exact_max_candidates : int, default=10000
        Up to this many candidates every candidate is scored exactly.
    hubness_k : int or None, default=5
        :meth:`score` of two whole sides reduces hubness (CSLS over each
        profile's ``hubness_k`` best partners, see
        :func:`matching.scoring.reduce_hubness`) when both sides have more
        than ``hubness_k`` profiles; None turns it off. ``top_k``,
        ``top_k_features``, ``score_features`` and ``explain`` give the plain
        pair scores.
    svd_max_samples : int, default=20000
        At most this many (randomly chosen) profiles are used to fit the SVD.
    compound_splitting : bool, default=True
        Whether Danish words are also split into known compound parts.
    max_char_features : int or None, default=300000
        Cap on the character n-gram vocabulary (most frequent first).
    random_state : int, RandomState instance or None, default=0
        Seed for the SVD and its subsample.

    Attributes
    ----------
    word_vectorizer_ : TfidfVectorizer
        Word-stem TF-IDF.
    char_vectorizer_ : matching.text.CharNgramVectorizer
        Character n-gram TF-IDF (n-grams computed once per distinct word).
    svd_ : TruncatedSVD or None
        The LSA projection, None when vectors stay sparse.
    sketch_svd_ : TruncatedSVD or None
        The projection of the shortlist sketch, None without one.
    field_encoder_ : FieldEncoder
        Encoder of the structured fields.
    surface_forms_ : dict of str to str
        Most frequent word per stem, for readable explanations.
    weights_ : dict of str to float
        Weight per criterion in use (from the parameters, or learned by
        :meth:`fit_weights`).

    Examples
    --------
    >>> model = SimilarityModel().fit(profiles)                 # doctest: +SKIP
    >>> givers_f = model.transform(givers)                      # precompute once
    >>> idx, sc = model.top_k_features(model.transform([me]), givers_f, k=10)
    """

    def __init__(
        self,
        text_weight=1.0,
        sector_weight=0.3,
        target_group_weight=0.2,
        region_weight=0.05,
        level_weight=0.1,
        facet_weight=0.2,
        word_share=0.5,
        char_ngram_range=(3, 5),
        n_components=None,
        sketch_components=128,
        shortlist_size=40,
        exact_max_candidates=10000,
        hubness_k=5,
        svd_max_samples=20000,
        compound_splitting=True,
        max_char_features=300000,
        random_state=0,
    ):
        self.text_weight = text_weight
        self.sector_weight = sector_weight
        self.target_group_weight = target_group_weight
        self.region_weight = region_weight
        self.level_weight = level_weight
        self.facet_weight = facet_weight
        self.word_share = word_share
        self.char_ngram_range = char_ngram_range
        self.n_components = n_components
        self.sketch_components = sketch_components
        self.shortlist_size = shortlist_size
        self.exact_max_candidates = exact_max_candidates
        self.hubness_k = hubness_k
        self.svd_max_samples = svd_max_samples
        self.compound_splitting = compound_splitting
        self.max_char_features = max_char_features
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def fit(self, profiles, y=None):
        """Learn vocabularies, IDF weights and the LSA projection.

        Parameters
        ----------
        profiles : list of dict
            Profiles of both sides (givers and takers).
        y : None
            Ignored.

        Returns
        -------
        self : SimilarityModel
        """
        profiles = _check_profiles(profiles)
        if not 0.0 <= self.word_share <= 1.0:
            raise ValueError(f"word_share must be in [0, 1], got {self.word_share!r}")
        docs = _docs(profiles)
        known, surfaces = collect_stems(docs)
        analyzer = WordAnalyzer(known if self.compound_splitting else None)
        self.word_vectorizer_ = TfidfVectorizer(
            analyzer=analyzer, sublinear_tf=True, dtype=np.float32
        )
        self.char_vectorizer_ = CharNgramVectorizer(
            ngram_range=tuple(self.char_ngram_range),
            sublinear_tf=True,
            max_features=self.max_char_features,
            dtype=np.float32,
        )
        words = self._fit_or_empty(self.word_vectorizer_, docs)
        chars = self.char_vectorizer_.fit_transform([text for text, _ in docs])
        x = self._join(words, chars)
        self.n_text_features_ = x.shape[1]
        self.svd_ = self._fit_svd(x, self.n_components)
        self.sketch_svd_ = None
        if self.svd_ is None:
            self.sketch_svd_ = self._fit_svd(x, self.sketch_components)
        self.field_encoder_ = FieldEncoder().fit(profiles)
        self.surface_forms_ = most_common_surface(surfaces)
        self.weights_ = self._param_weights()
        logger.info(
            "fitted SimilarityModel on %d profiles (%d word, %d char features, svd=%s)",
            len(profiles), words.shape[1], chars.shape[1],
            self.n_components if self.svd_ else None,
        )
        return self

    def _fit_svd(self, x, n_comp):
        """A truncated SVD of ``x`` (subsampled), or None when there is too little data."""
        if n_comp is None or x.shape[0] < 2 * n_comp or x.shape[1] <= n_comp:
            return None
        rng = check_random_state(self.random_state)
        rows = np.arange(x.shape[0])
        if x.shape[0] > self.svd_max_samples:
            rows = np.sort(rng.choice(x.shape[0], self.svd_max_samples, replace=False))
        svd = TruncatedSVD(n_components=n_comp, random_state=rng).fit(x[rows])
        # transform computes x @ components_.T, and scipy copies a right-hand operand that
        # is not C-contiguous (all n_features x n_components of it) on every call: store
        # components_ as the transpose of a C-contiguous array (same values).
        svd.components_ = np.ascontiguousarray(svd.components_.T).T
        return svd

    @staticmethod
    def _fit_or_empty(vectorizer, texts):
        try:
            return vectorizer.fit_transform(texts)
        except ValueError:  # no text, or only stop words everywhere: no word vocabulary
            vectorizer.vocabulary_ = None
            return sp.csr_matrix((len(texts), 0), dtype=np.float32)

    def _param_weights(self):
        weights = {c: float(getattr(self, p)) for c, p in _WEIGHT_PARAMS.items()}
        if any(w < 0 for w in weights.values()):
            raise ValueError(f"weights must be >= 0, got {weights}")
        return weights

    def _join(self, words, chars):
        share = self.word_share
        x = sp.hstack(
            [words * np.float32(np.sqrt(share)), chars * np.float32(np.sqrt(1.0 - share))],
            format="csr",
            dtype=np.float32,
        )
        return x

    # ------------------------------------------------------------ transform
    def transform(self, profiles):
        """Precompute the representation of profiles for fast scoring.

        Do this once per side (e.g. all givers) and reuse the result with
        :meth:`score_features` and :meth:`top_k_features`.

        Parameters
        ----------
        profiles : list of dict
            Profiles.

        Returns
        -------
        ProfileFeatures
            Opaque features; ``len()`` and ``take(indices)`` are supported.
        """
        check_is_fitted(self, "weights_")
        profiles = _check_profiles(profiles, allow_empty=True)
        docs = _docs(profiles)
        if self.word_vectorizer_.vocabulary_:
            words = self.word_vectorizer_.transform(docs)
        else:
            words = sp.csr_matrix((len(docs), 0), dtype=np.float32)
        x = self._join(words, self.char_vectorizer_.transform([text for text, _ in docs]))
        if self.svd_ is not None:
            x = np.asarray(self.svd_.transform(x), dtype=np.float32)
        fields, known, organisation = self.field_encoder_.transform(profiles)
        sketch = None
        if self.sketch_svd_ is not None:
            sketch = normalize(np.asarray(self.sketch_svd_.transform(x), dtype=np.float32))
            sketch = np.hstack([sketch, fields])
        if x.shape[1]:  # no text features at all when no text was fitted
            x = normalize(x, copy=False)
        if sp.issparse(x):
            vectors = sp.hstack([x, sp.csr_matrix(fields)], format="csr", dtype=np.float32)
        else:
            vectors = np.hstack([x, fields])
        return ProfileFeatures(
            vectors=vectors, n_text=x.shape[1], known=known, organisation=organisation,
            sketch=sketch,
        )

    def scoring_weights(self):
        """``weights_`` expanded to the feature columns (used by the kernels).

        Returns
        -------
        matching.scoring.Weights
        """
        check_is_fitted(self, "weights_")
        n_text = self.svd_.n_components if self.svd_ is not None else self.n_text_features_
        return scoring.Weights(self.weights_, n_text, self.field_encoder_.blocks_)

    def _features(self, profiles):
        if isinstance(profiles, ProfileFeatures):
            return profiles
        return self.transform(profiles)

    # -------------------------------------------------------------- scoring
    def score(self, takers, givers):
        """Fit of every taker–giver pair.

        Parameters
        ----------
        takers, givers : list of dict or ProfileFeatures
            The two sides.

        Returns
        -------
        ndarray of shape (len(takers), len(givers)), float64
            Scores in [0, 1]; higher is a better fit. With ``hubness_k`` set
            and both sides larger than it, hubness-reduced (CSLS) scores.
        """
        check_is_fitted(self, "weights_")
        S = self.score_features(self._features(takers), self._features(givers))
        k = self.hubness_k
        if k and min(S.shape) > k:
            S = scoring.reduce_hubness(S, k)
        return S

    def score_features(self, takers, givers):
        """Like :meth:`score`, on features from :meth:`transform`.

        Parameters
        ----------
        takers, givers : ProfileFeatures
            The two sides.

        Returns
        -------
        ndarray of shape (len(takers), len(givers)), float64
        """
        check_is_fitted(self, "weights_")
        return scoring.score_chunked(takers, givers, self.scoring_weights())

    def top_k(self, takers, givers, k=10, exclude=None, min_score=None,
              exclude_same_organisation=False):
        """The ``k`` best givers per taker.

        Parameters
        ----------
        takers, givers : list of dict or ProfileFeatures
            Queries and candidates (swap them for the best takers per giver).
        k : int, default=10
            How many per taker (at most ``len(givers)``).
        exclude : array-like of bool or sparse matrix, optional
            Pairs never to suggest: shape (len(takers), len(givers)), or
            (len(givers),) for all takers alike.
        min_score : float, optional
            Candidates scoring below are left out.
        exclude_same_organisation : bool, default=False
            Leave out candidates of the taker's own organisation.

        Returns
        -------
        idx : ndarray of shape (len(takers), k), int64
            Giver indices, best first (ties by lower index); -1 where fewer
            than ``k`` candidates qualify.
        scores : ndarray of shape (len(takers), k), float64
            Their scores, NaN where the index is -1.
        """
        check_is_fitted(self, "weights_")
        return self.top_k_features(
            self._features(takers), self._features(givers), k=k, exclude=exclude,
            min_score=min_score, exclude_same_organisation=exclude_same_organisation,
        )

    def top_k_features(self, query, candidates, k=10, exclude=None, min_score=None,
                       exclude_same_organisation=False):
        """The ``k`` best candidates per query, on precomputed features.

        Chunked, so memory stays bounded for large tables; a single query
        against 100,000 precomputed candidates takes a few milliseconds.

        Parameters
        ----------
        query, candidates : ProfileFeatures
            From :meth:`transform`.
        k : int, default=10
            How many per query.
        exclude : array-like of bool or sparse matrix, optional
            Shape (len(query), len(candidates)) or (len(candidates),).
        min_score : float, optional
            Candidates scoring below are left out.
        exclude_same_organisation : bool, default=False
            Leave out candidates with the query's ``organisation``.

        Returns
        -------
        idx : ndarray of shape (len(query), k), int64
        scores : ndarray of shape (len(query), k), float64
            As in :meth:`top_k`.
        """
        check_is_fitted(self, "weights_")
        options = {"exclude": exclude, "min_score": min_score,
                   "exclude_same_organisation": exclude_same_organisation}
        w = self.scoring_weights()
        if self._use_shortlist(query, candidates):
            n_sketch = self.sketch_svd_.n_components
            w_sketch = scoring.Weights(self.weights_, n_sketch, self.field_encoder_.blocks_)
            return scoring.top_k_shortlisted(
                query, candidates, w, w_sketch, n_sketch, k, self.shortlist_size, **options
            )
        return scoring.top_k_chunked(query, candidates, w, k, **options)

    def _use_shortlist(self, query, candidates):
        """Whether to shortlist on sketches: many candidates, and both sides have sketches."""
        return (
            getattr(self, "sketch_svd_", None) is not None
            and len(candidates) > self.exact_max_candidates
            and query.sketch is not None
            and candidates.sketch is not None
            and sp.issparse(candidates.vectors)
        )

    def same_organisation(self, takers, givers):
        """Which pairs belong to one organisation (a hard constraint).

        Parameters
        ----------
        takers, givers : list of dict or ProfileFeatures
            The two sides.

        Returns
        -------
        ndarray of bool, shape (len(takers), len(givers))
            True where both have the same known ``organisation``; use
            ``allowed = ~model.same_organisation(takers, givers)``.
        """
        check_is_fitted(self, "weights_")
        a, b = self._features(takers), self._features(givers)
        return equal_codes(a.organisation, b.organisation)

    # -------------------------------------------------------------- explain
    def explain(self, taker, giver, n_terms=10, features=None):
        """Reasons for one pair's score, per criterion.

        Parameters
        ----------
        taker, giver : dict
            Profiles.
        n_terms : int, default=10
            At most this many shared terms.
        features : tuple of ProfileFeatures, optional
            ``(taker_features, giver_features)``, one row each, from
            :meth:`transform` of these two profiles; saves transforming them
            again.

        Returns
        -------
        dict
            JSON-serialisable: ``score``, ``text`` (text similarity),
            ``comparable`` (False when neither the texts nor any structured
            field give anything to compare: the score then means nothing),
            ``shared_terms`` (meaningful whole words, most specific first),
            ``shared_sectors``, ``shared_target_groups``, ``same_region``,
            ``same_level``, ``same_facet`` (True/False, None when unknown on
            either side) and ``components`` (criterion → its contribution to
            the score; the contributions sum to the score).
        """
        check_is_fitted(self, "weights_")
        return explain_pair(self, taker, giver, n_terms=n_terms, features=features)

    def explain_many(self, takers, givers, n_terms=10, features=None):
        """Reasons for aligned pairs ``(takers[i], givers[i])``, in one batch.

        Each dict equals :meth:`explain` of that pair; the agreements of all
        pairs are computed in one vectorised pass.

        Parameters
        ----------
        takers, givers : list of dict
            Profiles, same length.
        n_terms : int, default=10
            At most this many shared terms per pair.
        features : tuple of ProfileFeatures, optional
            ``(taker_features, giver_features)`` with one row per pair.

        Returns
        -------
        list of dict
        """
        check_is_fitted(self, "weights_")
        return explain_pairs(self, takers, givers, n_terms=n_terms, features=features)

    def prepare_explain(self, profiles):
        """Analyse the texts of ``profiles`` now, so that explaining them later is fast.

        Fills the word analyzer's per-text cache (the same results as analysing on demand).
        Worth it for profiles that will be explained again and again, e.g. every candidate of
        a suggestion index, before a server forks its workers.

        Parameters
        ----------
        profiles : list of dict
            Profiles.

        Returns
        -------
        self : SimilarityModel
        """
        check_is_fitted(self, "weights_")
        analyzer = self.word_vectorizer_.analyzer
        for doc in _docs(_check_profiles(profiles, allow_empty=True)):
            analyzer.stem_surfaces(doc)
        return self

    # ------------------------------------------------------ learning weights
    def pair_components(self, takers, givers):
        """Agreement per criterion for aligned pairs ``(takers[i], givers[i])``.

        Parameters
        ----------
        takers, givers : list of dict or ProfileFeatures
            Same length.

        Returns
        -------
        ndarray of shape (n_pairs, 6), float64
            Columns in the order of :data:`matching.scoring.CRITERIA`; 0 where
            the criterion is unknown on either side.
        """
        check_is_fitted(self, "weights_")
        a, b = self._features(takers), self._features(givers)
        if len(a) != len(b):
            raise ValueError("takers and givers must have the same length (aligned pairs)")
        agree, _ = scoring.pair_components(a, b, self.field_encoder_.blocks_)
        return np.column_stack([agree[c] for c in scoring.CRITERIA])

    def fit_weights(self, takers, givers, labels, C=1.0):
        """Learn criterion weights from decisions on pairs.

        Fits a logistic regression of ``labels`` (1 = approved / good rating,
        0 = rejected) on :meth:`pair_components`; negative coefficients are
        set to 0 and the rest scaled so the largest is 1. The result replaces
        ``weights_`` (a later :meth:`fit` resets it from the parameters; to
        keep it, pass ``model.learned_params()`` to ``set_params``).

        Parameters
        ----------
        takers, givers : list of dict or ProfileFeatures
            Aligned pairs.
        labels : array-like of shape (n_pairs,)
            Binary outcomes, both classes present.
        C : float, default=1.0
            Inverse regularisation strength.

        Returns
        -------
        self : SimilarityModel
        """
        x = self.pair_components(takers, givers)
        y = np.asarray(labels).astype(int)
        self.weight_model_ = LogisticRegression(C=C).fit(x, y)
        coef = np.clip(self.weight_model_.coef_.ravel(), 0.0, None)
        if coef.max() <= 0:
            logger.warning("fit_weights: no criterion predicts the labels; weights unchanged")
            return self
        coef = coef / coef.max()
        self.weights_ = {c: float(w) for c, w in zip(scoring.CRITERIA, coef)}
        return self

    def learned_params(self):
        """``weights_`` as constructor parameters, for ``set_params``.

        Returns
        -------
        dict of str to float
        """
        check_is_fitted(self, "weights_")
        return {_WEIGHT_PARAMS[c]: w for c, w in self.weights_.items()}


def _text(profile):
    text = profile.get("text")
    return "" if text is None else str(text)


def _docs(profiles):
    """``(text, language)`` per profile, as the word analyzer takes them."""
    return [(_text(p), language_of(p.get("language"))) for p in profiles]


def _check_profiles(profiles, allow_empty=False):
    if isinstance(profiles, dict):
        raise TypeError("expected a list of profile dicts, got a single dict")
    profiles = list(profiles)
    if not profiles and not allow_empty:
        raise ValueError("expected at least one profile")
    for p in profiles:
        if not isinstance(p, dict):
            raise TypeError(f"profiles must be dicts, got {type(p).__name__}")
    return profiles
