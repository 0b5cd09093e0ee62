"""The life of a pairing run: started (recorded), then executed by the task queue or here.

The run itself (load, score, constrain, solve, explain, persist) is
:func:`spread.matchmaking.pairing_run.execute_run`; the queue task is
:mod:`spread.jobs.pairing`, and :mod:`spread.services.run_liveness` keeps runs from getting stuck.
"""
from __future__ import annotations

import logging

from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from spread.extensions import db
from spread.matchmaking.pairing_run import execute_run
from spread.models import PairingRun, Round, RoundState, User
from spread.schemas.messages import N_
from spread.services.errors import ConflictError
from spread.services.run_liveness import sweep_stale_runs

logger = logging.getLogger(__name__)

METHODS = ("optimal", "stable")
RUNNABLE_STATES = (RoundState.PAIRING.value, RoundState.REVIEW.value)
__all__ = ["METHODS", "RUNNABLE_STATES", "UNPAIRED_REASONS", "execute_run", "start_run"]

UNPAIRED_REASONS = {
    "no_allowed_partner": N_("No allowed partner (own organisation, availability, bans)."),
    "below_min_fit": N_("Every allowed partner fits below the round's minimum."),
    "capacity": N_("Good partners exist, but their places went to better-fitting pairs."),
}


def start_run(round_: Round, method: str, actor: User, only_unpaired: bool = False) -> PairingRun:
    """Record a new run (status running); the caller commits and then executes it.

    The database allows one running run per round (a partial unique index), so of two
    simultaneous starts one wins and the other gets a ConflictError (409). Runs whose process
    died are swept first, so they never block the round.
    """
    if method not in METHODS:
        raise ValidationError({"method": [N_("Choose optimal or stable.")]})
    if round_.state not in RUNNABLE_STATES:
        raise ValidationError({"round": [N_("Move the round to pairing before running the pairing.")]})
    sweep_stale_runs()
    run = PairingRun(round_id=round_.id, method=method, only_unpaired=only_unpaired,
                     started_by_id=actor.id, status="running", stage="queued")
    try:
        with db.session.begin_nested():
            db.session.add(run)
    except IntegrityError:
        raise ConflictError(N_("A pairing run for this round is under way already.")) from None
    return run
