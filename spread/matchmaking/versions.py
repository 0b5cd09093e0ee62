"""Model versions as coordinators handle them: learn, evaluate, adopt and roll back (audited).

The page ``/model`` and the ``flask model`` commands both go through these functions. They
flush, never commit; a refusal raises :class:`ModelRefusal` with a message to translate.
"""
from __future__ import annotations

import logging

import numpy as np
from flask_babel import gettext
from marshmallow import ValidationError
from sqlalchemy import select

from spread.extensions import db
from spread.matchmaking import store
from spread.matchmaking.adapter import active_profiles, profiles_to_matching
from spread.matchmaking.labels import training_labels
from spread.matchmaking.training import MIN_LABELS, held_out_auc, labelled_pairs, train_candidate
from spread.models import MatchModel, MatchModelStatus, User
from spread.schemas.messages import N_
from spread.services import audit

logger = logging.getLogger(__name__)

#: The constructor parameter of each criterion's weight.
WEIGHT_PARAMS = {"text": "text_weight", "sectors": "sector_weight",
                 "target_groups": "target_group_weight", "region": "region_weight",
                 "level": "level_weight", "facet": "facet_weight"}
TEST_SHARE = 0.25
SEED = 0
TOO_FEW = N_("Too few decided pairs to learn from: %(approved)s approved and %(rejected)s "
             "rejected; at least %(minimum)s in all, with approvals and rejections both.")
TOO_FEW_HELD_OUT = N_("Too few decided pairs to evaluate on: %(approved)s approved and "
                      "%(rejected)s rejected; at least %(minimum)s in all, with both kinds.")
NO_VERSION = N_("There is no model version %(version)s.")
ALREADY_CURRENT = N_("Model version %(version)s is the current one already.")
NO_CANDIDATE = N_("There is no candidate version; learn one first.")
NO_PREVIOUS = N_("There is no earlier version to roll back to.")


class ModelRefusal(Exception):
    """A model action that cannot be done now, with a message to translate and its values."""

    def __init__(self, message: str, **values):
        super().__init__(message % values)
        self.message = message
        self.values = values

    def translated(self) -> str:
        """The message in the request's (or the app's default) language."""
        return gettext(self.message, **self.values)


def all_versions() -> list[MatchModel]:
    """Every model version, newest first (version 1 is created when there is none)."""
    store.current_model_row()
    return list(db.session.scalars(select(MatchModel).order_by(MatchModel.version.desc())))


def find_version(version: int) -> MatchModel:
    """The model version with this number, or a refusal."""
    row = db.session.scalar(select(MatchModel).where(MatchModel.version == version))
    if row is None:
        raise ModelRefusal(NO_VERSION, version=version)
    return row


def weight_shares(row: MatchModel) -> list[tuple[str, float]]:
    """Each criterion's share of the version's weights, in per cent (they add up to 100)."""
    params = store.new_estimator(row).get_params()
    weights = {c: float(params[name]) for c, name in WEIGHT_PARAMS.items()}
    total = sum(weights.values()) or 1.0
    return [(c, round(100 * weights.get(c, 0.0) / total, 1)) for c in WEIGHT_PARAMS]


def _counts(y: np.ndarray) -> dict:
    return {"approved": int(y.sum()), "rejected": int(len(y) - y.sum()), "minimum": MIN_LABELS}


def learn(actor: User | None, note: str | None = None) -> MatchModel:
    """Learn candidate weights from the decided pairs; refused when there are too few."""
    _, _, y = labelled_pairs(training_labels())
    if len(y) < MIN_LABELS or y.min() == y.max():
        raise ModelRefusal(TOO_FEW, **_counts(y))
    try:
        row = train_candidate(actor, note, test_share=TEST_SHARE, seed=SEED)
    except ValidationError:
        raise ModelRefusal(TOO_FEW, **_counts(y)) from None
    audit.record("model.learned", actor, after=_facts(row))
    return row


def _ordered(scores: np.ndarray, y: np.ndarray) -> int:
    """How many (approved, rejected) pairs of held-out pairs rank the approved one higher."""
    good, poor = scores[y == 1], scores[y == 0]
    return int((good[:, None] > poor[None, :]).sum())


def _figures(model, takers: list[dict], givers: list[dict], y: np.ndarray) -> dict:
    scores = np.diag(model.score(takers, givers))
    return {"auc": held_out_auc(model, takers, givers, y), "ordered": _ordered(scores, y)}


def evaluate(row: MatchModel) -> dict:
    """The version against the current one on held-out decided pairs; kept on the version.

    The held-out share is drawn as when learning (same seed), so a candidate is judged on
    pairs it did not learn from while the decisions stay the same.
    """
    takers, givers, y = labelled_pairs(training_labels())
    if len(y) < MIN_LABELS or y.min() == y.max():
        raise ModelRefusal(TOO_FEW_HELD_OUT, **_counts(y))
    order = np.random.default_rng(SEED).permutation(len(y))
    test = order[:max(1, int(len(y) * TEST_SHARE))]
    if len(set(y[test].tolist())) < 2:
        test = order
    held = ([takers[i] for i in test], [givers[i] for i in test], y[test])
    current = store.current_model_row()
    dicts = profiles_to_matching(active_profiles()) or [{"text": ""}]
    candidate_model = store.new_estimator(row).fit(dicts)
    figures = {"version": row.version, "against_version": current.version,
               "held_out": len(test), "approved": int(held[2].sum()),
               "rejected": int(len(test) - held[2].sum()),
               "pairs": int(held[2].sum() * (len(test) - held[2].sum())),
               "candidate": _figures(candidate_model, *held),
               "current": _figures(store.current_fitted_model().model, *held)}
    row.evaluation = {**(row.evaluation or {}), "compared": figures}
    db.session.flush()
    logger.info("evaluated model version %s: %s", row.version, figures)
    return figures


def _facts(row: MatchModel) -> dict:
    return {"version": row.version, "status": row.status, "weights": row.weights}


def adopt(row: MatchModel, actor: User | None) -> MatchModel:
    """Make a version current (the current one is retired); audited."""
    current = store.current_model_row()
    if row.id == current.id:
        raise ModelRefusal(ALREADY_CURRENT, version=row.version)
    before = _facts(current)
    store.promote(row)
    audit.record("model.adopted", actor, before=before, after=_facts(row))
    return row


def previous_version() -> MatchModel | None:
    """The retired version just below the current one: the one a rollback makes current."""
    current = store.current_model_row()
    return db.session.scalar(select(MatchModel).where(
        MatchModel.status == MatchModelStatus.RETIRED.value,
        MatchModel.version < current.version).order_by(MatchModel.version.desc()))


def rollback(actor: User | None) -> MatchModel:
    """Make the previous current version current again (the current one is retired)."""
    previous = previous_version()
    if previous is None:
        raise ModelRefusal(NO_PREVIOUS)
    current = store.current_model_row()
    before = _facts(current)
    store.promote(previous)
    audit.record("model.rolled_back", actor, before=before, after=_facts(previous))
    return previous
