"""Pages: internship rounds for coordinators (set-up, pairing, review, publishing, audit,
outbox) and for participants (enrolment, stated interest, their approved pairs).

Views stay thin: a schema validates the form, a service does the work (the same services the
JSON API in :mod:`spread.api.rounds` calls), the view commits and redirects (POST → redirect →
GET). When a service refuses, the page is shown again with the message: 422 for invalid input,
409 when the data changed under the user (stale version, capacity taken).
"""
from __future__ import annotations

import logging

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from spread.auth import can_edit_profile
from spread.extensions import db
from spread.jobs import pairing as pairing_jobs
from spread.models import (
    Enrolment,
    Interest,
    OutboxMessage,
    Pair,
    PairingRun,
    PairStatus,
    Profile,
    Round,
    RoundState,
)
from spread.models.round import LEGAL_TRANSITIONS
from spread.schemas.base import PageSchema
from spread.schemas.messages import N_, translate_errors
from spread.schemas.rounds import (
    BanSchema,
    DecisionSchema,
    EnrolSchema,
    InterestInputSchema,
    ManualPairSchema,
    PairQuerySchema,
    RoundSchema,
    RoundUpdateSchema,
    RunRequestSchema,
    SwapSchema,
    TransitionSchema,
)
from spread.services import enrolments, pairing_runs, pairs, publishing, review, rounds
from spread.services.errors import ConflictError
from spread.services.listing import paginate
from spread.web import bp
from spread.web.access import coordinator_page
from spread.web.forms import load_form

logger = logging.getLogger(__name__)

ROUND_FORM_FIELDS = (
    "name", "description", "registration_opens", "registration_closes", "internship_start",
    "internship_end", "preparatory_workshop", "followup_workshop", "min_fit",
)
PAIR_FILTERS = ("status", "mutual", "min_score", "sort")
ACTIVE_PAIR_STATES = (PairStatus.PROPOSED.value, PairStatus.APPROVED.value)

STATE_LABELS = {
    "draft": _l("Draft"),
    "open": _l("Open for registration"),
    "pairing": _l("Pairing"),
    "review": _l("Review"),
    "published": _l("Published"),
    "closed": _l("Closed"),
}

# What the button that moves a round from one state to the next says.
TRANSITION_LABELS = {
    ("draft", "open"): _l("Open registration"),
    ("open", "draft"): _l("Back to draft"),
    ("open", "pairing"): _l("Close registration and start pairing"),
    ("pairing", "open"): _l("Reopen registration"),
    ("pairing", "review"): _l("Move to review"),
    ("review", "pairing"): _l("Back to pairing"),
    ("review", "published"): _l("Publish the approved pairs"),
    ("published", "closed"): _l("Close the round"),
}

