"""Writes and queries for organisations (flush only; the request commits)."""
from __future__ import annotations

import logging

from marshmallow import ValidationError
from sqlalchemy import Select, func, select

from spread.extensions import db
from spread.models import Organisation, User
from spread.schemas.messages import N_
from spread.services.listing import contains

logger = logging.getLogger(__name__)

DUPLICATE_NAME = N_("An organisation with this name already exists.")


def _check_unique_name(name: str, exclude_id: int | None = None) -> None:
    query = select(Organisation.id).where(func.lower(Organisation.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise ValidationError({"name": [DUPLICATE_NAME]})


def create_organisation(data: dict, created_by: User | None) -> Organisation:
    """Create an organisation from validated data."""
    _check_unique_name(data["name"])
    organisation = Organisation(**data, created_by=created_by)
    db.session.add(organisation)
    db.session.flush()
    logger.info("organisation %s created", organisation.id)
    return organisation


def update_organisation(organisation: Organisation, data: dict) -> Organisation:
    """Apply validated changes to an organisation."""
    if "name" in data:
        _check_unique_name(data["name"], exclude_id=organisation.id)
    for key, value in data.items():
        setattr(organisation, key, value)
    db.session.flush()
    return organisation


def organisation_query(q: str | None = None, include_archived: bool = False) -> Select:
    """Build the listing query for organisations."""
    query = select(Organisation).order_by(Organisation.name)
    if not include_archived:
        query = query.where(Organisation.archived_at.is_(None))
    if q:
        query = query.where(contains(Organisation.name, q))
    return query


def active_organisations() -> list[Organisation]:
    """All organisations that are not archived, by name."""
    return list(db.session.scalars(organisation_query()))
