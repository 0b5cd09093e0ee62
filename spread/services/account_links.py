"""Signed, expiring links for confirming an email address and for resetting a password.

A link carries the account id and a fingerprint of what it may change: the address for
confirmation, a slice of the password hash for resets. Once the password changes, every reset
link sent before stops working, so each one can be used only once.
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from spread.extensions import db
from spread.models import User

CONFIRM = "confirm-email"
RESET = "reset-password"
MAX_AGE = {CONFIRM: 7 * 24 * 3600, RESET: 3600}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"spread-{purpose}")


def _fingerprint(user: User, purpose: str) -> str:
    return user.email if purpose == CONFIRM else user.password_hash[-16:]


def make_link_token(user: User, purpose: str) -> str:
    """Return a token for ``user`` that is valid for ``purpose`` until it expires."""
    return _serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user, purpose)})


def user_of_link_token(token: str, purpose: str) -> User | None:
    """Return the account a valid, unexpired, unused token was made for; None otherwise."""
    try:
        payload = _serializer(purpose).loads(token, max_age=MAX_AGE[purpose])
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        return None
    user = db.session.get(User, payload["u"])
    if user is None or user.deleted_at is not None or not user.active:
        return None
    return user if payload.get("f") == _fingerprint(user, purpose) else None
