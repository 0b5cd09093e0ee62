"""Page data of the front page: how many givers, takers and organisations are here."""
from __future__ import annotations

from sqlalchemy import func, select

from spread.extensions import db
from spread.models import Organisation, Profile


def live_counts() -> tuple[dict[str, int], int]:
    """Profiles not archived, by side, and organisations not archived."""
    by_side = dict(db.session.execute(
        select(Profile.side, func.count(Profile.id))
        .where(Profile.archived_at.is_(None)).group_by(Profile.side)).all())
    organisations = db.session.scalar(
        select(func.count(Organisation.id)).where(Organisation.archived_at.is_(None)))
    return by_side, organisations or 0
