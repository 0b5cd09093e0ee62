"""Rate limits on the doors attackers knock on: logging in, registering, password resets.

Failed logins are counted per client address and per account, so neither guessing many
passwords for one account nor trying one password on many accounts gets far. Counters live in
memory per process by default; set ``SPREAD_RATELIMIT_STORAGE_URI=redis://...`` so that
several workers share them.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from spread.services.users import normalise_email

# Views where a password is tried: failures count per client address and per account.
LOGIN_VIEWS = ("web.login", "account.create_token")
# Views that mail a typed-in address: every request counts, per client address.
MAIL_SENDING_VIEWS = ("web.register", "account.register", "web.forgot_password")


def register_rate_limits(app: Flask) -> None:
    """Give the app its own limiter and put the limits on the views that need them.

    One limiter per app (not a module-level one) because Flask-Limiter keeps its switch and
    its counters on the instance, and tests run several apps side by side.
    """
    limiter = Limiter(get_remote_address)
    limiter.init_app(app)
    app.extensions["spread_limiter"] = limiter  # the limits hold only a weak reference to it
    for endpoint in LOGIN_VIEWS:
        view = limiter.limit(account_login_limit, key_func=submitted_email, methods=["POST"],
                             deduct_when=failed, error_message=too_many_logins)(
            app.view_functions[endpoint])
        app.view_functions[endpoint] = limiter.limit(
            login_limit, methods=["POST"], deduct_when=failed,
            error_message=too_many_logins)(view)
    for endpoint in MAIL_SENDING_VIEWS:
        app.view_functions[endpoint] = limiter.limit(
            mail_sending_limit, methods=["POST"], error_message=too_many_requests)(
            app.view_functions[endpoint])


def login_limit() -> str:
    """Failed logins allowed per client address."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def account_login_limit() -> str:
    """Failed logins allowed per account, whatever address they come from."""
    return current_app.config["ACCOUNT_LOGIN_RATE_LIMIT"]


def mail_sending_limit() -> str:
    """Registrations and password-reset requests allowed per client address."""
    return current_app.config["MAIL_RATE_LIMIT"]


def submitted_email() -> str:
    """The account a login attempt is for, as the counter key."""
    data = request.get_json(silent=True) if request.is_json else request.form
    email = data.get("email") if hasattr(data, "get") else None
    return "account:" + normalise_email(email if isinstance(email, str) else "")


def failed(response: Response) -> bool:
    """Only failed attempts count: a successful login must not lock anybody out."""
    return response.status_code >= 400


def too_many_logins() -> str:
    """The message shown when the login limit is reached."""
    return _("Too many failed login attempts. Wait a few minutes and try again, "
             "or reset your password.")


def too_many_requests() -> str:
    """The message shown when registration or reset requests are throttled."""
    return _("Too many requests from your address. Wait a few minutes and try again.")
