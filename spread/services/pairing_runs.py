"""Running the pairing algorithm for a round, with progress, under the hard constraints.

Hard constraints: never the same organisation, giver capacity (minus places already approved),
overlapping availability, banned pairs, pairs already rejected in the round, and the round's
minimum fit. Stated interest raises a pair: one-sided interest by ``INTEREST_BONUS``, mutual
interest by twice that. Approved pairs always stay; ``only_unpaired`` also keeps the current
proposals and pairs only the profiles that have none.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

import numpy as np
from marshmallow import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from matching import optimal_pairing, stable_pairing
from spread.extensions import db
from spread.models import BannedPair, Pair, PairingRun, PairStatus, Profile, Round, RoundState
from spread.models import User
from spread.models.base import utcnow
from spread.services import audit
from spread.services.enrolments import enrolled_profiles, interest_pairs
from spread.services.errors import ConflictError
from spread.services.pairs import propose
from spread.services.rounds import transition
from spread.services.run_liveness import sweep_stale_runs
from spread.services.suggestions import engine, profile_to_matching
from spread.schemas.messages import N_

logger = logging.getLogger(__name__)

METHODS = ("optimal", "stable")
INTEREST_BONUS = 0.1
RUNNABLE_STATES = (RoundState.PAIRING.value, RoundState.REVIEW.value)
Progress = Callable[[str, float], None]

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


def _overlap(a_from: date | None, a_until: date | None, b_from: date | None,
             b_until: date | None) -> bool:
    start = max((d for d in (a_from, b_from) if d), default=None)
    end = min((d for d in (a_until, b_until) if d), default=None)
    return start is None or end is None or start <= end


def execute_run(run: PairingRun, progress: Progress | None = None) -> PairingRun:
    """Compute and store the proposals of a run; commits as it goes so progress is visible."""
    report = progress or (lambda stage, fraction: None)

    def step(stage: str, fraction: float) -> None:
        run.stage, run.progress = stage, fraction
        db.session.commit()
        report(stage, fraction)

    run_id = run.id  # still readable after a failed flush has expired ``run``
    round_ = db.session.get(Round, run.round_id)
    actor = db.session.get(User, run.started_by_id) if run.started_by_id else None
    try:
        step("loading", 0.05)
        takers_all = enrolled_profiles(round_.id, "taker")
        givers_all = enrolled_profiles(round_.id, "giver")
        kept_states = [PairStatus.APPROVED.value] + (
            [PairStatus.PROPOSED.value] if run.only_unpaired else [])
        kept = list(db.session.scalars(select(Pair).where(
            Pair.round_id == round_.id, Pair.status.in_(kept_states))))
        busy_takers = {p.taker_id for p in kept}
        used = {}
        for p in kept:
            used[p.giver_id] = used.get(p.giver_id, 0) + 1
        takers = [(e, p) for e, p in takers_all if p.id not in busy_takers and not p.archived]
        givers = [(e, p) for e, p in givers_all if not p.archived]
        capacities = np.array([max(e.capacity - used.get(p.id, 0), 0) for e, p in givers],
                              dtype=np.int64)

        step("scoring", 0.25)
        model = engine().index().model
        taker_dicts = [profile_to_matching(p) for _, p in takers]
        giver_dicts = [profile_to_matching(p) for _, p in givers]
        if takers and givers:
            scores = model.score(taker_dicts, giver_dicts)
        else:
            scores = np.zeros((len(takers), len(givers)))

        step("constraints", 0.5)
        allowed = _allowed(round_.id, [p for _, p in takers], [p for _, p in givers])
        boosted = _with_interest(round_.id, scores, [p for _, p in takers],
                                 [p for _, p in givers])

        step("pairing", 0.65)
        pairing = optimal_pairing if run.method == "optimal" else stable_pairing
        chosen = pairing(boosted, capacities, allowed=allowed, min_score=round_.min_fit) \
            if takers and givers else []

        step("saving", 0.85)
        if not run.only_unpaired:
            db.session.execute(delete(Pair).where(Pair.round_id == round_.id,
                                                  Pair.status == PairStatus.PROPOSED.value))
        for t, g in chosen:
            taker, giver = takers[t][1], givers[g][1]
            reasons = model.explain(taker_dicts[t], giver_dicts[g])
            propose(round_, taker, giver, actor, source=run.method,
                    score=float(scores[t, g]), reasons=reasons)
        paired_takers = {t for t, _ in chosen}
        paired_givers = {g for _, g in chosen}
        unpaired = {}
        for t, (_, profile) in enumerate(takers):
            if t not in paired_takers:
                unpaired[str(profile.id)] = _why_unpaired(boosted[t], allowed[t], round_.min_fit)
        for g, (_, profile) in enumerate(givers):
            if g not in paired_givers and used.get(profile.id, 0) == 0 and capacities[g] > 0:
                unpaired[str(profile.id)] = _why_unpaired(boosted[:, g], allowed[:, g],
                                                          round_.min_fit)
        run.summary = {
            "pairs": len(chosen),
            "kept": len(kept),
            "takers": len(takers),
            "givers": len(givers),
            "total_fit": round(float(sum(scores[t, g] for t, g in chosen)), 4),
            "unpaired": unpaired,
        }
        if round_.state == RoundState.PAIRING.value and actor is not None:
            transition(round_, RoundState.REVIEW.value, actor, reason=f"pairing run {run.id}")
        run.status, run.stage, run.progress, run.finished_at = "done", "done", 1.0, utcnow()
        audit.record("pairing.run", actor, round_,
                     after={"run": run.id, "method": run.method, "pairs": len(chosen),
                            "only_unpaired": run.only_unpaired})
        db.session.commit()
        report("done", 1.0)
    except Exception as error:  # the run must end in a visible state, never stay "running"
        db.session.rollback()
        logger.exception("pairing run %s failed", run_id)
        run = db.session.get(PairingRun, run_id)
        run.status, run.error, run.finished_at = "failed", str(error)[:2000], utcnow()
        db.session.commit()
        raise
    return run


def _allowed(round_id: int, takers: list[Profile], givers: list[Profile]) -> np.ndarray:
    banned = set(db.session.execute(select(BannedPair.taker_id, BannedPair.giver_id)
                                    .where(BannedPair.round_id == round_id)).tuples())
    rejected = set(db.session.execute(select(Pair.taker_id, Pair.giver_id).where(
        Pair.round_id == round_id, Pair.status == PairStatus.REJECTED.value)).tuples())
    ruled_out = banned | rejected
    allowed = np.zeros((len(takers), len(givers)), dtype=bool)
    for t, taker in enumerate(takers):
        for g, giver in enumerate(givers):
            allowed[t, g] = (
                taker.organisation_id != giver.organisation_id
                and (taker.id, giver.id) not in ruled_out
                and _overlap(taker.available_from, taker.available_until,
                             giver.available_from, giver.available_until)
            )
    return allowed


def _with_interest(round_id: int, scores: np.ndarray, takers: list[Profile],
                   givers: list[Profile]) -> np.ndarray:
    interests = interest_pairs(round_id)
    if not interests:
        return scores
    boosted = scores.copy()
    taker_index = {p.id: i for i, p in enumerate(takers)}
    giver_index = {p.id: i for i, p in enumerate(givers)}
    for a, b in interests:
        if a in taker_index and b in giver_index:
            boosted[taker_index[a], giver_index[b]] += INTEREST_BONUS
        elif a in giver_index and b in taker_index:
            boosted[taker_index[b], giver_index[a]] += INTEREST_BONUS
    return boosted


def _why_unpaired(row: np.ndarray, allowed_row: np.ndarray, min_fit: float) -> str:
    if not allowed_row.any():
        return "no_allowed_partner"
    if float(row[allowed_row].max()) < min_fit:
        return "below_min_fit"
    return "capacity"
