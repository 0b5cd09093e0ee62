"""The task queue (Huey): long work and mail leave the web request and run in a worker.

One Huey instance per process, configured from the app: SQLite storage in the instance folder by
default (no server to run), Redis when ``SPREAD_REDIS_URL`` is set. Tests run tasks at once in
the calling process (immediate mode). Tasks run inside an app context with their own database
session; the worker creates its app once (``flask --app wsgi worker``).
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

huey = Huey("spread", immediate=True)  # immediate until an app configures it
_state: dict[str, Flask | None] = {"app": None}
_PENDING = "spread_tasks_after_commit"


def init_queue(app: Flask) -> None:
    """Point the process's queue at the app's storage (or immediate mode) and remember the app."""
    immediate = app.config["QUEUE_IMMEDIATE"]
    if immediate is None:
        immediate = app.testing
    huey.immediate = True  # drop the old storage before swapping its class
    huey.name = app.config["QUEUE_NAME"]
    if app.config.get("REDIS_URL"):
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": app.config["REDIS_URL"]}
    else:
        path = app.config.get("QUEUE_PATH") or str(Path(app.instance_path) / "queue.sqlite3")
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": path}
    huey.immediate = bool(immediate)
    _state["app"] = app


def worker_app() -> Flask:
    """The app tasks run in: the current one, the one the worker bound, or a new one."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _state["app"] is None:
        from spread import create_app

        create_app()  # init_queue binds it
    return _state["app"]  # type: ignore[return-value]


def app_task(**options) -> Callable:
    """Like ``huey.task`` but the function runs in a fresh app context and database session."""

    def decorator(function: Callable) -> Callable:
        @functools.wraps(function)
        def in_app_context(*args, **kwargs):
            # A new app context gives the task its own session, also in immediate mode where
            # it runs inside the request (or inside that request's commit).
            with worker_app().app_context():
                return function(*args, **kwargs)

        return huey.task(**options)(in_app_context)

    return decorator


def app_periodic_task(validate_datetime: Callable, **options) -> Callable:
    """Like ``huey.periodic_task``, run in an app context (the worker's scheduler runs it)."""

    def decorator(function: Callable) -> Callable:
        @functools.wraps(function)
        def in_app_context():
            with worker_app().app_context():
                return function()

        return huey.periodic_task(validate_datetime, **options)(in_app_context)

    return decorator


def enqueue_after_commit(session: Session, task: Callable, *args) -> None:
    """Enqueue ``task(*args)`` once ``session`` commits (so the worker sees the rows); never
    if it rolls back."""
    session.info.setdefault(_PENDING, []).append((task, args))


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    for task, args in session.info.pop(_PENDING, []):
        try:
            task(*args)
        except Exception:
            logger.exception("could not enqueue %s%s", getattr(task, "name", task), args)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING, None)


def queue_reachable() -> bool:
    """Whether the queue's storage answers (for the readiness check)."""
    try:
        huey.pending_count()
        return True
    except Exception:
        logger.warning("the task queue's storage does not answer", exc_info=True)
        return False

