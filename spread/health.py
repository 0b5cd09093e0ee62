"""Health and readiness endpoints for load balancers and orchestrators.

``/healthz`` answers as long as the process serves requests (touches nothing). ``/readyz``
answers 200 only when the database, the task queue's storage and the model store answer (a
current model version exists), else 503, so a balancer sends no traffic to an app server that
could not do its work. It also says at which profiles version the newest stored fit is.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Flask
from sqlalchemy import text

from spread.extensions import csrf, db
from spread.matchmaking import store
from spread.queue import queue_reachable

logger = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    """The process is alive."""
    return {"status": "ok"}


@bp.route("/readyz")
def readyz():
    """The database and the queue answer: 200 with each check, or 503 naming what fails."""
    database = _database_answers()
    fitted = _newest_fit() if database else None
    checks = {"database": database, "queue": queue_reachable(), "model": fitted is not None}
    ready = all(checks.values())
    body = {"status": "ok" if ready else "unavailable",
            "checks": {name: "ok" if passed else "failing" for name, passed in checks.items()},
            "model": fitted or {}}
    return body, 200 if ready else 503


def _newest_fit() -> dict | None:
    """The current model version and its newest stored fit's profiles version (None: unreadable)."""
    try:
        row = store.current_model_row()
        newest = store.newest_stored(row.id)
        db.session.rollback()  # a read only; version 1 is created in its own transaction
        return {"version": row.version, "fitted_at_profiles_version": newest}
    except Exception:
        db.session.rollback()
        logger.warning("readiness: the model store does not answer", exc_info=True)
        return None


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return True
    except Exception:
        db.session.rollback()
        logger.warning("readiness: the database does not answer", exc_info=True)
        return False


def register_health(app: Flask) -> None:
    """Add /healthz and /readyz (no login, no CSRF, no rate limit)."""
    csrf.exempt(bp)
    app.register_blueprint(bp)
