"""Writes and queries for giver and taker profiles (flush only; the request commits)."""
from __future__ import annotations

import logging

from marshmallow import ValidationError
from sqlalchemy import Select, or_, select

from spread.extensions import db
from spread.models import Organisation, Profile, ProfileSector, ProfileTargetGroup, User
from spread.models.matching_state import bump_profiles_version
from spread.schemas.messages import N_
from spread.schemas.profiles import profile_consistency_errors
from spread.services.listing import contains

logger = logging.getLogger(__name__)

UNKNOWN_ORGANISATION = N_("No such organisation, or it is archived.")
SEARCHED_COLUMNS = ("title", "description", "problem", "outcomes", "hopes")


def _organisation_for(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or organisation.archived:
        raise ValidationError({"organisation_id": [UNKNOWN_ORGANISATION]})
    return organisation


def _apply(profile: Profile, data: dict) -> None:
    for key, value in data.items():
        if key == "organisation_id" and (profile.id is None or value != profile.organisation_id):
            # Keeping the organisation a profile already has is fine even once it is archived.
            profile.organisation = _organisation_for(value)
        setattr(profile, key, value)


def _new_profile(data: dict, owner: User) -> Profile:
    data = dict(data)
    if data["side"] == "giver" and not data.get("capacity"):
        data["capacity"] = 1
    profile = Profile(owner=owner)
    _apply(profile, data)
    db.session.add(profile)
    return profile


def create_profile(data: dict, owner: User) -> Profile:
    """Create a giver or taker profile owned by ``owner`` from validated data."""
    profile = _new_profile(data, owner)
    db.session.flush()
    bump_profiles_version()
    logger.info("profile %s (%s) created by user %s", profile.id, profile.side, owner.id)
    return profile


def create_profiles(items: list[tuple[dict, User]]) -> list[Profile]:
    """Create many profiles ((validated data, owner) each): one flush, one version bump."""
    with db.session.no_autoflush:  # looking up organisations must not flush row by row
        profiles = [_new_profile(data, owner) for data, owner in items]
    if profiles:
        db.session.flush()
        bump_profiles_version()
        logger.info("%s profiles created", len(profiles))
    return profiles


def update_profile(profile: Profile, data: dict) -> Profile:
    """Apply validated changes to a profile, checked against the fields it keeps."""
    kept = {
        "side": profile.side,
        "outcomes": profile.outcomes,
        "capacity": profile.capacity,
        "hopes": profile.hopes,
        "available_from": profile.available_from,
        "available_until": profile.available_until,
    }
    errors = profile_consistency_errors({**kept, **data})
    if errors:
        raise ValidationError(errors)
    if profile.side == "giver" and "capacity" in data and not data["capacity"]:
        data = {**data, "capacity": 1}  # a giver hosts at least one taker, as on creation
    _apply(profile, data)
    db.session.flush()
    bump_profiles_version()
    return profile


def profile_query(filters: dict, viewer: User | None = None) -> Select:
    """Build the browse/search query from validated filters (see ProfileQuerySchema)."""
    query = select(Profile).order_by(Profile.updated_at.desc(), Profile.id.desc())
    if not filters.get("include_archived"):
        query = query.where(Profile.archived_at.is_(None))
    for name in ("side", "region", "level", "organisation_id"):
        if filters.get(name) is not None:
            query = query.where(getattr(Profile, name) == filters[name])
    if filters.get("sector"):
        query = query.where(
            Profile.id.in_(
                select(ProfileSector.profile_id).where(ProfileSector.code == filters["sector"])
            )
        )
    if filters.get("target_group"):
        query = query.where(
            Profile.id.in_(
                select(ProfileTargetGroup.profile_id).where(
                    ProfileTargetGroup.code == filters["target_group"]
                )
            )
        )
    if filters.get("mine") and viewer is not None:
        query = query.where(Profile.owner_id == viewer.id)
    for word in (filters.get("q") or "").split():
        query = query.where(or_(*(contains(getattr(Profile, c), word) for c in SEARCHED_COLUMNS)))
    return query