PAIR_STATUS_LABELS = {
    "proposed": _l("Proposed"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "closed": _l("Closed"),
}

INTEREST_LABELS = {
    "mutual": _l("Mutual interest"),
    "taker": _l("The taker asked for this giver"),
    "giver": _l("The giver asked for this taker"),
}

RUN_METHOD_LABELS = {
    "optimal": _l("Optimal: the largest total fit"),
    "stable": _l("Stable: no giver and taker would both rather be with each other"),
}

RUN_METHOD_NAMES = {"optimal": _l("optimal"), "stable": _l("stable")}

RUN_STAGE_LABELS = {
    "queued": _l("Waiting to start"),
    "starting": _l("Starting"),
    "loading": _l("Loading the enrolled profiles"),
    "scoring": _l("Scoring every taker against every giver"),
    "constraints": _l("Applying the rules (organisation, availability, bans)"),
    "pairing": _l("Choosing the pairs"),
    "saving": _l("Saving the proposals"),
    "done": _l("Done"),
}

RUN_STATUS_LABELS = {
    "running": _l("Under way"),
    "done": _l("Done"),
    "failed": _l("Failed"),
}

AUDIT_ACTION_LABELS = {
    "round.created": _l("Round created"),
    "round.updated": _l("Round changed"),
    "round.state": _l("State changed"),
    "enrolment.created": _l("Profile enrolled"),
    "enrolment.withdrawn": _l("Profile withdrawn"),
    "pairing.run": _l("Pairing run"),
    "pair.approved": _l("Pair approved"),
    "pair.rejected": _l("Pair rejected"),
    "pair.swapped": _l("Pair swapped"),
    "pair.manual": _l("Pair proposed by hand"),
    "pair.banned": _l("Pair banned"),
}

# The reasons a run gives for leaving a profile unpaired (pairing_runs.UNPAIRED_REASONS),
# marked here so that they are extracted for translation.
UNPAIRED_REASON_MESSAGES = [
    N_("No allowed partner (own organisation, availability, bans)."),
    N_("Every allowed partner fits below the round's minimum."),
    N_("Good partners exist, but their places went to better-fitting pairs."),
]

# Messages the round services give that reach these pages, marked for translation.
SERVICE_MESSAGES = [
    N_("The registration window must close after it opens."),
    N_("The internship must end after it starts."),
    N_("Registration must close before the internship starts."),
    N_("The preparatory workshop must be before the internship starts."),
    N_("The follow-up workshop must be after the internship ends."),
    N_("A closed round cannot be changed."),
    N_("The round is not open for registration."),
    N_("Archived profiles cannot be enrolled."),
    N_("This profile is already enrolled in the round."),
    N_("Enrolments can only be withdrawn before publishing."),
    N_("This profile is not enrolled in the round."),
    N_("This profile has an approved pair; ask the coordinator to reject it first."),
    N_("Interest can only be stated before publishing."),
    N_("Choose a partner on the other side."),
    N_("Partners must be from another organisation."),
    N_("Enrol this profile in the round first."),
    N_("That profile is not enrolled in the round."),
    N_("Pairs can only be changed while the round is in pairing or review."),
    N_("The taker already has an approved pair in this round."),
    N_("The giver has no room left: its capacity is taken."),
    N_("Give a reason for the rejection."),
    N_("This profile is not a taker."),
    N_("This profile is not a giver."),
    N_("A taker cannot be paired with its own organisation."),
    N_("This pair is banned in this round."),
    N_("Choose another pair of the same round."),
    N_("Give a reason for the ban."),
    N_("Ban a taker together with a giver."),
    N_("This pair is banned already."),
    N_("Choose optimal or stable."),
    N_("Move the round to pairing before running the pairing."),
    N_("A pairing run for this round is under way already."),
    N_("Approve at least one pair before publishing."),
    N_("No such profile."),
]


def _round_or_404(round_id: int) -> Round:
    return db.session.get(Round, round_id) or abort(404)


def _visible_round(round_id: int) -> Round:
    """A round the user may see: coordinators see all, participants all but drafts."""
    round_ = _round_or_404(round_id)
    if round_.state == RoundState.DRAFT.value and not current_user.is_coordinator:
        abort(403)
    return round_


def _errors_of(error: Exception) -> tuple[dict, int]:
    """Translated form errors and the status for a service's refusal."""
    if isinstance(error, ConflictError):
        return {"_form": [gettext(error.message)], **translate_errors(error.errors)}, 409
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return translate_errors(messages), 422


def _link_if(endpoint: str, **values) -> str | None:
    """The URL of a colleague's page, when that page exists in this build."""
    if endpoint in current_app.view_functions:
        return url_for(endpoint, **values)
    return None


# ---------------------------------------------------------------- list, create, edit

@bp.route("/rounds")
@login_required
def rounds_list():
    """All rounds for coordinators (drafts too); participants see the rounds past draft."""
    query = rounds.round_query()
    if not current_user.is_coordinator:
        query = query.where(Round.state != RoundState.DRAFT.value)
    return render_template("rounds/list.html", rounds=list(db.session.scalars(query)),
                           state_labels=STATE_LABELS)


@bp.route("/rounds/new", methods=["GET", "POST"])
@coordinator_page
def new_round():
    """Create a round (as a draft)."""
    return _edit_round(None)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@coordinator_page
def edit_round(round_id: int):
    """Change a round's name, description, dates and minimum fit."""
    return _edit_round(_round_or_404(round_id))


def _edit_round(round_: Round | None):
    errors: dict = {}
    status = 200
    if request.method == "POST":
        schema = RoundSchema() if round_ is None else RoundUpdateSchema(partial=False)
        data, errors = load_form(schema, request.form)
        status = 422
        if data is not None:
            try:
                if round_ is None:
                    round_ = rounds.create_round(data, current_user)
                else:
                    version = data.pop("version", None)
                    rounds.update_round(round_, data, current_user, version)
            except (ValidationError, ConflictError) as error:
                db.session.rollback()
                errors, status = _errors_of(error)
            else:
                db.session.commit()
                flash(_("The round was saved."), "success")
                return redirect(url_for("web.round_overview", round_id=round_.id))
    form = request.form if request.method == "POST" else _round_form(round_)
    return render_template("rounds/form.html", round=round_, form=form, errors=errors), status


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


# ---------------------------------------------------------------- overview and states

@bp.route("/rounds/<int:round_id>")
@login_required
def round_overview(round_id: int):
    """A round: state, counts and actions for coordinators; enrolment and interest for
    participants; their approved pairs once published."""
    return _render_overview(_visible_round(round_id))


def _render_overview(round_: Round, errors: dict | None = None, status: int = 200,
                     form: MultiDict | None = None):
    context = {"round": round_, "errors": errors or {}, "form": form or MultiDict(),
               "state_labels": STATE_LABELS, "method_names": RUN_METHOD_NAMES,
               "run_status_labels": RUN_STATUS_LABELS}
    if current_user.is_coordinator:
        context["coordination"] = _coordination(round_)
    context["participation"] = _participation(round_)
    return render_template("rounds/show.html", **context), status


def _coordination(round_: Round) -> dict:
    """What the coordinator sees: next states, counts, links."""
    sides = dict(db.session.execute(
        select(Enrolment.side, func.count())
        .where(Enrolment.round_id == round_.id, Enrolment.withdrawn_at.is_(None))
        .group_by(Enrolment.side)).all())
    by_status = dict(db.session.execute(
        select(Pair.status, func.count()).where(Pair.round_id == round_.id)
        .group_by(Pair.status)).all())
    interests = enrolments.interest_pairs(round_.id)
    mutual = sum(1 for a, b in interests if (b, a) in interests) // 2
    runs = list(db.session.scalars(select(PairingRun).where(PairingRun.round_id == round_.id)
                                   .order_by(PairingRun.id.desc()).limit(5)))
    return {
        "transitions": [(state, TRANSITION_LABELS.get((round_.state, state), STATE_LABELS[state]))
                        for state in LEGAL_TRANSITIONS.get(round_.state, ())],
        "givers": sides.get("giver", 0),
        "takers": sides.get("taker", 0),
        "pairs": {status: by_status.get(status, 0) for status in PAIR_STATUS_LABELS},
        "interests": len(interests),
        "mutual": mutual,
        "runs": runs,
        "links": {
            "dashboard": _link_if("web.round_dashboard", round_id=round_.id),
            "import": _link_if("web.round_import", round_id=round_.id),
            "export": _link_if("web.round_export", round_id=round_.id),
        },
    }


def _participation(round_: Round) -> dict:
    """What a participant sees: their profiles, enrolments, partners and interest."""
    own = list(db.session.scalars(select(Profile).where(
        Profile.owner_id == current_user.id, Profile.archived_at.is_(None))
        .order_by(Profile.side, Profile.id)))
    enrolled = {p.id: e for e, p in enrolments.enrolled_profiles(round_.id)}
    own_ids = {p.id for p in own}
    everyone = enrolments.enrolled_profiles(round_.id)
    interests = enrolments.interest_pairs(round_.id)
    own_interests = {(i.from_profile_id, i.to_profile_id): i for i in db.session.scalars(
        select(Interest).where(Interest.round_id == round_.id,
                               Interest.from_profile_id.in_(own_ids)))} if own_ids else {}
    profiles = []
    for profile in own:
        partners = []
        if profile.id in enrolled:
            for _enrolment, other in everyone:
                if other.side == profile.side or other.organisation_id == \
                        profile.organisation_id or other.id in own_ids:
                    continue
                partners.append({
                    "profile": other,
                    "interest": own_interests.get((profile.id, other.id)),
                    "theirs": (other.id, profile.id) in interests,
                    "mutual": enrolments.is_mutual(interests, profile.id, other.id),
                })
        profiles.append({"profile": profile, "enrolment": enrolled.get(profile.id),
                         "partners": partners})
    my_pairs = [p for p in publishing.pairs_of_user(current_user) if p.round_id == round_.id]
    return {
        "profiles": profiles,
        "can_enrol": round_.state == RoundState.OPEN.value or (
            current_user.is_coordinator and round_.state in enrolments.WITHDRAWABLE_STATES),
        "can_withdraw": round_.state in enrolments.WITHDRAWABLE_STATES,
        "can_state_interest": round_.state in enrolments.WITHDRAWABLE_STATES,
        "published": round_.state in publishing.VISIBLE_STATES,
        "pairs": [_own_side(p) for p in my_pairs],
    }


def _own_side(pair: Pair) -> dict:
    """A pair seen from the user's side: their profile and the partner's."""
    if pair.taker.owner_id == current_user.id:
        return {"pair": pair, "own": pair.taker, "partner": pair.giver}
    return {"pair": pair, "own": pair.giver, "partner": pair.taker}


@bp.route("/rounds/<int:round_id>/state", methods=["POST"])
@coordinator_page
def move_round(round_id: int):
    """Move the round to one of its legal next states; publishing tells every participant."""
    round_ = _round_or_404(round_id)
    data, errors = load_form(TransitionSchema(), request.form)
    status = 422
    if data is not None:
        try:
            if data["state"] == RoundState.PUBLISHED.value:
                sent = publishing.publish(round_, current_user, data["version"])
            else:
                rounds.transition(round_, data["state"], current_user, data["version"],
                                  data["reason"])
        except (ValidationError, ConflictError) as error:
            db.session.rollback()
            errors, status = _errors_of(error)
        else:
            db.session.commit()
            if data["state"] == RoundState.PUBLISHED.value:
                flash(ngettext("The round was published; %(num)s email was sent.",
                               "The round was published; %(num)s emails were sent.", sent),
                      "success")
            else:
                flash(_("The round is now: %(state)s.", state=STATE_LABELS[round_.state]),
                      "success")
            return redirect(url_for("web.round_overview", round_id=round_.id))
    db.session.refresh(round_)
    return _render_overview(round_, errors, status, request.form)


# ---------------------------------------------------------------- enrolment and interest

def _own_profile(profile_id: int, field: str) -> Profile:
    """A profile the user may act for; 422 when unknown, 403 when someone else's."""
    profile = db.session.get(Profile, profile_id)
    if profile is None:
        raise ValidationError({field: ["No such profile."]})
    if not can_edit_profile(current_user, profile):
        abort(403)
    return profile


def _participant_action(round_id: int, schema, action, message: str):
    """Validate, call the service, commit and redirect; or show the overview with errors."""
    round_ = _visible_round(round_id)
    data, errors = load_form(schema, request.form)
    status = 422
    if data is not None:
        try:
            action(round_, data)
        except (ValidationError, ConflictError) as error:
            db.session.rollback()
            errors, status = _errors_of(error)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("web.round_overview", round_id=round_.id))
    return _render_overview(round_, errors, status, request.form)


