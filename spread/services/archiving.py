"""Archiving: organisations and profiles are kept but hidden, and can be restored."""
from __future__ import annotations

import logging

from spread.extensions import db
from spread.models import Organisation, Profile
from spread.models.base import utcnow
from spread.models.matching_state import bump_profiles_version

logger = logging.getLogger(__name__)

Archivable = Organisation | Profile


def set_archived(row: Archivable, archived: bool) -> Archivable:
    """Archive (hide) or restore an organisation or a profile; its data is kept."""
    row.archived_at = utcnow() if archived else None
    db.session.flush()
    if isinstance(row, Profile):
        bump_profiles_version()  # the suggestion index must drop or take back the profile
    logger.info("%s %s %s", type(row).__name__, row.id, "archived" if archived else "restored")
    return row
