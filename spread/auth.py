"""Who is asking: session login for pages, bearer tokens or the session for the API."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, timedelta
from functools import wraps

from flask import Flask, abort, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from spread.extensions import csrf, db, login_manager
from spread.models import ApiToken, User
from spread.models.base import utcnow
from spread.models.user import hash_token

TOKEN_USE_INTERVAL = timedelta(minutes=1)  # how precisely api_tokens.last_used_at is kept


def register_auth(app: Flask) -> None:
    """Bind Flask-Login, with bearer tokens accepted on API requests."""
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message_category = "info"

    @app.before_request
    def bearer_token_wins_over_the_session() -> None:
        # An API call that names a token acts as that token's owner (or as nobody, when the
        # token is invalid), even from a browser that is logged in as someone else.
        if request.path.startswith("/api/") and bearer_token() is not None:
            g._login_user = load_user_from_token(request) or login_manager.anonymous_user()

    @app.before_request
    def protect_api_session_writes() -> None:
        # Token clients are not browsers; a logged-in browser session writing to the API must
        # send the CSRF token (X-CSRFToken header) exactly as forms do.
        if not request.path.startswith("/api/") or not current_app.config["WTF_CSRF_ENABLED"]:
            return
        if request.method in ("GET", "HEAD", "OPTIONS") or bearer_token() is not None:
            return
        # current_user also logs in from the "remember me" cookie, which the session may lack.
        if "_user_id" in session or current_user.is_authenticated:
            csrf.protect()


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the user of a session."""
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    # A deactivated or deleted account loses its sessions everywhere at once.
    return user if user is not None and user.is_active else None


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    """Authenticate an API request by its ``Authorization: Bearer`` token."""
    token = bearer_token()
    if token is None or not req.path.startswith("/api/"):
        return None
    api_token = db.session.scalar(select(ApiToken).options(joinedload(ApiToken.user))
                                  .where(ApiToken.token_hash == hash_token(token)))
    if api_token is None or not api_token.user.is_active:
        return None
    _record_token_use(api_token)
    g.api_token_used = True
    return api_token.user


def _record_token_use(api_token: ApiToken) -> None:
    """Note when a token was used, at most once a minute, on a connection of its own.

    Written in the request's transaction it would hold the token's row lock for the whole
    request (concurrent requests with one token would queue), and GET requests never commit.
    """
    now = utcnow()
    last = api_token.last_used_at
    if last is not None and last.tzinfo is None:  # SQLite hands back naive UTC
        last = last.replace(tzinfo=UTC)
    if last is not None and now - last < TOKEN_USE_INTERVAL:
        return
    with db.engine.begin() as connection:
        connection.execute(update(ApiToken).where(ApiToken.id == api_token.id)
                           .values(last_used_at=now))


def bearer_token() -> str | None:
    """Return the bearer token sent with this request, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def requires(check: Callable[[User], bool] | None = None):
    """Decorator: the view is for logged-in users for whom ``check(user)`` holds.

    Anonymous callers get 401 from the API (before the body is validated) and the login page
    elsewhere; logged-in users who fail the check get 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.path.startswith("/api/"):
                    abort(401)
                return login_manager.unauthorized()
            allow(check is None or check(current_user))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def allow(allowed: bool) -> None:
    """Answer 403 unless ``allowed`` (the check on a row, once it is loaded)."""
    if not allowed:
        abort(403)


def is_coordinator(user: User) -> bool:
    """Coordinators and admins."""
    return user.is_coordinator


def is_admin(user: User) -> bool:
    """Admins only."""
    return user.is_admin


def can_edit_profile(user, profile) -> bool:
    """Owners edit their own profiles; coordinators and admins edit any."""
    return user.is_authenticated and (user.is_coordinator or profile.owner_id == user.id)


def can_edit_organisation(user, organisation) -> bool:
    """The creator of an organisation, coordinators and admins may edit it."""
    return user.is_authenticated and (
        user.is_coordinator or organisation.created_by_id == user.id
    )