@bp.route("/rounds/<int:round_id>/enrolments", methods=["POST"])
@login_required
def enrol(round_id: int):
    """Enrol one of the user's profiles in the round."""
    def action(round_, data):
        enrolments.enrol(round_, _own_profile(data["profile_id"], "profile_id"), current_user,
                         by_coordinator=current_user.is_coordinator)
    return _participant_action(round_id, EnrolSchema(), action,
                               _("The profile is enrolled in the round."))


@bp.route("/rounds/<int:round_id>/enrolments/withdraw", methods=["POST"])
@login_required
def withdraw(round_id: int):
    """Withdraw one of the user's profiles from the round (before publishing)."""
    def action(round_, data):
        enrolments.withdraw(round_, _own_profile(data["profile_id"], "profile_id"), current_user)
    return _participant_action(round_id, EnrolSchema(), action,
                               _("The profile was withdrawn from the round."))


@bp.route("/rounds/<int:round_id>/interests", methods=["POST"])
@login_required
def state_interest(round_id: int):
    """Say that one of the user's enrolled profiles would like to be paired with another."""
    def action(round_, data):
        source = _own_profile(data["from_profile_id"], "from_profile_id")
        target = db.session.get(Profile, data["to_profile_id"])
        if target is None:
            raise ValidationError({"to_profile_id": ["No such profile."]})
        enrolments.express_interest(round_, source, target, current_user)
    return _participant_action(round_id, InterestInputSchema(), action,
                               _("Your interest was recorded."))


