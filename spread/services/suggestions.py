"""Partner suggestions: one fitted similarity model per process, refitted when profiles change.

Every profile write bumps ``matching_state.profiles_version`` in its transaction. A request for
suggestions compares that counter with the one its index was built at. A stale index of a small
database is rebuilt on the spot (milliseconds); above ``SUGGESTIONS_SYNC_REFIT_LIMIT`` profiles a
background thread rebuilds it while requests keep using the previous index.

Building the index also ranks, once, the best ``TABLE_K`` partners of every indexed profile (the
API's largest ``k`` plus the margin asked for below), with the same function and exclusions as a
live query. While the index is current (its version is the database's) a request for an indexed
profile only slices that table; any write bumps the version, so a profile that was just saved
(or whose partners changed) is never served from an old table: it is scored live (transformed
fresh when the index does not hold it as it is now) until the new index is in place. The
partners are explained as they were indexed (their fields and features), which is what they
were ranked on; explanations are cached per index and pair.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import numpy as np
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from matching import SimilarityModel
from spread.extensions import db
from spread.models import Organisation, Profile
from spread.models.matching_state import MatchingState, profiles_version
from spread.vocabulary import other_side

logger = logging.getLogger(__name__)

EXTENSION_KEY = "spread_suggestions"
#: The largest ``k`` the API accepts (``SuggestionQuerySchema``).
MAX_K = 50
#: Extra candidates asked for: the index may hold profiles archived since it was built.
MARGIN = 5
#: Partners ranked per profile when the index is built.
TABLE_K = MAX_K + MARGIN
#: Explanations kept per index (then the cache starts over).
REASONS_CACHE_SIZE = 50_000
TEXT_FIELDS = ("title", "description", "problem", "outcomes", "hopes")
#: How suggested profiles are loaded: with their organisation; sectors and target groups are
#: left unloaded because the index holds them.
PARTNER_LOADING = (joinedload(Profile.organisation), lazyload(Profile.sector_links),
                   lazyload(Profile.target_group_links))


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
    """A fitted model and the active profiles of each side, as dicts and transformed."""

    version: int
    model: SimilarityModel
    ids: dict[str, np.ndarray]
    features: dict[str, object]
    profiles: dict[str, list[dict]]
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


def build_index(version: int, table: bool = True) -> SuggestionIndex:
    """Fit the model on every active profile, transform each side and rank its partners.

    ``table=False`` skips the table of every profile's best partners (each request then
    scores live); it costs one chunked product of the two sides.
    """
    profiles = active_profiles()
    dicts = [profile_to_matching(p) for p in profiles]
    model = SimilarityModel().fit(dicts) if dicts else SimilarityModel().fit([{"text": ""}])
    ids, features, side_dicts = {}, {}, {}
    for side in ("giver", "taker"):
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
    logger.info("suggestion index built at version %s with %s profiles", version, len(profiles))
    return SuggestionIndex(version=version, model=model, ids=ids, features=features,
                           profiles=side_dicts, positions=positions, table=tables)


class SuggestionEngine:
    """Holds this process's index and decides when to rebuild it."""

    def __init__(self, app: Flask):
        self.app = app
        self._index: SuggestionIndex | None = None
        self._lock = threading.Lock()
        self._refitting: threading.Thread | None = None

    def index(self) -> SuggestionIndex:
        """The current index, rebuilt now or in the background when profiles changed."""
        return self.current()[0]

    def current(self, version: int | None = None) -> tuple[SuggestionIndex, int]:
        """The index to use and the database's profiles version (newer while a refit runs).

        ``version``: the profiles version just read from the database, if the caller has it.
        """
        if version is None:
            version = profiles_version()
        index = self._index
        if index is not None and index.version == version:
            return index, version
        limit = self.app.config.get("SUGGESTIONS_SYNC_REFIT_LIMIT", 5000)
        if index is None or index.size <= limit:
            with self._lock:
                if self._index is None or self._index.version != version:
                    self._index = self._build(version)
                return self._index, version
        self._refit_in_background(version)
        return index, version

    def _build(self, version: int) -> SuggestionIndex:
        return build_index(version, table=self.app.config.get("SUGGESTIONS_TOP_K_TABLE", True))

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
                index = self._build(version)
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


def profile_with_version(profile_id: int, k: int | None = None
                         ) -> tuple[Profile | None, int, dict[int, Profile]]:
    """The profile, the profiles version and, when it can tell, the partners to show: one query.

    The profile's sectors and target groups are not loaded (the index holds them when it is
    current; they are loaded on first access otherwise). With ``k``, the partners that this
    process's table ranks for the profile are loaded in the same query, with their
    organisation: ``suggestions_for`` uses them when the index turns out to be current (the
    version read here is the index's) and queries the partners itself otherwise.
    """
    partner_ids: list[int] = []
    index = current_app.extensions[EXTENSION_KEY]._index
    where = index.positions.get(profile_id) if index is not None and k is not None else None
    if where is not None and where[0] in index.table and k <= MAX_K:
        other = other_side(where[0])
        rows = index.table[where[0]][0][where[1], :k + MARGIN]
        partner_ids = [int(i) for i in index.ids[other][rows[rows >= 0]]]
    version = (select(MatchingState.profiles_version).where(MatchingState.id == 1)
               .scalar_subquery())
    found = db.session.execute(
        select(Profile, version).where(Profile.id.in_([profile_id, *partner_ids]))
        .options(*PARTNER_LOADING)
    ).all()
    profiles = {row[0].id: row[0] for row in found}
    profile = profiles.pop(profile_id, None)
    if profile is None:
        return None, 0, {}
    return profile, found[0][1] or 0, profiles


