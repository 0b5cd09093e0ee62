"""The match-model page for coordinators: weights, versions, learn, evaluate, adopt, roll back."""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema
from sqlalchemy import select

from spread import labels
from spread.auth import is_coordinator, requires
from spread.extensions import db
from spread.matchmaking import store, versions
from spread.models import User
from spread.schemas.match_model import LearnSchema, VersionSchema
from spread.web import bp
from spread.web.forms import flash_redirect, load_form

logger = logging.getLogger(__name__)


def _page(errors: dict | None = None, status: int = 200):
    rows = versions.all_versions()
    current = store.current_model_row()
    ids = {row.created_by_id for row in rows if row.created_by_id}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return render_template(
        "model/index.html", current=current, shares=versions.weight_shares(current),
        rows=rows, people=people, previous=versions.previous_version(), errors=errors or {},
        criteria=labels.MODEL_CRITERIA, statuses=labels.MODEL_STATUSES,
        system_notes=labels.MODEL_SYSTEM_NOTES), status


def _act(schema: Schema, action: Callable[[dict], object], message: Callable[[object], str]):
    """Validate the form, run the model action and commit; a refusal shows the page (422)."""
    data, errors = load_form(schema, request.form)
    if data is None:
        return _page({"_form": [m for messages in errors.values() for m in messages]}, 422)
    try:
        result = action(data)
    except versions.ModelRefusal as error:
        db.session.rollback()
        return _page({"_form": [error.translated()]}, 422)
    db.session.commit()
    return flash_redirect(message(result), url_for("web.match_model"))


@bp.route("/model")
@requires(is_coordinator)
def match_model():
    """The current weights, every version, and the buttons to change them."""
    return _page()


@bp.route("/model/learn", methods=["POST"])
@requires(is_coordinator)
def match_model_learn():
    """Learn candidate weights from the decided pairs."""
    return _act(LearnSchema(), lambda data: versions.learn(current_user, data["note"]),
                lambda row: _("Learned candidate weights: model version %(version)s.",
                              version=row.version))


@bp.route("/model/evaluate", methods=["POST"])
@requires(is_coordinator)
def match_model_evaluate():
    """Compare a version with the current one on held-out decided pairs."""
    return _act(VersionSchema(),
                lambda data: versions.evaluate(versions.find_version(data["version"])),
                lambda figures: _("Model version %(version)s evaluated on %(held_out)s "
                                  "held-out decided pairs.", version=figures["version"],
                                  held_out=figures["held_out"]))


@bp.route("/model/adopt", methods=["POST"])
@requires(is_coordinator)
def match_model_adopt():
    """Make a version current."""
    return _act(VersionSchema(),
                lambda data: versions.adopt(versions.find_version(data["version"]), current_user),
                lambda row: _("Model version %(version)s is current now.", version=row.version))


@bp.route("/model/rollback", methods=["POST"])
@requires(is_coordinator)
def match_model_rollback():
    """Make the previous current version current again."""
    return _act(Schema(), lambda data: versions.rollback(current_user),
                lambda row: _("Rolled back: model version %(version)s is current again.",
                              version=row.version))