@bp.route("/rounds/<int:round_id>/interests/<int:interest_id>/delete", methods=["POST"])
@login_required
def take_back_interest(round_id: int, interest_id: int):
    """Take back a statement of interest."""
    round_ = _visible_round(round_id)
    interest = db.session.get(Interest, interest_id)
    if interest is None or interest.round_id != round_.id:
        abort(404)
    if not can_edit_profile(current_user, interest.from_profile):
        abort(403)
    enrolments.withdraw_interest(interest)
    db.session.commit()
    flash(_("Your interest was taken back."), "success")
    return redirect(url_for("web.round_overview", round_id=round_.id))


# ---------------------------------------------------------------- pairing runs

@bp.route("/rounds/<int:round_id>/run", methods=["GET", "POST"])
@coordinator_page
def run_pairing(round_id: int):
    """Choose a method and start a pairing run; it runs in the background."""
    round_ = _round_or_404(round_id)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        data, errors = load_form(RunRequestSchema(), request.form)
        status = 422
        if data is not None:
            try:
                run = pairing_runs.start_run(round_, data["method"], current_user,
                                             data["only_unpaired"])
            except (ValidationError, ConflictError) as error:
                db.session.rollback()
                errors, status = _errors_of(error)
            else:
                db.session.commit()
                _execute(run)
                return redirect(url_for("web.pairing_run", round_id=round_.id, run_id=run.id))
    form = request.form if request.method == "POST" else MultiDict({"method": "optimal"})
    runs = list(db.session.scalars(select(PairingRun).where(PairingRun.round_id == round_.id)
                                   .order_by(PairingRun.id.desc()).limit(10)))
    return render_template("rounds/run.html", round=round_, form=form, errors=errors, runs=runs,
                           methods=RUN_METHOD_LABELS, status_labels=RUN_STATUS_LABELS,
                           method_names=RUN_METHOD_NAMES,
                           runnable=round_.state in pairing_runs.RUNNABLE_STATES), status


