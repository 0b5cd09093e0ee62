"""Sending email: every message is kept in the outbox; SMTP delivers it when configured.

Without ``SPREAD_SMTP_HOST`` (development, tests) the outbox is the only delivery: admins and
coordinators read it at /outbox. With it, the queue's worker delivers each message after the
request commits (spread/jobs/mail.py, with retries), so no request waits for the mail server. A ``key`` makes a message idempotent: a second message with the
same key is not sent (reminders use this never to repeat themselves).
"""
from __future__ import annotations

import logging
import re
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from spread.extensions import db
from spread.models import OutboxMessage

logger = logging.getLogger(__name__)

SUBJECT_LIMIT = 300  # the outbox's column
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def send_mail(to: str, subject: str, body: str, kind: str = "message",
              key: str | None = None) -> OutboxMessage | None:
    """Queue a plain-text email in the current transaction; None if ``key`` was sent before."""
    if key is not None and db.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return None
    message = OutboxMessage(to=to, subject=header_text(subject), body=body, kind=kind, key=key)
    db.session.add(message)
    db.session.flush()
    if current_app.config.get("SMTP_HOST"):
        from spread.jobs.mail import deliver_mail  # the job module imports this one
        from spread.queue import enqueue_after_commit

        enqueue_after_commit(db.session(), deliver_mail, message.id)
    return message


def header_text(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """One header line: line breaks and control characters become spaces; clipped to ``limit``."""
    line = " ".join(_CONTROL.sub(" ", text).split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def deliver(message: OutboxMessage) -> bool:
    """Send one message over SMTP and return True; raises OSError or SMTPException when that
    fails (the queue's task then tries again later)."""
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_FROM"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.body)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
            smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as error:
        logger.warning("could not deliver mail %s to %s: %s", message.id, message.to, error)
        raise
    return True
