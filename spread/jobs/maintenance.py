"""Periodic tasks, run by the worker's scheduler: stale-run sweep and the daily reminders."""
from __future__ import annotations

import logging

from huey import crontab

from spread.extensions import db
from spread.queue import app_periodic_task
from spread.services.reminders import send_reminders
from spread.services.run_liveness import sweep_stale_runs

logger = logging.getLogger(__name__)


@app_periodic_task(crontab(minute="*"))
def sweep_runs() -> None:
    """Every minute: fail the pairing runs whose process died, so their rounds can run again."""
    sweep_stale_runs()
    db.session.commit()


@app_periodic_task(crontab(minute="0", hour="6"))
def daily_reminders() -> None:
    """Every day at 06:00 UTC: the dialogue reminders and follow-up invitations that are due."""
    report = send_reminders()
    db.session.commit()
    logger.info("sent %s reminders: %s", report.total, report.sent)
