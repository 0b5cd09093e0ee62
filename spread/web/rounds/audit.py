"""Pages: a round's audit log, one pair's detail and history, and the outbox of sent emails."""
from __future__ import annotations

from flask import render_template, request

from spread import labels
from spread.auth import is_coordinator, requires
from spread.read_models.rounds import outbox_page
from spread.schemas.base import PageSchema
from spread.services import enrolments, review
from spread.web import bp
from spread.web.forms import load_form
from spread.web.rounds.lookup import pair_or_404, round_or_404


@bp.route("/rounds/<int:round_id>/audit")
@requires(is_coordinator)
def round_audit(round_id: int):
    """Who did what to the round and its pairs, newest first."""
    round_ = round_or_404(round_id)
    return render_template("rounds/audit.html", round=round_, pair=None,
                           events=review.audit_log(round_.id), actions=labels.AUDIT_ACTIONS)


@bp.route("/pairs/<int:pair_id>")
@requires(is_coordinator)
def pair_detail(pair_id: int):
    """One pair with its score, reasons and history."""
    pair = pair_or_404(pair_id)
    interests = enrolments.interest_pairs(pair.round_id)
    view = review.PairView(pair, review.interest_label(interests, pair.taker_id, pair.giver_id))
    return render_template("rounds/audit.html", round=pair.round, pair=view,
                           events=review.audit_log(pair.round_id, pair.id),
                           actions=labels.AUDIT_ACTIONS, status_labels=labels.PAIR_STATUSES,
                           interest_labels=labels.INTERESTS)


@bp.route("/outbox")
@requires(is_coordinator)
def outbox():
    """The emails spread sent (the only delivery in development), newest first."""
    args, _errors = load_form(PageSchema(), request.args)
    if args is None:
        args = PageSchema().load({})
    return render_template("rounds/outbox.html", page=outbox_page(args["page"], args["per_page"]))
