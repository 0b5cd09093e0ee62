"""The life of a pairing run: started (recorded), then executed here or in the background.

The run itself (load, score, constrain, solve, explain, persist) is
:func:`spread.matchmaking.pairing_run.execute_run`.
"""
from __future__ import annotations

import logging
import threading

from flask import Flask, current_app
from marshmallow import ValidationError
from sqlalchemy import select

from spread.extensions import db
from spread.matchmaking.pairing_run import INTEREST_BONUS, Progress, execute_run
from spread.models import PairingRun, Round, RoundState, User
from spread.schemas.messages import N_

logger = logging.getLogger(__name__)

METHODS = ("optimal", "stable")
RUNNABLE_STATES = (RoundState.PAIRING.value, RoundState.REVIEW.value)
__all__ = ["INTEREST_BONUS", "METHODS", "Progress", "RUNNABLE_STATES", "UNPAIRED_REASONS",
           "execute_run", "run_in_background", "start_run"]

UNPAIRED_REASONS = {
    "no_allowed_partner": N_("No allowed partner (own organisation, availability, bans)."),
    "below_min_fit": N_("Every allowed partner fits below the round's minimum."),
    "capacity": N_("Good partners exist, but their places went to better-fitting pairs."),
}


def start_run(round_: Round, method: str, actor: User, only_unpaired: bool = False) -> PairingRun:
    """Record a new run (status running); the caller commits and then executes it."""
    if method not in METHODS:
        raise ValidationError({"method": [N_("Choose optimal or stable.")]})
    if round_.state not in RUNNABLE_STATES:
        raise ValidationError({"round": [N_("Move the round to pairing before running the pairing.")]})
    running = db.session.scalar(select(PairingRun.id).where(
        PairingRun.round_id == round_.id, PairingRun.status == "running"))
    if running is not None:
        raise ValidationError({"round": [N_("A pairing run for this round is under way already.")]})
    run = PairingRun(round_id=round_.id, method=method, only_unpaired=only_unpaired,
                     started_by_id=actor.id, status="running", stage="queued")
    db.session.add(run)
    db.session.flush()
    return run


def run_in_background(app: Flask, run_id: int) -> threading.Thread:
    """Execute a committed run in a thread of this process (the page polls its progress)."""

    def target() -> None:
        with app.app_context():
            try:
                execute_run(db.session.get(PairingRun, run_id))
            except Exception:  # recorded on the run by execute_run
                pass
            finally:
                db.session.remove()

    thread = threading.Thread(target=target, name=f"pairing-run-{run_id}", daemon=True)
    thread.start()
    current_app.extensions.setdefault("spread_pairing_threads", []).append(thread)
    return thread
