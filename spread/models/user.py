"""Accounts, roles and API tokens."""
from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from spread.extensions import db
from spread.models.base import TimestampMixin, utcnow


class Role(str, enum.Enum):
    """What an account may do: participants own profiles, coordinators run rounds."""

    PARTICIPANT = "participant"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class User(UserMixin, TimestampMixin, db.Model):
    """A person with an account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default=Role.PARTICIPANT.value)
    locale: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(default=True)
    # Set when the owner followed the link in the confirmation mail; unconfirmed accounts
    # cannot log in. Accounts made by the CLI, the demo data and admins start confirmed.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when the account was deleted on request: the row stays, anonymised, so that the
    # anonymous statistics and the audit log keep their references.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password``."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Return whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login reads this
        return self.active and self.deleted_at is None

    @property
    def is_confirmed(self) -> bool:
        """Whether the owner has proved they receive mail at the address."""
        return self.email_confirmed_at is not None

    @property
    def is_coordinator(self) -> bool:
        """Coordinators and admins may manage everyone's data."""
        return self.role in (Role.COORDINATOR.value, Role.ADMIN.value)

    @property
    def is_admin(self) -> bool:
        """Admins manage accounts and roles."""
        return self.role == Role.ADMIN.value

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


def hash_token(token: str) -> str:
    """Return the stored form of an API token (tokens are never stored in clear)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")
