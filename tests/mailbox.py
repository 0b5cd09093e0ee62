"""Reading what spread mailed, as a recipient would: the newest mail and the link in it."""
from __future__ import annotations

import re

from sqlalchemy import select

from spread.extensions import db
from spread.models import OutboxMessage


def latest_mail(to: str) -> OutboxMessage:
    """The newest outbox message to ``to`` (needs an app context)."""
    db.session.rollback()  # end the test's transaction, so writes of a live server are seen
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == to)
                                 .order_by(OutboxMessage.id.desc())).first()
    assert message is not None, f"no mail to {to}"
    return message


def link_path(body: str, prefix: str) -> str:
    """The path of the first link in ``body`` whose path starts with ``prefix``."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"[^\s]*)", body)
    assert match is not None, f"no {prefix} link in:\n{body}"
    return match.group(1)


def confirmation_path(to: str) -> str:
    """The /confirm/... path from the newest mail to ``to``."""
    return link_path(latest_mail(to).body, "/confirm/")
