"""Pages: the list of rounds; creating a round and changing its name, dates and minimum fit."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from spread import labels
from spread.auth import is_coordinator, requires
from spread.models import Round
from spread.read_models.rounds import visible_rounds
from spread.schemas.rounds import RoundSchema, RoundUpdateSchema
from spread.services import rounds
from spread.web import bp
from spread.web.forms import flash_redirect, submit
from spread.web.rounds.lookup import round_or_404

ROUND_FORM_FIELDS = (
    "name", "description", "registration_opens", "registration_closes", "internship_start",
    "internship_end", "preparatory_workshop", "followup_workshop", "min_fit",
)


@bp.route("/rounds")
@requires()
def rounds_list():
    """All rounds for coordinators (drafts too); participants see the rounds past draft."""
    return render_template("rounds/list.html", rounds=visible_rounds(current_user),
                           state_labels=labels.ROUND_STATES)


@bp.route("/rounds/new", methods=["GET", "POST"])
@requires(is_coordinator)
def new_round():
    """Create a round (as a draft)."""
    return _edit_round(None)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@requires(is_coordinator)
def edit_round(round_id: int):
    """Change a round's name, description, dates and minimum fit."""
    return _edit_round(round_or_404(round_id))


def _edit_round(round_: Round | None):
    """The round form; on POST save it and go to the round, or show it with the errors."""
    def show(errors: dict, status: int):
        form = request.form if request.method == "POST" else _round_form(round_)
        return render_template("rounds/form.html", round=round_, form=form,
                               errors=errors), status

    if request.method != "POST":
        return show({}, 200)

    def save(data: dict) -> Round:
        if round_ is None:
            return rounds.create_round(data, current_user)
        rounds.update_round(round_, data, current_user, data.pop("version", None))
        return round_

    schema = RoundSchema() if round_ is None else RoundUpdateSchema(partial=False)
    return submit(schema, save, show=show, done=lambda saved: flash_redirect(
        _("The round was saved."), url_for("web.round_overview", round_id=saved.id)))


def _round_form(round_: Round | None) -> MultiDict:
    """The form values of a round, as the browser would send them."""
    if round_ is None:
        return MultiDict({"min_fit": "0.1"})
    form = MultiDict()
    for name in ROUND_FORM_FIELDS:
        value = getattr(round_, name)
        form[name] = "" if value is None else str(value)
    form["version"] = str(round_.version)
    return form