def _execute(run: PairingRun) -> None:
    """Hand the run to the task queue, or run it right here when PAIRING_IN_BACKGROUND is off."""
    if current_app.config.get("PAIRING_IN_BACKGROUND", True):
        pairing_jobs.enqueue_run(run.id)
        return
    try:
        pairing_runs.execute_run(run)
    except Exception:  # noqa: BLE001  (recorded on the run, which the run page shows)
        logger.info("pairing run %s failed; its page shows the error", run.id)


@bp.route("/rounds/<int:round_id>/runs/<int:run_id>")
@coordinator_page
def pairing_run(round_id: int, run_id: int):
    """A run's progress (the page reloads itself while it runs) and its result."""
    round_ = _round_or_404(round_id)
    run = db.session.get(PairingRun, run_id)
    if run is None or run.round_id != round_.id:
        abort(404)
    db.session.refresh(run)
    unpaired = []
    for profile_id, code in (run.summary or {}).get("unpaired", {}).items():
        profile = db.session.get(Profile, int(profile_id))
        message = pairing_runs.UNPAIRED_REASONS.get(code, code)
        unpaired.append({"profile": profile, "reason": gettext(message)})
    unpaired.sort(key=lambda item: (item["profile"].side, item["profile"].id)
                  if item["profile"] else ("", 0))
    refresh = run.status == "running" and request.args.get("refresh") != "off"
    return render_template("rounds/run_status.html", round=round_, run=run, unpaired=unpaired,
                           refresh=refresh, stage_labels=RUN_STAGE_LABELS,
                           status_labels=RUN_STATUS_LABELS, methods=RUN_METHOD_LABELS)


