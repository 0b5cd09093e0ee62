"""Writes for accounts and API tokens (flush only; the request commits)."""
from __future__ import annotations

import logging
import secrets

from marshmallow import ValidationError
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from spread.extensions import db
from spread.models import ApiToken, Role, User
from spread.models.base import utcnow
from spread.models.user import hash_token
from spread.schemas.messages import N_

logger = logging.getLogger(__name__)

DUPLICATE_EMAIL = N_("An account with this email address already exists.")
# Checked when the address is unknown, so a failed login takes as long either way and its
# timing does not tell whether an account exists.
_DUMMY_HASH = generate_password_hash("no account has this password")


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively; store them lower-case."""
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """Return the user with this email address, if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(data: dict, role: Role = Role.PARTICIPANT, confirmed: bool = True) -> User:
    """Create an account from validated registration data.

    Accounts made by admins, the command line and the demo are ``confirmed``; self-service
    sign-up (spread.services.signup) makes unconfirmed ones and never reveals duplicates.
    """
    email = normalise_email(data["email"])
    if find_user_by_email(email) is not None:
        raise ValidationError({"email": [DUPLICATE_EMAIL]})
    user = User(email=email, name=data["name"], role=role.value, locale=data.get("locale"),
                email_confirmed_at=utcnow() if confirmed else None)
    user.set_password(data["password"])
    db.session.add(user)
    db.session.flush()
    logger.info("registered user %s with role %s", user.id, role.value)
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None (same answer for every failure)."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def set_role(user: User, role: Role) -> User:
    """Change what an account may do."""
    user.role = role.value
    db.session.flush()
    logger.info("user %s is now %s", user.id, role.value)
    return user


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the secret, which is shown only once."""
    secret = secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=hash_token(secret))
    db.session.add(token)
    db.session.flush()
    return token, secret


def count_users() -> int:
    """Number of accounts."""
    return db.session.scalar(select(func.count(User.id))) or 0
