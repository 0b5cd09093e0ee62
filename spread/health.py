"""Health and readiness endpoints for load balancers and orchestrators.

``/healthz`` answers as long as the process serves requests (touches nothing). ``/readyz``
answers 200 only when the database and the task queue's storage answer, else 503, so a
balancer sends no traffic to an app server that could not do its work.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Flask
from sqlalchemy import text

from spread.extensions import csrf, db
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
    checks = {"database": _database_answers(), "queue": queue_reachable()}
    ready = all(checks.values())
    body = {"status": "ok" if ready else "unavailable",
            "checks": {name: "ok" if passed else "failing" for name, passed in checks.items()}}
    return body, 200 if ready else 503


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
