"""A pairing run as a short pipeline: load, score, constrain, solve, explain, persist.

Hard constraints: never the same organisation, giver capacity (minus places already approved),
overlapping availability, banned pairs, pairs already rejected in the round, and the round's
minimum fit. Stated interest raises a pair: one-sided interest by ``INTEREST_BONUS``, mutual
interest by twice that. Approved pairs always stay; ``only_unpaired`` also keeps the current
proposals and pairs only the profiles that have none. The run scores with the stored fitted
model of the current model version (the one suggestions use) and records its version.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, insert, select

from matching import optimal_pairing, stable_pairing
from spread.extensions import db
from spread.matchmaking.adapter import profiles_to_matching
from spread.matchmaking.constraints import round_allowed
from spread.matchmaking.store import LoadedModel, current_fitted_model
from spread.models import Pair, PairingRun, PairStatus, Profile, Round, RoundState, User
from spread.models.base import utcnow
from spread.models.matching_state import profiles_version
from spread.services import audit
from spread.services.enrolments import enrolled_profiles, interest_pairs
from spread.services.rounds import transition

logger = logging.getLogger(__name__)

INTEREST_BONUS = 0.1
Progress = Callable[[str, float], None]


@dataclass
class Candidates:
    """Who takes part in a run: free takers, givers with their places left, pairs kept."""

    takers: list[Profile]
    givers: list[Profile]
    capacities: np.ndarray
    kept: int
    used: Counter


@dataclass
class Scored:
    """The candidates as the model sees them, and every taker–giver score."""

    loaded: LoadedModel
    taker_dicts: list[dict]
    giver_dicts: list[dict]
    features: tuple | None
    scores: np.ndarray


def load_candidates(round_id: int, only_unpaired: bool) -> Candidates:
    """The round's takers without a kept pair, its givers, and the places each has left."""
    kept_states = [PairStatus.APPROVED.value] + (
        [PairStatus.PROPOSED.value] if only_unpaired else [])
    kept = db.session.execute(select(Pair.taker_id, Pair.giver_id).where(
        Pair.round_id == round_id, Pair.status.in_(kept_states))).all()
    busy_takers = {taker_id for taker_id, _ in kept}
    used = Counter(giver_id for _, giver_id in kept)
    takers = [p for _, p in enrolled_profiles(round_id, "taker")
              if p.id not in busy_takers and not p.archived]
    giver_rows = [(e, p) for e, p in enrolled_profiles(round_id, "giver") if not p.archived]
    capacities = np.array([max(e.capacity - used[p.id], 0) for e, p in giver_rows],
                          dtype=np.int64)
    return Candidates(takers, [p for _, p in giver_rows], capacities, len(kept), used)


def score_candidates(candidates: Candidates, loaded: LoadedModel) -> Scored:
    """Transform both sides once and score every pair with the stored fitted model."""
    model = loaded.model
    taker_dicts = profiles_to_matching(candidates.takers)
    giver_dicts = profiles_to_matching(candidates.givers)
    if not (taker_dicts and giver_dicts):
        empty = np.zeros((len(taker_dicts), len(giver_dicts)))
        return Scored(loaded, taker_dicts, giver_dicts, None, empty)
    features = (model.transform(taker_dicts), model.transform(giver_dicts))
    return Scored(loaded, taker_dicts, giver_dicts, features, model.score_features(*features))


def with_interest(round_id: int, scores: np.ndarray, takers: list[Profile],
                  givers: list[Profile]) -> np.ndarray:
    """The scores raised by stated interest: one-sided by the bonus, mutual by twice that."""
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


def solve(method: str, boosted: np.ndarray, capacities: np.ndarray, allowed: np.ndarray,
          min_fit: float) -> list[tuple[int, int]]:
    """The chosen (taker row, giver row) pairs of the method under the constraints."""
    if not boosted.size:
        return []
    pairing = optimal_pairing if method == "optimal" else stable_pairing
    return [(int(t), int(g)) for t, g in pairing(boosted, capacities, allowed=allowed,
                                                 min_score=min_fit)]


def explain_chosen(scored: Scored, chosen: list[tuple[int, int]]) -> list[dict]:
    """The reasons of every chosen pair, in one batch on the features already computed."""
    if not chosen:
        return []
    rows = [t for t, _ in chosen]
    cols = [g for _, g in chosen]
    features = (scored.features[0].take(rows), scored.features[1].take(cols))
    return scored.loaded.model.explain_many([scored.taker_dicts[t] for t in rows],
                                            [scored.giver_dicts[g] for g in cols],
                                            features=features)


