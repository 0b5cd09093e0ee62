"""Profile rows as the dicts the ``matching`` library reads."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from spread.extensions import db
from spread.models import Organisation, Profile

logger = logging.getLogger(__name__)

TEXT_FIELDS = ("title", "description", "problem", "outcomes", "hopes")


def profile_to_matching(profile: Profile) -> dict:
    """Turn a profile row into the dict the matching library expects."""
    parts = [getattr(profile, name) or "" for name in TEXT_FIELDS]
    parts.append(" ".join(profile.keywords or []))
    return {
        "text": "\n".join(p for p in parts if p),
        "language": profile.language,
        "sectors": profile.sectors,
        "target_groups": profile.target_groups,
        "facet": profile.facet,
        "level": profile.level,
        "region": profile.region,
        "organisation": profile.organisation_id,
        "side": profile.side,
    }


def profiles_to_matching(profiles: list[Profile]) -> list[dict]:
    """The dicts of many profiles, in order."""
    return [profile_to_matching(p) for p in profiles]


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
