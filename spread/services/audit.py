"""The audit log: every coordinator decision, with before/after and the reason."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from spread.extensions import db
from spread.models import AuditEvent, Pair, Round, User


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict:
    """The named fields of ``obj`` as a JSON-ready dict."""
    return {name: _jsonable(getattr(obj, name)) for name in fields}


def record(action: str, actor: User | None, round_: Round | None = None, pair: Pair | None = None,
           before: dict | None = None, after: dict | None = None,
           reason: str | None = None) -> AuditEvent:
    """Add an audit event to the current transaction."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        round_id=round_.id if round_ is not None else (pair.round_id if pair else None),
        pair_id=pair.id if pair is not None else None,
        before=_jsonable(before),
        after=_jsonable(after),
        reason=reason,
    )
    db.session.add(event)
    return event
