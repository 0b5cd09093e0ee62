"""Self-service accounts: sign-up with email confirmation, and password resets.

Every answer here is the same whether or not an address has an account, so the forms cannot be
used to find out who uses spread. What differs goes by mail, to the address's owner.
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import delete
from werkzeug.security import generate_password_hash

from spread.extensions import db
from spread.models import ApiToken, User
from spread.models.base import utcnow
from spread.password_rules import password_problems
from spread.schemas.messages import N_
from spread.services.account_links import CONFIRM, RESET, make_link_token, user_of_link_token
from spread.services.mail import send_mail
from spread.services.users import find_user_by_email, register_user

logger = logging.getLogger(__name__)

ACCOUNT_MAIL = "account"  # the outbox hides the body of these: they carry personal links


def sign_up(data: dict) -> None:
    """Create an unconfirmed account and mail its link; for a known address, mail its owner."""
    existing = find_user_by_email(data["email"])
    if existing is None:
        user = register_user(data, confirmed=False)
        send_confirmation(user)
        logger.info("signed up user %s (unconfirmed)", user.id)
        return
    generate_password_hash(data["password"])  # as slow as a real sign-up: timing tells nothing
    if existing.deleted_at is None:
        _mail(existing, "already_registered", N_("You already have an account on spread"),
              url=_public_url("web.login"), reset_url=_public_url("web.forgot_password"),
              key=f"already-registered:{existing.id}:{_hour()}")


def send_confirmation(user: User) -> None:
    """Mail ``user`` a link that confirms their address (at most one an hour)."""
    token = make_link_token(user, CONFIRM)
    _mail(user, "confirm_account", N_("Confirm your email address for spread"),
          url=_public_url("web.confirm_email", token=token), key=f"confirm:{user.id}:{_hour()}")


def confirm_email(token: str) -> User | None:
    """Confirm the address a confirmation link was sent to; None if the link is not valid."""
    user = user_of_link_token(token, CONFIRM)
    if user is None or user.email_confirmed_at is not None:
        # The link logs in once: a used one (an old mail, a proxy log) is no key to the account.
        return None
    user.email_confirmed_at = utcnow()
    db.session.flush()
    logger.info("user %s confirmed their address", user.id)
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link if an account has this address; do nothing visible otherwise."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    token = make_link_token(user, RESET)
    _mail(user, "password_reset", N_("Reset your spread password"),
          url=_public_url("web.reset_password", token=token),
          key=f"reset:{user.id}:{datetime.now():%Y%m%d%H%M}")


def user_of_reset_link(token: str) -> User | None:
    """Return the account a reset link is valid for, or None."""
    return user_of_link_token(token, RESET)


def reset_password(user: User, password: str) -> User:
    """Set a new password from a reset link; the address counts as confirmed, tokens die."""
    problems = password_problems(password, user.email, user.name)
    if problems:
        raise ValidationError({"password": problems})
    user.set_password(password)
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    # Whoever knew the old password may hold API tokens made with it.
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.flush()
    logger.info("user %s reset their password", user.id)
    return user


def _mail(user: User, template: str, subject: str, url: str, key: str, **context) -> None:
    """Render an account mail in the recipient's language (``subject`` is an untranslated msgid)."""
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        body = render_template(f"mail/{template}.txt", user=user, url=url, **context)
        subject = _(subject)
    send_mail(user.email, subject, body, kind=ACCOUNT_MAIL, key=key)
    if not current_app.config.get("SMTP_HOST"):
        # Development without a mail server: the outbox hides account mails, so the developer
        # finds the link here instead.
        logger.warning("no mail server: the link for %s is %s", user.email, url)


def _public_url(endpoint: str, **values) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for(endpoint, **values)


def _hour() -> str:
    return datetime.now().strftime("%Y%m%d%H")
