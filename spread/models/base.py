"""Shared column helpers for the models."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import Mapped, mapped_column

# Every id column is an INTEGER (32-bit signed on PostgreSQL): larger ids name nothing, and
# handing them to the database fails instead of finding nothing.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """Return the current time in UTC (a callable default, evaluated per row)."""
    return datetime.now(UTC)


class TimestampMixin:
    """Adds created_at and updated_at columns maintained by the ORM."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
