"""Learning criterion weights from the labels: a candidate model version with its held-out effect."""
from __future__ import annotations

import copy
import logging

import numpy as np
from marshmallow import ValidationError
from sklearn.metrics import roc_auc_score
from sqlalchemy import select

from spread.extensions import db
from spread.matchmaking.adapter import profile_to_matching
from spread.matchmaking.labels import Label, trained_on, training_labels
from spread.matchmaking.store import add_model_version, current_fitted_model, current_model_row
from spread.models import MatchModel, Profile, User
from spread.schemas.messages import N_

logger = logging.getLogger(__name__)

MIN_LABELS = 20
TOO_FEW = N_("Too few decided pairs to learn from: at least 20, approvals and rejections both.")


def labelled_pairs(labels: list[Label]) -> tuple[list[dict], list[dict], np.ndarray]:
    """The labelled pairs whose profiles still exist, as dicts, with their labels."""
    ids = {label.taker_id for label in labels} | {label.giver_id for label in labels}
    profiles = {p.id: p for p in db.session.scalars(select(Profile).where(Profile.id.in_(ids)))}
    kept = [x for x in labels if x.taker_id in profiles and x.giver_id in profiles]
    return ([profile_to_matching(profiles[x.taker_id]) for x in kept],
            [profile_to_matching(profiles[x.giver_id]) for x in kept],
            np.array([x.label for x in kept], dtype=int))


def held_out_auc(model, takers: list[dict], givers: list[dict], y: np.ndarray) -> float | None:
    """Area under the ROC curve of the model's scores of aligned pairs (None: one class only)."""
    if len(set(y.tolist())) < 2:
        return None
    scores = np.diag(model.score(takers, givers))
    return round(float(roc_auc_score(y, scores)), 4)


def train_candidate(actor: User | None = None, note: str | None = None,
                    test_share: float = 0.25, seed: int = 0) -> MatchModel:
    """Learn weights on the labels (the current model's fit) and record a candidate version.

    A random ``test_share`` of the labelled pairs is held out; the candidate's ``evaluation``
    holds the AUC of the current weights and of the learned ones on them. Flush only.
    """
    labels = training_labels()
    takers, givers, y = labelled_pairs(labels)
    if len(y) < MIN_LABELS or y.min() == y.max():
        raise ValidationError({"labels": [TOO_FEW]})
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = max(1, int(len(y) * test_share))
    test, train = order[:n_test], order[n_test:]
    if len(set(y[train].tolist())) < 2:
        train, test = order, order[:0]
    current = current_model_row()
    model = current_fitted_model().model
    learner = copy.copy(model)  # fit_weights replaces weights_; the stored fit stays as it is
    learner.fit_weights([takers[i] for i in train], [givers[i] for i in train], y[train])
    held_out = ([takers[i] for i in test], [givers[i] for i in test], y[test])
    evaluation = {"train_pairs": len(train), "test_pairs": len(test),
                  "auc_current": held_out_auc(model, *held_out) if len(test) else None,
                  "auc_candidate": held_out_auc(learner, *held_out) if len(test) else None,
                  "based_on_version": current.version}
    row = add_model_version(params=current.params, weights=learner.learned_params(),
                            created_by=actor, trained_on=trained_on(labels),
                            evaluation=evaluation, note=note)
    logger.info("candidate model version %s: %s", row.version, evaluation)
    return row
