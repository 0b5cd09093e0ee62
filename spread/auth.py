"""Who is asking: session login for pages, bearer tokens or the session for the API."""
from __future__ import annotations

from functools import wraps

from flask import Flask, abort, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import select

from spread.extensions import csrf, db, login_manager
from spread.models import ApiToken, User
from spread.models.base import utcnow
from spread.models.user import hash_token


def register_auth(app: Flask) -> None:
    """Bind Flask-Login, with bearer tokens accepted on API requests."""
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message_category = "info"

    @app.before_request
    def protect_api_session_writes() -> None:
        # Token clients are not browsers; a logged-in browser session writing to the API must
        # send the CSRF token (X-CSRFToken header) exactly as forms do.
        if not request.path.startswith("/api/") or not current_app.config["WTF_CSRF_ENABLED"]:
            return
        if request.method in ("GET", "HEAD", "OPTIONS") or bearer_token() is not None:
            return
        if "_user_id" in session:
            csrf.protect()


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the user of a session."""
    try:
        return db.session.get(User, int(user_id))
    except ValueError:
        return None


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    """Authenticate an API request by its ``Authorization: Bearer`` token."""
    token = bearer_token()
    if token is None or not req.path.startswith("/api/"):
        return None
    api_token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if api_token is None or not api_token.user.is_active:
        return None
    api_token.last_used_at = utcnow()
    g.api_token_used = True
    return api_token.user


def bearer_token() -> str | None:
    """Return the bearer token sent with this request, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def login_required_api(view):
    """Answer 401 to anonymous API callers."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401)
        return view(*args, **kwargs)

    return wrapped


def coordinator_required(view):
    """Allow only coordinators and admins (401 when anonymous, 403 otherwise)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401)
        if not current_user.is_coordinator:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def can_edit_profile(user, profile) -> bool:
    """Owners edit their own profiles; coordinators and admins edit any."""
    return user.is_authenticated and (user.is_coordinator or profile.owner_id == user.id)


def can_edit_organisation(user, organisation) -> bool:
    """The creator of an organisation, coordinators and admins may edit it."""
    return user.is_authenticated and (
        user.is_coordinator or organisation.created_by_id == user.id
    )
