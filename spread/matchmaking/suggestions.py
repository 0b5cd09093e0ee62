"""Partner suggestions for one profile, served from this process's index.

While the index is current (its version is the database's) a request for an indexed profile
only slices the index's table; any write bumps the version, so a profile that was just saved
(or whose partners changed) is never served from an old table: it is scored live (transformed
fresh when the index does not hold it as it is now) until the new index is in place. The
partners are explained as they were indexed (their fields and features), which is what they
were ranked on; explanations are cached per index and pair.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload

from spread.extensions import db
from spread.matchmaking.adapter import profile_to_matching
from spread.matchmaking.engine import engine
from spread.matchmaking.index import MARGIN, MAX_K, SuggestionIndex
from spread.models import Profile
from spread.models.matching_state import MatchingState
from spread.vocabulary import other_side

logger = logging.getLogger(__name__)

#: Explanations kept per index (then the cache starts over).
REASONS_CACHE_SIZE = 50_000
#: How suggested profiles are loaded: with their organisation; sectors and target groups are
#: left unloaded because the index holds them.
PARTNER_LOADING = (joinedload(Profile.organisation), lazyload(Profile.sector_links),
                   lazyload(Profile.target_group_links))


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
    index = engine().peek()
    partner_ids = index.partner_ids(profile_id, k) if index is not None and k is not None else []
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


def _ranked(index: SuggestionIndex, profile: Profile, query: dict, query_features,
            where: tuple[str, int] | None, k: int) -> list[tuple[int, int, float]]:
    """(partner id, partner row, score) best first: from the table, or scored live."""
    other = other_side(profile.side)
    table = index.table.get(profile.side) if where is not None else None
    if table is not None and k <= MAX_K:
        width = k + MARGIN
        idx, scores = table[0][where[1], :width], table[1][where[1], :width]
    else:
        if query_features is None:
            query_features = index.features[where[0]].take([where[1]])
        # Ask for a few more than k: the index may hold profiles archived since it was built.
        found = index.model.top_k_features(query_features, index.features[other],
                                           k=k + MARGIN, exclude_same_organisation=True)
        idx, scores = found[0][0], found[1][0]
    return [(int(index.ids[other][i]), int(i), float(s)) for i, s in zip(idx, scores) if i >= 0]


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
    if index.features[other_side(profile.side)] is None:
        return []
    # The index holds this profile as it is now only when no profile changed since it was built.
    where = index.positions.get(profile.id) if index.version == version and not live else None
    if where is not None and where[0] != profile.side:
        where = None
    if where is not None:
        query, query_features = index.profiles[where[0]][where[1]], None
    else:
        query = profile_to_matching(profile)
        query_features = index.model.transform([query])
    ranked = _ranked(index, profile, query, query_features, where, k)
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
