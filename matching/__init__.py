"""Matching of innovation givers and takers.

Public interface::

    from matching import SimilarityModel, optimal_pairing, stable_pairing

    model = SimilarityModel().fit(profiles)
    S = model.score(takers, givers)                 # (n_takers, n_givers) in [0, 1]
    idx, sc = model.top_k(takers, givers, k=10)
    model.explain(taker, giver)                     # JSON-serialisable reasons
    pairs = optimal_pairing(S, capacities, allowed=None, min_score=0.0)
    pairs = stable_pairing(S, capacities, allowed=None, taker_prefs=None, giver_prefs=None)

For fast suggestions, precompute ``feats = model.transform(profiles)`` once per
side and use ``model.top_k_features(query_feats, feats, k=10)``.
"""

from .features import ProfileFeatures
from .model import SimilarityModel
from .pairing import optimal_pairing, stable_pairing

__all__ = ["ProfileFeatures", "SimilarityModel", "optimal_pairing", "stable_pairing"]
