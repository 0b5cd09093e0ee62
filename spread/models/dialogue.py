"""The six-phase spreading dialogue of an approved pair: phases, log entries, evaluations.

Phase definitions are versioned data: an admin's edit creates a new version, and every pair
keeps the version it started with, so editing the guide never rewrites a pairing's past log.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spread.extensions import db
from spread.models.base import TimestampMixin, utcnow

PHASE_COUNT = 6


class Adoption(str, enum.Enum):
    """What became of the innovation at the taker's (COI: copied, adapted, inspired)."""

    COPIED = "copied"
    ADAPTED = "adapted"
    INSPIRED = "inspired"
    NOT_ADOPTED = "not_adopted"


class PhaseGuide(db.Model):
    """One version of the six phase definitions (titles, purposes, actions, questions)."""

    __tablename__ = "phase_guides"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    phases: Mapped[list] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Dialogue(TimestampMixin, db.Model):
    """The workspace of one approved pair, bound to the guide version it started with."""

    __tablename__ = "dialogues"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), unique=True)
    guide_id: Mapped[int] = mapped_column(ForeignKey("phase_guides.id"))
    work_ahead: Mapped[bool] = mapped_column(default=False)
    followup_due: Mapped[date | None] = mapped_column(Date)
    last_activity_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_reason: Mapped[str | None] = mapped_column(Text)

    pair = relationship("Pair")
    guide: Mapped[PhaseGuide] = relationship()
    marks: Mapped[list[PhaseMark]] = relationship(cascade="all, delete-orphan")
    entries: Mapped[list[LogEntry]] = relationship(
        cascade="all, delete-orphan", order_by="LogEntry.created_at"
    )


class PhaseMark(db.Model):
    """One side marking one phase done."""

    __tablename__ = "phase_marks"
    __table_args__ = (
        UniqueConstraint("dialogue_id", "phase", "side", name="uq_phase_marks_dialogue_phase_side"),
        CheckConstraint(f"phase >= 1 AND phase <= {PHASE_COUNT}", name="phase_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id", ondelete="CASCADE"),
                                             index=True)
    phase: Mapped[int]
    side: Mapped[str] = mapped_column(String(5))
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ActionTick(db.Model):
    """A recommended action of a phase ticked done by one side."""

    __tablename__ = "action_ticks"
    __table_args__ = (
        UniqueConstraint("dialogue_id", "phase", "side", "action",
                         name="uq_action_ticks_dialogue_phase_side_action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id", ondelete="CASCADE"),
                                             index=True)
    phase: Mapped[int]
    side: Mapped[str] = mapped_column(String(5))
    action: Mapped[int]
    ticked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ticked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LogEntry(TimestampMixin, db.Model):
    """What one side did at a phase: a note, decisions, links; edits keep their history."""

    __tablename__ = "log_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id", ondelete="CASCADE"),
                                             index=True)
    phase: Mapped[int]
    side: Mapped[str] = mapped_column(String(5))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text)
    decisions: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list] = mapped_column(JSON, default=list)

    author = relationship("User")
    next_actions: Mapped[list[NextAction]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="NextAction.id"
    )
    revisions: Mapped[list[LogEntryRevision]] = relationship(
        cascade="all, delete-orphan", order_by="LogEntryRevision.id"
    )


class LogEntryRevision(db.Model):
    """An earlier text of a log entry, kept when its author edits it."""

    __tablename__ = "log_entry_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("log_entries.id", ondelete="CASCADE"),
                                          index=True)
    note: Mapped[str] = mapped_column(Text)
    decisions: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list] = mapped_column(JSON, default=list)
    replaced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NextAction(db.Model):
    """A next action agreed in a log entry, with an owner and a due date."""

    __tablename__ = "next_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("log_entries.id", ondelete="CASCADE"),
                                          index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    entry: Mapped[LogEntry] = relationship(back_populates="next_actions")


class PoorFitFlag(db.Model):
    """One side's flag that the pairing does not work, for the coordinator to act on."""

    __tablename__ = "poor_fit_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id", ondelete="CASCADE"),
                                             index=True)
    side: Mapped[str] = mapped_column(String(5))
    reason: Mapped[str] = mapped_column(Text)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(Text)


class Evaluation(db.Model):
    """One side's rating of the internship."""

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("dialogue_id", "side", name="uq_evaluations_dialogue_side"),
        CheckConstraint("satisfaction >= 1 AND satisfaction <= 5", name="satisfaction_1_to_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id", ondelete="CASCADE"),
                                             index=True)
    side: Mapped[str] = mapped_column(String(5))
    satisfaction: Mapped[int]
    would_recommend: Mapped[bool]
    what_worked: Mapped[str] = mapped_column(Text, default="")
    what_did_not: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FollowUp(db.Model):
    """The follow-up report: the taker on adoption, the giver on improving the original."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("dialogue_id", "side", name="uq_follow_ups_dialogue_side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id", ondelete="CASCADE"),
                                             index=True)
    side: Mapped[str] = mapped_column(String(5))
    adoption: Mapped[str | None] = mapped_column(String(20))
    improved_original: Mapped[bool | None]
    explanation: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
