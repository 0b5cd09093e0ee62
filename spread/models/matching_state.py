"""A counter of profile changes, so every process knows when its similarity index is stale."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Mapped, mapped_column

from spread.extensions import db


class MatchingState(db.Model):
    """Single row (id 1): ``profiles_version`` grows with every profile change."""

    __tablename__ = "matching_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    profiles_version: Mapped[int] = mapped_column(default=0)


def bump_profiles_version() -> None:
    """Record in the current transaction that the profiles changed.

    One UPDATE; the session's objects are not scanned (nothing loaded holds the counter but
    a ``MatchingState``, which ``profiles_version`` reads afresh anyway).
    """
    result = db.session.execute(
        update(MatchingState).where(MatchingState.id == 1)
        .values(profiles_version=MatchingState.profiles_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        db.session.add(MatchingState(id=1, profiles_version=1))
        db.session.flush()


def profiles_version() -> int:
    """The current profile-change counter (0 before any change)."""
    state = db.session.get(MatchingState, 1, populate_existing=True)
    return state.profiles_version if state else 0
