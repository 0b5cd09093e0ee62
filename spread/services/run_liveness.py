"""Pairing runs that cannot get stuck: the computing process beats, a sweep fails silent runs.

A run is ``running`` from the moment it is started. While a process computes it, a small timer
thread writes ``heartbeat_at`` every ``PAIRING_RUN_HEARTBEAT_SECONDS``. A run whose heartbeat is
older than ``PAIRING_RUN_STALE_SECONDS`` lost its process (killed, crashed, host gone) and the
sweep marks it failed, which frees its round for the next run. A run no worker has picked up
yet has no heartbeat; it is failed after ``PAIRING_RUN_QUEUED_TIMEOUT`` seconds.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, update
from sqlalchemy.engine import Engine

from spread.extensions import db
from spread.models import PairingRun
from spread.models.base import utcnow
from spread.schemas.messages import N_

logger = logging.getLogger(__name__)

STOPPED = N_("The process computing this run stopped. Start the run again.")
NEVER_STARTED = N_("No worker picked up this run in time. Start the run again.")


def beat(engine: Engine, run_id: int) -> None:
    """Record that the run's process is alive, on a connection of its own."""
    try:
        with engine.begin() as connection:
            connection.execute(update(PairingRun.__table__)
                               .where(PairingRun.__table__.c.id == run_id,
                                      PairingRun.__table__.c.status == "running")
                               .values(heartbeat_at=utcnow()))
    except Exception:
        logger.warning("could not record the heartbeat of pairing run %s", run_id, exc_info=True)


@contextmanager
def beating(run_id: int) -> Iterator[None]:
    """Keep the run's heartbeat going while the block computes it."""
    engine = db.engine
    interval = current_app.config["PAIRING_RUN_HEARTBEAT_SECONDS"]
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            beat(engine, run_id)

    beat(engine, run_id)
    thread = threading.Thread(target=loop, name=f"pairing-run-{run_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 5)


def sweep_stale_runs() -> int:
    """Mark failed every running run whose process is gone; returns how many (flush only)."""
    config = current_app.config
    now = utcnow()
    silent = now - timedelta(seconds=config["PAIRING_RUN_STALE_SECONDS"])
    unclaimed = now - timedelta(seconds=config["PAIRING_RUN_QUEUED_TIMEOUT"])
    swept = 0
    for condition, message in ((PairingRun.heartbeat_at < silent, STOPPED),
                               (and_(PairingRun.heartbeat_at.is_(None),
                                     PairingRun.started_at < unclaimed), NEVER_STARTED)):
        result = db.session.execute(
            update(PairingRun).where(PairingRun.status == "running", or_(condition))
            .values(status="failed", error=message, finished_at=now)
            .execution_options(synchronize_session=False))
        swept += result.rowcount
    if swept:
        logger.warning("marked %s stale pairing run(s) failed", swept)
    return swept
