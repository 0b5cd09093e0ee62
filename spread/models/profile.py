"""Giver and taker profiles with their sectors and target groups."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spread.extensions import db
from spread.models.base import TimestampMixin


class Profile(TimestampMixin, db.Model):
    """A giver's innovation or a taker's challenge."""

    __tablename__ = "profiles"
    __table_args__ = (Index("ix_profiles_side_archived", "side", "archived_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    side: Mapped[str] = mapped_column(String(5))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    language: Mapped[str] = mapped_column(String(2), default="da")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    problem: Mapped[str] = mapped_column(Text, default="")
    outcomes: Mapped[str | None] = mapped_column(Text)
    hopes: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    facet: Mapped[str | None] = mapped_column(String(20))
    level: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(20))
    capacity: Mapped[int | None]
    available_from: Mapped[date | None] = mapped_column(Date)
    available_until: Mapped[date | None] = mapped_column(Date)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    owner = relationship("User")
    organisation = relationship("Organisation", back_populates="profiles")
    sector_links: Mapped[list[ProfileSector]] = relationship(
        cascade="all, delete-orphan", order_by="ProfileSector.code", lazy="selectin"
    )
    target_group_links: Mapped[list[ProfileTargetGroup]] = relationship(
        cascade="all, delete-orphan", order_by="ProfileTargetGroup.code", lazy="selectin"
    )

    @property
    def sectors(self) -> list[str]:
        """Sector codes of this profile."""
        return [link.code for link in self.sector_links]

    @sectors.setter
    def sectors(self, codes: list[str]) -> None:
        self.sector_links = [ProfileSector(code=c) for c in dict.fromkeys(codes)]

    @property
    def target_groups(self) -> list[str]:
        """Target-group codes of this profile."""
        return [link.code for link in self.target_group_links]

    @target_groups.setter
    def target_groups(self, codes: list[str]) -> None:
        self.target_group_links = [ProfileTargetGroup(code=c) for c in dict.fromkeys(codes)]

    @property
    def archived(self) -> bool:
        """Archived profiles are kept but not listed or suggested."""
        return self.archived_at is not None

    @property
    def is_giver(self) -> bool:
        """Whether this profile offers an innovation."""
        return self.side == "giver"

    def __repr__(self) -> str:
        return f"<Profile {self.id} {self.side} {self.title!r}>"


class ProfileSector(db.Model):
    """One sector of a profile."""

    __tablename__ = "profile_sectors"

    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class ProfileTargetGroup(db.Model):
    """One target group of a profile."""

    __tablename__ = "profile_target_groups"

    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