# ---------------------------------------------------------------- review

def _filter_args() -> dict:
    """The review page's filters from the query string, to keep them across actions."""
    return {key: request.args[key] for key in PAIR_FILTERS if request.args.get(key)}


def _review_url(round_id: int, pair_id: int | None = None) -> str:
    anchor = {"_anchor": f"pair-{pair_id}"} if pair_id else {}
    return url_for("web.round_pairs", round_id=round_id, **_filter_args(), **anchor)


@bp.route("/rounds/<int:round_id>/pairs")
@coordinator_page
def round_pairs(round_id: int):
    """The review table: pairs with scores, reasons and interest; filter, sort and decide."""
    return _render_review(_round_or_404(round_id))


def _render_review(round_: Round, failed: dict | None = None, status: int = 200):
    args, filter_errors = load_form(PairQuerySchema(), request.args)
    if args is None:
        args = PairQuerySchema().load({})
    views = review.list_pairs(round_.id, args)
    active = [p for p in db.session.scalars(select(Pair).where(
        Pair.round_id == round_.id, Pair.status.in_(ACTIVE_PAIR_STATES)).order_by(Pair.id))]
    takers = [p for _e, p in enrolments.enrolled_profiles(round_.id, "taker")]
    givers = [p for _e, p in enrolments.enrolled_profiles(round_.id, "giver")]
    return render_template(
        "rounds/pairs.html", round=round_, pairs=views, args=args, filter_errors=filter_errors,
        filters=_filter_args(), active=active, takers=takers, givers=givers,
        failed=failed or {}, deciding=round_.state in pairs.DECIDING_STATES,
        status_labels=PAIR_STATUS_LABELS, interest_labels=INTEREST_LABELS,
    ), status


def _pair_or_404(pair_id: int) -> Pair:
    return db.session.get(Pair, pair_id) or abort(404)


def _decide(round_: Round, pair_id: int | None, action_name: str, schema, action,
            message: str):
    """Validate a review form, call the service, commit and go back to the table (or show the
    table again with the errors next to the form that failed)."""
    data, errors = load_form(schema, request.form)
    status = 422
    if data is not None:
        try:
            action(data)
        except (ValidationError, ConflictError) as error:
            db.session.rollback()
            errors, status = _errors_of(error)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(_review_url(round_.id, pair_id))
    failed = {"pair_id": pair_id, "action": action_name, "errors": errors, "form": request.form}
    return _render_review(round_, failed, status)


@bp.route("/pairs/<int:pair_id>/approve", methods=["POST"])
@coordinator_page
def approve_pair(pair_id: int):
    """Approve a proposed pair."""
    pair = _pair_or_404(pair_id)
    return _decide(pair.round, pair.id, "approve", DecisionSchema(),
                   lambda data: pairs.approve(pair, current_user, data["version"]),
                   _("The pair was approved."))


