"""Internship rounds: enrolments, stated interest, proposed and approved pairs, pairing runs."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spread.extensions import db
from spread.models.base import TimestampMixin, utcnow


class RoundState(str, enum.Enum):
    """The life of a round, in order."""

    DRAFT = "draft"
    OPEN = "open"
    PAIRING = "pairing"
    REVIEW = "review"
    PUBLISHED = "published"
    CLOSED = "closed"


LEGAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("open",),
    "open": ("draft", "pairing"),
    "pairing": ("open", "review"),
    "review": ("pairing", "published"),
    "published": ("closed",),
    "closed": (),
}


class PairStatus(str, enum.Enum):
    """A pair is proposed by a run or by hand, then approved or rejected."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    CLOSED = "closed"


class Round(TimestampMixin, db.Model):
    """A national innovation internship round."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default=RoundState.DRAFT.value)
    registration_opens: Mapped[date | None] = mapped_column(Date)
    registration_closes: Mapped[date | None] = mapped_column(Date)
    internship_start: Mapped[date | None] = mapped_column(Date)
    internship_end: Mapped[date | None] = mapped_column(Date)
    preparatory_workshop: Mapped[date | None] = mapped_column(Date)
    followup_workshop: Mapped[date | None] = mapped_column(Date)
    min_fit: Mapped[float] = mapped_column(Float, default=0.1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="round", cascade="all, delete-orphan"
    )
    pairs: Mapped[list[Pair]] = relationship(back_populates="round", cascade="all, delete-orphan")

    def can_move_to(self, state: str) -> bool:
        """Whether ``state`` is a legal next state."""
        return state in LEGAL_TRANSITIONS.get(self.state, ())

    def __repr__(self) -> str:
        return f"<Round {self.id} {self.state}>"


class Enrolment(db.Model):
    """A profile taking part in a round; ``approved`` counts its approved pairs."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("round_id", "profile_id", name="uq_enrolments_round_profile"),
        CheckConstraint("approved >= 0 AND approved <= capacity", name="approved_within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    side: Mapped[str] = mapped_column(String(5))
    capacity: Mapped[int] = mapped_column(default=1)
    approved: Mapped[int] = mapped_column(default=0)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    round: Mapped[Round] = relationship(back_populates="enrolments")
    profile = relationship("Profile")

    @property
    def active(self) -> bool:
        """Withdrawn enrolments are kept for the record but take no part."""
        return self.withdrawn_at is None


class Interest(db.Model):
    """A participant's wish to be paired with a specific partner in a round."""

    __tablename__ = "interests"
    __table_args__ = (
        UniqueConstraint("round_id", "from_profile_id", "to_profile_id",
                         name="uq_interests_round_from_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    from_profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    to_profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    from_profile = relationship("Profile", foreign_keys=[from_profile_id])
    to_profile = relationship("Profile", foreign_keys=[to_profile_id])


class Pair(TimestampMixin, db.Model):
    """A proposed or decided giver–taker pair in a round."""

    __tablename__ = "pairs"
    __table_args__ = (
        # A taker is in at most one approved pair of a round, whatever the application does.
        Index("uq_pairs_round_taker_approved", "round_id", "taker_id", unique=True,
              sqlite_where=text("status = 'approved'"),
              postgresql_where=text("status = 'approved'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    taker_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    giver_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=PairStatus.PROPOSED.value)
    source: Mapped[str] = mapped_column(String(20), default="manual")
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    round: Mapped[Round] = relationship(back_populates="pairs")
    taker = relationship("Profile", foreign_keys=[taker_id])
    giver = relationship("Profile", foreign_keys=[giver_id])


class BannedPair(db.Model):
    """A giver–taker combination a coordinator has ruled out for a round."""

    __tablename__ = "banned_pairs"
    __table_args__ = (
        UniqueConstraint("round_id", "taker_id", "giver_id", name="uq_banned_pairs_round_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    taker_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"))
    giver_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PairingRun(db.Model):
    """One run of the pairing algorithm for a round, with its progress and outcome."""

    __tablename__ = "pairing_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    only_unpaired: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default="running")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(40), default="starting")
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Written by the process computing the run; a run whose heartbeat stops is swept to failed.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # One running run per round, enforced by the database (SQLite and PostgreSQL).
        Index("uq_pairing_runs_one_running", "round_id", unique=True,
              sqlite_where=text("status = 'running'"),
              postgresql_where=text("status = 'running'")),
    )


class AuditEvent(db.Model):
    """Who did what, when, to which round or pair; with before/after and the reason."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    pair_id: Mapped[int | None] = mapped_column(
        ForeignKey("pairs.id", ondelete="SET NULL"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    actor = relationship("User")


class OutboxMessage(db.Model):
    """An email spread sent, kept as a copy (and the only delivery when no SMTP is set)."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40), default="message")
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered: Mapped[bool] = mapped_column(default=False)
