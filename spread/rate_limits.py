"""Rate limits on the doors attackers knock on: logging in, registering, password resets.

Login attempts have one budget per client address and one per account, shared by the login
page and the API's token endpoint. An attempt is charged *before* the password is checked, in
one atomic step of the counter storage, so parallel guesses cannot all slip through; the charge
is given back unless the password really was wrong (a success, an unconfirmed account or a
503 during a database outage costs nothing). Counters live in memory per process by default;
with ``SPREAD_REDIS_URL`` (or ``SPREAD_RATELIMIT_STORAGE_URI``) every process and host shares
them.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from spread.services.users import normalise_email

# Views that mail a typed-in address: every request counts, per client address.
MAIL_SENDING_VIEWS = ("web.register", "account.register", "web.forgot_password")

Charge = tuple[RateLimitItem, tuple[str, ...]]


def register_rate_limits(app: Flask) -> None:
    """Give the app its own limiter and put the request limits on the views that need them.

    One limiter per app (not a module-level one) because Flask-Limiter keeps its switch and
    its counters on the instance, and tests run several apps side by side.
    """
    limiter = Limiter(get_remote_address)
    limiter.init_app(app)
    app.extensions["spread_limiter"] = limiter  # the limits hold only a weak reference to it
    for endpoint in MAIL_SENDING_VIEWS:
        app.view_functions[endpoint] = limiter.limit(
            mail_sending_limit, methods=["POST"], error_message=too_many_requests)(
            app.view_functions[endpoint])


class LoginAttempt:
    """One charged login attempt; the view says when the password was wrong."""

    def __init__(self) -> None:
        self.wrong = False

    def wrong_password(self) -> None:
        """Keep the charge: this attempt guessed a wrong password (or an unknown account)."""
        self.wrong = True


@contextmanager
def login_attempt(email: str) -> Iterator[LoginAttempt]:
    """Charge a login attempt to the client address and the account, or answer 429.

    The charge is refunded when the block ends without ``wrong_password()``, also when it
    raises (database outage), so only real wrong passwords use up the budget.
    """
    charges = _charge(email)
    attempt = LoginAttempt()
    try:
        yield attempt
    finally:
        if not attempt.wrong:
            _refund(charges)


def _login_budgets(email: str) -> list[Charge]:
    config = current_app.config
    prefix = config.get("RATELIMIT_KEY_PREFIX") or ""
    by_address = ("spread-login", prefix, "address", get_remote_address())
    by_account = ("spread-login", prefix, "account", normalise_email(email))
    return ([(item, by_address) for item in parse_many(config["LOGIN_RATE_LIMIT"])]
            + [(item, by_account) for item in parse_many(config["ACCOUNT_LOGIN_RATE_LIMIT"])])


def _charge(email: str) -> list[Charge]:
    """Hit every budget at once; if one is spent, give every hit back and raise 429."""
    limiter: Limiter = current_app.extensions["spread_limiter"]
    if not limiter.enabled:
        return []
    strategy = FixedWindowRateLimiter(limiter.storage)  # fixed windows can be refunded
    charges, spent = [], []
    for item, identifiers in _login_budgets(email):
        charges.append((item, identifiers))
        if not strategy.hit(item, *identifiers):
            spent.append((item, identifiers))
    if spent:
        _refund(charges)
        reset = max(strategy.get_window_stats(item, *ids).reset_time for item, ids in spent)
        error = TooManyRequests()
        error.data = {"message": too_many_logins(),
                      "headers": {"Retry-After": str(max(1, int(reset - time.time()) + 1))}}
        raise error
    return charges


def _refund(charges: list[Charge]) -> None:
    if not charges:
        return
    storage = current_app.extensions["spread_limiter"].storage
    for item, identifiers in charges:
        storage.incr(item.key_for(*identifiers), item.get_expiry(), amount=-1)


def mail_sending_limit() -> str:
    """Registrations and password-reset requests allowed per client address."""
    return current_app.config["MAIL_RATE_LIMIT"]


def too_many_logins() -> str:
    """The message shown when the login limit is reached."""
    return _("Too many failed login attempts. Wait a few minutes and try again, "
             "or reset your password.")


def too_many_requests() -> str:
    """The message shown when registration or reset requests are throttled."""
    return _("Too many requests from your address. Wait a few minutes and try again.")