def persist_pairs(round_id: int, candidates: Candidates, scored: Scored,
                  chosen: list[tuple[int, int]], reasons: list[dict], method: str,
                  only_unpaired: bool) -> None:
    """Replace the round's proposals (unless only unpaired) with the chosen pairs: one insert."""
    if not only_unpaired:
        db.session.execute(delete(Pair).where(Pair.round_id == round_id,
                                              Pair.status == PairStatus.PROPOSED.value))
    if not chosen:
        return
    now = utcnow()
    rows = [{"round_id": round_id, "taker_id": candidates.takers[t].id,
             "giver_id": candidates.givers[g].id, "score": float(scored.scores[t, g]),
             "reasons": why, "status": PairStatus.PROPOSED.value, "source": method,
             "version": 1, "created_at": now, "updated_at": now}
            for (t, g), why in zip(chosen, reasons)]
    db.session.execute(insert(Pair), rows)


def why_unpaired(row: np.ndarray, allowed_row: np.ndarray, min_fit: float) -> str:
    """The reason code for a profile left unpaired (see ``UNPAIRED_REASONS``)."""
    if not allowed_row.any():
        return "no_allowed_partner"
    if float(row[allowed_row].max()) < min_fit:
        return "below_min_fit"
    return "capacity"


def summarise(candidates: Candidates, scored: Scored, boosted: np.ndarray, allowed: np.ndarray,
              chosen: list[tuple[int, int]], min_fit: float) -> dict:
    """The run's summary: counts, total fit, every unpaired profile and why, the model used."""
    paired_takers = {t for t, _ in chosen}
    paired_givers = {g for _, g in chosen}
    unpaired = {}
    for t, profile in enumerate(candidates.takers):
        if t not in paired_takers:
            unpaired[str(profile.id)] = why_unpaired(boosted[t], allowed[t], min_fit)
    for g, profile in enumerate(candidates.givers):
        if g not in paired_givers and candidates.used[profile.id] == 0 \
                and candidates.capacities[g] > 0:
            unpaired[str(profile.id)] = why_unpaired(boosted[:, g], allowed[:, g], min_fit)
    total = float(sum(scored.scores[t, g] for t, g in chosen))
    return {"pairs": len(chosen), "kept": candidates.kept, "takers": len(candidates.takers),
            "givers": len(candidates.givers), "total_fit": round(total, 4),
            "unpaired": unpaired, "model_version": scored.loaded.model_version,
            "fitted_at": scored.loaded.profiles_version}


def finish(run: PairingRun, round_: Round, actor: User | None, summary: dict) -> None:
    """Record the outcome, move the round to review and write the audit event."""
    run.summary = summary
    if round_.state == RoundState.PAIRING.value and actor is not None:
        transition(round_, RoundState.REVIEW.value, actor, reason=f"pairing run {run.id}")
    run.status, run.stage, run.progress, run.finished_at = "done", "done", 1.0, utcnow()
    audit.record("pairing.run", actor, round_,
                 after={"run": run.id, "method": run.method, "pairs": summary["pairs"],
                        "only_unpaired": run.only_unpaired,
                        "model_version": summary["model_version"]})


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
    session = db.session()
    # The progress commits must not expire the thousands of profiles loaded for the run (each
    # would be read again, row by row, on its next use).
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        step("loading", 0.05)
        candidates = load_candidates(round_.id, run.only_unpaired)
        step("scoring", 0.25)
        scored = score_candidates(candidates, current_fitted_model(profiles_version()))
        step("constraints", 0.5)
        allowed = round_allowed(round_.id, candidates.takers, candidates.givers)
        boosted = with_interest(round_.id, scored.scores, candidates.takers, candidates.givers)
        step("pairing", 0.65)
        chosen = solve(run.method, boosted, candidates.capacities, allowed, round_.min_fit)
        step("saving", 0.85)
        reasons = explain_chosen(scored, chosen)
        persist_pairs(round_.id, candidates, scored, chosen, reasons, run.method,
                      run.only_unpaired)
        finish(run, round_, actor,
               summarise(candidates, scored, boosted, allowed, chosen, round_.min_fit))
        db.session.commit()
        report("done", 1.0)
    except Exception as error:  # the run must end in a visible state, never stay "running"
        db.session.rollback()
        logger.exception("pairing run %s failed", run_id)
        run = db.session.get(PairingRun, run_id)
        run.status, run.error, run.finished_at = "failed", str(error)[:2000], utcnow()
        db.session.commit()
        raise
    finally:
        session.expire_on_commit = expire_on_commit
    return run
