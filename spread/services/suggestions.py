"""Partner suggestions: one fitted similarity model per process, refitted when profiles change.

Every profile write bumps ``matching_state.profiles_version`` in its transaction. A request for
suggestions compares that counter with the one its index was built at. A stale index of a small
database is rebuilt on the spot (milliseconds); above ``SUGGESTIONS_SYNC_REFIT_LIMIT`` profiles a
background thread rebuilds it while requests keep using the previous index. The query profile is
always transformed fresh, so a profile that was just saved gets suggestions immediately.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from matching import SimilarityModel
from spread.extensions import db
from spread.models import Organisation, Profile
from spread.models.matching_state import profiles_version

logger = logging.getLogger(__name__)

EXTENSION_KEY = "spread_suggestions"
TEXT_FIELDS = ("title", "description", "problem", "outcomes", "hopes")


def profile_to_matching(profile: Profile) -> dict:
    """Turn a profile row into the dict the matching library expects."""
    parts = [getattr(profile, name) or "" for name in TEXT_FIELDS]
    parts.append(" ".join(profile.keywords or []))
    return {
        "text": "\n".join(p for p in parts if p),
        "sectors": profile.sectors,
        "target_groups": profile.target_groups,
        "facet": profile.facet,
        "level": profile.level,
        "region": profile.region,
        "organisation": profile.organisation_id,
        "side": profile.side,
    }


@dataclass
class SuggestionIndex:
    """A fitted model and the transformed active profiles of each side."""

    version: int
    model: SimilarityModel
    ids: dict[str, np.ndarray]
    features: dict[str, object]

    @property
    def size(self) -> int:
        """Number of profiles in the index."""
        return sum(len(ids) for ids in self.ids.values())


def active_profiles() -> list[Profile]:
    """All profiles that take part in matching, with what the model reads."""
    query = (
        select(Profile)
        .join(Organisation)
        .where(Profile.archived_at.is_(None), Organisation.archived_at.is_(None))
        .options(selectinload(Profile.sector_links), selectinload(Profile.target_group_links))
        .order_by(Profile.id)
    )
    return list(db.session.scalars(query))


def build_index(version: int) -> SuggestionIndex:
    """Fit the model on every active profile and transform each side."""
    profiles = active_profiles()
    dicts = [profile_to_matching(p) for p in profiles]
    model = SimilarityModel().fit(dicts) if dicts else SimilarityModel().fit([{"text": ""}])
    ids, features = {}, {}
    for side in ("giver", "taker"):
        rows = [i for i, p in enumerate(profiles) if p.side == side]
        ids[side] = np.array([profiles[i].id for i in rows], dtype=np.int64)
        features[side] = model.transform([dicts[i] for i in rows]) if rows else None
    logger.info("suggestion index built at version %s with %s profiles", version, len(profiles))
    return SuggestionIndex(version=version, model=model, ids=ids, features=features)


class SuggestionEngine:
    """Holds this process's index and decides when to rebuild it."""

    def __init__(self, app: Flask):
        self.app = app
        self._index: SuggestionIndex | None = None
        self._lock = threading.Lock()
        self._refitting: threading.Thread | None = None

    def index(self) -> SuggestionIndex:
        """The current index, rebuilt now or in the background when profiles changed."""
        version = profiles_version()
        index = self._index
        if index is not None and index.version == version:
            return index
        limit = self.app.config.get("SUGGESTIONS_SYNC_REFIT_LIMIT", 5000)
        if index is None or index.size <= limit:
            with self._lock:
                if self._index is None or self._index.version != version:
                    self._index = build_index(version)
                return self._index
        self._refit_in_background(version)
        return index

    def _refit_in_background(self, version: int) -> None:
        with self._lock:
            if self._refitting is not None and self._refitting.is_alive():
                return
            self._refitting = threading.Thread(target=self._refit, args=(version,), daemon=True,
                                               name="spread-refit")
            self._refitting.start()

    def _refit(self, version: int) -> None:
        with self.app.app_context():
            try:
                index = build_index(version)
            except Exception:  # a failed refit must not take suggestions down
                logger.exception("background refit failed")
                return
            finally:
                db.session.remove()
        with self._lock:
            if self._index is None or self._index.version < index.version:
                self._index = index

    def wait_for_refit(self, timeout: float | None = None) -> None:
        """Block until a running background refit is done (for tests and benchmarks)."""
        thread = self._refitting
        if thread is not None:
            thread.join(timeout)


def engine() -> SuggestionEngine:
    """The suggestion engine of the current app."""
    return current_app.extensions[EXTENSION_KEY]


def register_suggestions(app: Flask) -> None:
    """Give the app its suggestion engine."""
    app.extensions[EXTENSION_KEY] = SuggestionEngine(app)


@dataclass
class Suggestion:
    """One suggested partner, with its score and the reasons for it."""

    profile: Profile
    score: float
    reasons: dict


def suggestions_for(profile: Profile, k: int = 10) -> list[Suggestion]:
    """The ``k`` best partners on the other side, never from the profile's own organisation."""
    index = engine().index()
    other = "taker" if profile.is_giver else "giver"
    candidates = index.features[other]
    if candidates is None:
        return []
    query = profile_to_matching(profile)
    query_features = index.model.transform([query])
    # Ask for a few more than k: the index may hold profiles archived since it was built.
    idx, scores = index.model.top_k_features(query_features, candidates, k=k + 5,
                                             exclude_same_organisation=True)
    ranked = [(int(index.ids[other][i]), float(s)) for i, s in zip(idx[0], scores[0]) if i >= 0]
    rows = {
        p.id: p for p in db.session.scalars(
            select(Profile).where(Profile.id.in_([pid for pid, _ in ranked]))
        )
    }
    results = []
    for profile_id, score in ranked:
        partner = rows.get(profile_id)
        if partner is None or partner.archived or partner.organisation_id == profile.organisation_id:
            continue
        partner_dict = profile_to_matching(partner)
        taker, giver = (partner_dict, query) if profile.is_giver else (query, partner_dict)
        results.append(Suggestion(partner, score, index.model.explain(taker, giver)))
        if len(results) == k:
            break
    return results