def suggestions_for(profile: Profile, k: int = 10, live: bool = False,
                    version: int | None = None,
                    partners: dict[int, Profile] | None = None) -> list[Suggestion]:
    """The ``k`` best partners on the other side, never from the profile's own organisation.

    Served from the index's table when the index is current and holds the profile (and ``k``
    is at most ``MAX_K``), otherwise scored against every candidate. ``live=True`` always takes
    the straightforward path: the profile as loaded, transformed again, scored against every
    candidate, every pair explained anew (the same results: the tests compare the two).
    ``version`` and ``partners``: the profiles version read with the profile and the partner
    rows loaded with it (``profile_with_version``); the partners are queried when these do not
    hold every partner ranked.
    """
    index, version = engine().current(version)
    other = other_side(profile.side)
    candidates = index.features[other]
    if candidates is None:
        return []
    # The index holds this profile as it is now only when no profile changed since it was built.
    where = index.positions.get(profile.id) if index.version == version and not live else None
    if where is not None and where[0] != profile.side:
        where = None
    if where is not None:
        side, row = where
        query = index.profiles[side][row]
        query_features = None  # taken from the index when needed
    else:
        query = profile_to_matching(profile)
        query_features = index.model.transform([query])
    table = index.table.get(profile.side) if where is not None else None
    if table is not None and k <= MAX_K:
        width = k + MARGIN
        idx, scores = table[0][row, :width], table[1][row, :width]
    else:
        if query_features is None:
            query_features = index.features[side].take([row])
        # Ask for a few more than k: the index may hold profiles archived since it was built.
        found = index.model.top_k_features(query_features, candidates, k=k + MARGIN,
                                           exclude_same_organisation=True)
        idx, scores = found[0][0], found[1][0]
    ranked = [(int(index.ids[other][i]), int(i), float(s)) for i, s in zip(idx, scores) if i >= 0]
    if partners and all(pid in partners for pid, _, _ in ranked):
        rows = partners
    else:
        rows = _partner_rows([pid for pid, _, _ in ranked])
    kept = []
    for profile_id, position, score in ranked:
        partner = rows.get(profile_id)
        if partner is None or partner.archived or partner.organisation_id == profile.organisation_id:
            continue
        kept.append((partner, position, score))
        if len(kept) == k:
            break
    reasons = _reasons(index, profile.is_giver, query, query_features, where,
                       [position for _, position, _ in kept])
    return [Suggestion(partner, score, why) for (partner, _, score), why in zip(kept, reasons)]


def _partner_rows(ids: list[int]) -> dict[int, Profile]:
    """The partners with their organisation, in one query (sectors and target groups come from
    the index)."""
    query = select(Profile).where(Profile.id.in_(ids)).options(*PARTNER_LOADING)
    return {p.id: p for p in db.session.scalars(query)}


def _reasons(index: SuggestionIndex, query_is_giver: bool, query: dict, query_features,
             where: tuple[str, int] | None, positions: list[int]) -> list[dict]:
    """Explain the query with each partner (rows of the other side), in one batch.

    The pair is explained as it was ranked: the partner as indexed, with its features. When the
    query is indexed too, explanations are cached in the index (per pair; a new index starts
    empty).
    """
    other = "taker" if query_is_giver else "giver"
    cache = index.reasons if where is not None else {}
    keys = [(*where, p) if where is not None else None for p in positions]
    missing = [i for i, key in enumerate(keys) if key not in cache]
    if missing:
        if query_features is None:
            query_features = index.features[where[0]].take([where[1]] * len(missing))
        else:
            query_features = query_features.take([0] * len(missing))
        partner_features = index.features[other].take([positions[i] for i in missing])
        partners = [index.profiles[other][positions[i]] for i in missing]
        queries = [query] * len(missing)
        if query_is_giver:  # the partners are the takers
            fresh = index.model.explain_many(partners, queries,
                                             features=(partner_features, query_features))
        else:
            fresh = index.model.explain_many(queries, partners,
                                             features=(query_features, partner_features))
        if where is None:
            return fresh
        if len(cache) + len(fresh) > REASONS_CACHE_SIZE:
            cache.clear()
        for i, why in zip(missing, fresh):
            cache[keys[i]] = why
    return [cache[key] for key in keys]