@bp.route("/pairs/<int:pair_id>/reject", methods=["POST"])
@coordinator_page
def reject_pair(pair_id: int):
    """Reject a pair, with a reason."""
    pair = _pair_or_404(pair_id)
    return _decide(pair.round, pair.id, "reject", DecisionSchema(),
                   lambda data: pairs.reject(pair, current_user, data["reason"],
                                             data["version"]),
                   _("The pair was rejected."))


@bp.route("/pairs/<int:pair_id>/swap", methods=["POST"])
@coordinator_page
def swap_pair(pair_id: int):
    """Swap the givers of this pair and another; both become new proposals."""
    pair = _pair_or_404(pair_id)

    def action(data):
        other = db.session.get(Pair, data["other_pair_id"])
        if other is None:
            raise ValidationError({"other_pair_id": ["Choose another pair of the same round."]})
        pairs.swap(pair, other, current_user, (data["version"], data["other_version"]))

    return _decide(pair.round, pair.id, "swap", SwapSchema(), action,
                   _("The givers were swapped; approve the new pairs."))


@bp.route("/rounds/<int:round_id>/bans", methods=["POST"])
@coordinator_page
def ban_pair(round_id: int):
    """Rule a taker–giver pair out of the round."""
    round_ = _round_or_404(round_id)
    pair_id = request.form.get("pair_id", type=int)

    def action(data):
        taker = db.session.get(Profile, data["taker_id"])
        giver = db.session.get(Profile, data["giver_id"])
        if taker is None or giver is None:
            raise ValidationError({"giver_id": ["No such profile."]})
        pairs.ban(round_, taker, giver, current_user, data["reason"])

    return _decide(round_, pair_id, "ban", BanSchema(), action,
                   _("The pair is banned in this round."))


@bp.route("/rounds/<int:round_id>/pairs", methods=["POST"])
@coordinator_page
def pair_by_hand(round_id: int):
    """Pair an enrolled taker and giver by hand (a proposal to approve as usual)."""
    round_ = _round_or_404(round_id)

    def action(data):
        taker = db.session.get(Profile, data["taker_id"])
        giver = db.session.get(Profile, data["giver_id"])
        if taker is None or giver is None:
            raise ValidationError({"giver_id": ["No such profile."]})
        pairs.pair_by_hand(round_, taker, giver, current_user)

    return _decide(round_, None, "manual", ManualPairSchema(), action,
                   _("The pair was proposed; approve it to confirm."))


# ---------------------------------------------------------------- audit log and outbox

@bp.route("/rounds/<int:round_id>/audit")
@coordinator_page
def round_audit(round_id: int):
    """Who did what to the round and its pairs, newest first."""
    round_ = _round_or_404(round_id)
    return render_template("rounds/audit.html", round=round_, pair=None,
                           events=review.audit_log(round_.id), actions=AUDIT_ACTION_LABELS)


@bp.route("/pairs/<int:pair_id>")
@coordinator_page
def pair_detail(pair_id: int):
    """One pair with its score, reasons and history."""
    pair = _pair_or_404(pair_id)
    interests = enrolments.interest_pairs(pair.round_id)
    view = review.PairView(pair, review.interest_label(interests, pair.taker_id, pair.giver_id))
    return render_template("rounds/audit.html", round=pair.round, pair=view,
                           events=review.audit_log(pair.round_id, pair.id),
                           actions=AUDIT_ACTION_LABELS, status_labels=PAIR_STATUS_LABELS,
                           interest_labels=INTEREST_LABELS)


@bp.route("/outbox")
@coordinator_page
def outbox():
    """The emails spread sent (the only delivery in development), newest first."""
    args, _errors = load_form(PageSchema(), request.args)
    if args is None:
        args = PageSchema().load({})
    query = select(OutboxMessage).order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
    page = paginate(query, args["page"], args["per_page"])
    return render_template("rounds/outbox.html", page=page)
