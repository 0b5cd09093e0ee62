"""Queue task: compute a pairing run in the worker, with heartbeats."""
from __future__ import annotations

import logging

from spread.extensions import db
from spread.models import PairingRun
from spread.queue import app_task
from spread.services import pairing_runs
from spread.services.run_liveness import beating

logger = logging.getLogger(__name__)


@app_task()
def run_pairing(run_id: int) -> None:
    """Compute a committed run unless it ended meanwhile (swept, or deleted with its round)."""
    run = db.session.get(PairingRun, run_id)
    if run is None or run.status != "running":
        logger.info("pairing run %s is no longer waiting; skipped", run_id)
        return
    with beating(run_id):
        try:
            pairing_runs.execute_run(run)
        except Exception:  # noqa: BLE001  (execute_run recorded the failure on the run)
            logger.info("pairing run %s failed; the run shows why", run_id)


def enqueue_run(run_id: int) -> None:
    """Hand a committed run to the queue (the run page and API poll its progress)."""
    run_pairing(run_id)
