"""The suggestion index: a stored fitted model, both sides transformed, every profile's top k.

Building the index ranks, once, the best ``TABLE_K`` partners of every indexed profile (the
API's largest ``k`` plus a margin), with the same function and exclusions as a live query.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from matching import SimilarityModel
from spread.matchmaking.adapter import active_profiles, profiles_to_matching
from spread.matchmaking.store import LoadedModel

logger = logging.getLogger(__name__)

#: The largest ``k`` the API accepts (``SuggestionQuerySchema``).
MAX_K = 50
#: Extra candidates asked for: the index may hold profiles archived since it was built.
MARGIN = 5
#: Partners ranked per profile when the index is built.
TABLE_K = MAX_K + MARGIN
SIDES = ("giver", "taker")


@dataclass
class SuggestionIndex:
    """A fitted model and the active profiles of each side, as dicts and transformed."""

    version: int
    model: SimilarityModel
    ids: dict[str, np.ndarray]
    features: dict[str, object]
    profiles: dict[str, list[dict]]
    #: the model version and the profiles version it was fitted at
    model_id: int = 0
    model_version: int = 0
    fitted_at: int = 0
    #: profile id -> (side, row in ``ids[side]``)
    positions: dict[int, tuple[str, int]] = field(default_factory=dict)
    #: side -> (partner rows (n, <= TABLE_K) int32, -1 where none; their scores float32)
    table: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    #: (side, row, partner row) -> reasons, for pairs whose query is indexed
    reasons: dict[tuple[str, int, int], dict] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        """Number of profiles in the index."""
        return sum(len(ids) for ids in self.ids.values())

    def partner_ids(self, profile_id: int, k: int) -> list[int]:
        """The ids of the ``k`` (+ margin) partners the table ranks for an indexed profile."""
        where = self.positions.get(profile_id)
        if where is None or where[0] not in self.table or k > MAX_K:
            return []
        other = "taker" if where[0] == "giver" else "giver"
        rows = self.table[where[0]][0][where[1], :k + MARGIN]
        return [int(i) for i in self.ids[other][rows[rows >= 0]]]


def build_index(version: int, loaded: LoadedModel, table: bool = True) -> SuggestionIndex:
    """Transform every active profile with a stored fitted model and rank its partners.

    ``table=False`` skips the table of every profile's best partners (each request then
    scores live); it costs one chunked product of the two sides.
    """
    model = loaded.model
    profiles = active_profiles()
    dicts = profiles_to_matching(profiles)
    ids, features, side_dicts = {}, {}, {}
    for side in SIDES:
        rows = [i for i, p in enumerate(profiles) if p.side == side]
        ids[side] = np.array([profiles[i].id for i in rows], dtype=np.int64)
        side_dicts[side] = [dicts[i] for i in rows]
        features[side] = model.transform(side_dicts[side]) if rows else None
    positions = {int(pid): (side, row) for side in ids for row, pid in enumerate(ids[side])}
    tables = {}
    for side, other in (("giver", "taker"), ("taker", "giver")):
        if table and features[side] is not None and features[other] is not None:
            # Exactly what a live request computes (see suggestions_for), for every profile.
            idx, scores = model.top_k_features(features[side], features[other], k=TABLE_K,
                                               exclude_same_organisation=True)
            tables[side] = (idx.astype(np.int32), scores.astype(np.float32))
    model.prepare_explain(dicts)  # every profile is explained again and again
    logger.info("suggestion index built at version %s with %s profiles (model %s fitted at %s)",
                version, len(profiles), loaded.model_version, loaded.profiles_version)
    return SuggestionIndex(version=version, model=model, ids=ids, features=features,
                           profiles=side_dicts, model_id=loaded.model_id,
                           model_version=loaded.model_version,
                           fitted_at=loaded.profiles_version, positions=positions, table=tables)
