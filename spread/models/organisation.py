"""Organisations: municipalities, regions, state agencies and others."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spread.extensions import db
from spread.models.base import TimestampMixin


class Organisation(TimestampMixin, db.Model):
    """A public-sector workplace that gives or takes innovations."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2), default="DK")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    created_by = relationship("User")
    profiles = relationship("Profile", back_populates="organisation")

    @property
    def archived(self) -> bool:
        """Archived organisations are kept but hidden from pickers and listings."""
        return self.archived_at is not None

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"
