"""Queue task: deliver an outbox message over SMTP, retrying while the server fails."""
from __future__ import annotations

import logging

from spread.extensions import db
from spread.models import OutboxMessage
from spread.queue import app_task
from spread.services.mail import deliver

logger = logging.getLogger(__name__)

# Five more tries, 30 s, 1 min, 2 min, 4 min and 8 min after a failure.
RETRIES = 5
RETRY_DELAY_SECONDS = 30


@app_task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=2)
def deliver_mail(message_id: int) -> None:
    """Send one outbox message; raising makes the queue try again later."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.delivered:
        return
    deliver(message)
    message.delivered = True
    db.session.commit()
