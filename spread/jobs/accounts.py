"""Queue task: password-reset mails, worked out in the worker so that the request does the
same for every address (one enqueue) and its answer and timing tell nobody who has an account."""
from __future__ import annotations

import logging

from flask import current_app

from spread.extensions import db
from spread.queue import app_task
from spread.services import signup

logger = logging.getLogger(__name__)


@app_task()
def send_password_reset(email: str) -> None:
    """Mail a reset link if ``email`` has an account; nothing otherwise."""
    # The links in the mail are built with url_for, which needs a request to build against.
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        signup.request_password_reset(email)
        db.session.commit()
