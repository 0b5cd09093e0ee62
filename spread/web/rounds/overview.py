"""Pages: a round's overview, moving it between states, enrolment and stated interest."""
from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from spread import labels
from spread.auth import allow, can_edit_profile, is_coordinator, requires
from spread.extensions import db
from spread.models import Interest, Round, RoundState
from spread.read_models.lookups import profile_or_invalid
from spread.read_models.rounds import coordination, participation
from spread.schemas.rounds import EnrolSchema, InterestInputSchema, TransitionSchema
from spread.services import enrolments, publishing, rounds
from spread.web import bp
from spread.web.forms import commit_or_show, flash_redirect, submit
from spread.web.rounds.lookup import own_profile, round_or_404, visible_round


@bp.route("/rounds/<int:round_id>")
@requires()
def round_overview(round_id: int):
    """A round: state, counts and actions for coordinators; enrolment and interest for
    participants; their approved pairs once published."""
    return render_overview(visible_round(round_id))


def render_overview(round_: Round, errors: dict | None = None, status: int = 200,
                    form: MultiDict | None = None):
    """The round page, with a failed form's errors and input when there are any."""
    context = {"round": round_, "errors": errors or {}, "form": form or MultiDict(),
               "state_labels": labels.ROUND_STATES, "method_names": labels.RUN_METHOD_NAMES,
               "run_status_labels": labels.RUN_STATUSES,
               "participation": participation(round_, current_user)}
    if current_user.is_coordinator:
        context["coordination"] = coordination(round_)
    return render_template("rounds/show.html", **context), status


def _overview_url(round_: Round) -> str:
    return url_for("web.round_overview", round_id=round_.id)


@bp.route("/rounds/<int:round_id>/state", methods=["POST"])
@requires(is_coordinator)
def move_round(round_id: int):
    """Move the round to one of its legal next states; publishing tells every participant."""
    round_ = round_or_404(round_id)

    def move(data: dict) -> int | None:
        if data["state"] == RoundState.PUBLISHED.value:
            return publishing.publish(round_, current_user, data["version"])
        rounds.transition(round_, data["state"], current_user, data["version"], data["reason"])
        return None

    def done(sent: int | None):
        if sent is None:
            message = _("The round is now: %(state)s.", state=labels.ROUND_STATES[round_.state])
        else:
            message = ngettext("The round was published; %(num)s email was sent.",
                               "The round was published; %(num)s emails were sent.", sent)
        return flash_redirect(message, _overview_url(round_))

    def show(errors: dict, status: int):
        db.session.refresh(round_)
        return render_overview(round_, errors, status, request.form)

    return submit(TransitionSchema(), move, done=done, show=show)


def _participant_action(round_id: int, schema, action, message: str):
    """Validate, call ``action(round_, data)``, commit and redirect; or show the overview."""
    round_ = visible_round(round_id)
    return submit(schema, lambda data: action(round_, data),
                  done=lambda _result: flash_redirect(message, _overview_url(round_)),
                  show=lambda errors, status: render_overview(round_, errors, status,
                                                              request.form))


@bp.route("/rounds/<int:round_id>/enrolments", methods=["POST"])
@requires()
def enrol(round_id: int):
    """Enrol one of the user's profiles in the round."""
    def action(round_, data):
        enrolments.enrol(round_, own_profile(data["profile_id"], "profile_id"), current_user,
                         by_coordinator=current_user.is_coordinator)
    return _participant_action(round_id, EnrolSchema(), action,
                               _("The profile is enrolled in the round."))


@bp.route("/rounds/<int:round_id>/enrolments/withdraw", methods=["POST"])
@requires()
def withdraw(round_id: int):
    """Withdraw one of the user's profiles from the round (before publishing)."""
    def action(round_, data):
        enrolments.withdraw(round_, own_profile(data["profile_id"], "profile_id"), current_user)
    return _participant_action(round_id, EnrolSchema(), action,
                               _("The profile was withdrawn from the round."))


@bp.route("/rounds/<int:round_id>/interests", methods=["POST"])
@requires()
def state_interest(round_id: int):
    """Say that one of the user's enrolled profiles would like to be paired with another."""
    def action(round_, data):
        source = own_profile(data["from_profile_id"], "from_profile_id")
        target = profile_or_invalid(data["to_profile_id"], "to_profile_id")
        enrolments.express_interest(round_, source, target, current_user)
    return _participant_action(round_id, InterestInputSchema(), action,
                               _("Your interest was recorded."))


@bp.route("/rounds/<int:round_id>/interests/<int:interest_id>/delete", methods=["POST"])
@requires()
def take_back_interest(round_id: int, interest_id: int):
    """Take back a statement of interest."""
    round_ = visible_round(round_id)
    interest = db.session.get(Interest, interest_id)
    if interest is None or interest.round_id != round_.id:
        abort(404)
    allow(can_edit_profile(current_user, interest.from_profile))
    return commit_or_show(
        lambda: enrolments.withdraw_interest(interest),
        done=lambda _result: flash_redirect(_("Your interest was taken back."),
                                            _overview_url(round_)),
        show=lambda errors, status: render_overview(round_, errors, status))
