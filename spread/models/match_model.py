"""Versioned similarity-model settings and the fitted models every process loads."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spread.extensions import db
from spread.models.base import utcnow

#: The note of the version the migration (or an empty store) creates: the library's defaults.
DEFAULT_MODEL_NOTE = "The matching library's default parameters."


class MatchModelStatus(str, enum.Enum):
    """A model version is tried as a candidate, made current, then retired."""

    CANDIDATE = "candidate"
    CURRENT = "current"
    RETIRED = "retired"


class MatchModel(db.Model):
    """One version of the model's parameters and learned criterion weights."""

    __tablename__ = "match_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    #: ``SimilarityModel`` constructor parameters; empty means the library's defaults.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Learned weights per criterion (``weights_``), or None for the parameters' weights.
    weights: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=MatchModelStatus.CANDIDATE.value,
                                        index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: What the weights were learned from: label counts and the decisions' date range.
    trained_on: Mapped[dict | None] = mapped_column(JSON)
    #: Held-out effect of the weights (e.g. AUC before and after).
    evaluation: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


class FittedModel(db.Model):
    """A model version fitted on the profiles of one profiles version (compressed pickle)."""

    __tablename__ = "fitted_models"
    __table_args__ = (
        UniqueConstraint("model_id", "profiles_version", name="uq_fitted_models_model_profiles"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("match_models.id", ondelete="CASCADE"),
                                          index=True)
    profiles_version: Mapped[int]
    n_profiles: Mapped[int] = mapped_column(default=0)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
