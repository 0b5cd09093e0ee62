"""Pages: the review table of a round's pairs, and the decisions on them."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from spread import labels
from spread.auth import is_coordinator, requires
from spread.models import Round
from spread.read_models.lookups import other_pair_or_invalid, profile_or_invalid
from spread.read_models.rounds import review_choices
from spread.schemas.rounds import (
    BanSchema,
    DecisionSchema,
    ManualPairSchema,
    PairQuerySchema,
    SwapSchema,
)
from spread.services import pairs, review
from spread.web import bp
from spread.web.forms import flash_redirect, load_form, submit
from spread.web.rounds.lookup import pair_or_404, round_or_404

PAIR_FILTERS = ("status", "mutual", "min_score", "sort")


def _filter_args() -> dict:
    """The review page's filters from the query string, to keep them across actions."""
    return {key: request.args[key] for key in PAIR_FILTERS if request.args.get(key)}


def _review_url(round_id: int, pair_id: int | None = None) -> str:
    anchor = {"_anchor": f"pair-{pair_id}"} if pair_id else {}
    return url_for("web.round_pairs", round_id=round_id, **_filter_args(), **anchor)


@bp.route("/rounds/<int:round_id>/pairs")
@requires(is_coordinator)
def round_pairs(round_id: int):
    """The review table: pairs with scores, reasons and interest; filter, sort and decide."""
    return _render_review(round_or_404(round_id))


def _render_review(round_: Round, failed: dict | None = None, status: int = 200):
    args, filter_errors = load_form(PairQuerySchema(), request.args)
    if args is None:
        args = PairQuerySchema().load({})
    return render_template(
        "rounds/pairs.html", round=round_, pairs=review.list_pairs(round_.id, args), args=args,
        filter_errors=filter_errors, filters=_filter_args(), **review_choices(round_.id),
        failed=failed or {}, deciding=round_.state in pairs.DECIDING_STATES,
        status_labels=labels.PAIR_STATUSES, interest_labels=labels.INTERESTS,
    ), status


def _decide(round_: Round, pair_id: int | None, action_name: str, schema, action,
            message: str):
    """Validate a review form, call the service, commit and go back to the table (or show the
    table again with the errors next to the form that failed)."""
    def show(errors: dict, status: int):
        failed = {"pair_id": pair_id, "action": action_name, "errors": errors,
                  "form": request.form}
        return _render_review(round_, failed, status)

    return submit(schema, action, show=show, done=lambda _result: flash_redirect(
        message, _review_url(round_.id, pair_id)))


@bp.route("/pairs/<int:pair_id>/approve", methods=["POST"])
@requires(is_coordinator)
def approve_pair(pair_id: int):
    """Approve a proposed pair."""
    pair = pair_or_404(pair_id)
    return _decide(pair.round, pair.id, "approve", DecisionSchema(),
                   lambda data: pairs.approve(pair, current_user, data["version"]),
                   _("The pair was approved."))


@bp.route("/pairs/<int:pair_id>/reject", methods=["POST"])
@requires(is_coordinator)
def reject_pair(pair_id: int):
    """Reject a pair, with a reason."""
    pair = pair_or_404(pair_id)
    return _decide(pair.round, pair.id, "reject", DecisionSchema(),
                   lambda data: pairs.reject(pair, current_user, data["reason"],
                                             data["version"]),
                   _("The pair was rejected."))


@bp.route("/pairs/<int:pair_id>/swap", methods=["POST"])
@requires(is_coordinator)
def swap_pair(pair_id: int):
    """Swap the givers of this pair and another; both become new proposals."""
    pair = pair_or_404(pair_id)

    def action(data):
        other = other_pair_or_invalid(data["other_pair_id"], "other_pair_id")
        pairs.swap(pair, other, current_user, (data["version"], data["other_version"]))

    return _decide(pair.round, pair.id, "swap", SwapSchema(), action,
                   _("The givers were swapped; approve the new pairs."))


def _taker_and_giver(data: dict):
    return (profile_or_invalid(data["taker_id"], "giver_id"),
            profile_or_invalid(data["giver_id"], "giver_id"))


@bp.route("/rounds/<int:round_id>/bans", methods=["POST"])
@requires(is_coordinator)
def ban_pair(round_id: int):
    """Rule a taker–giver pair out of the round."""
    round_ = round_or_404(round_id)
    return _decide(round_, request.form.get("pair_id", type=int), "ban", BanSchema(),
                   lambda data: pairs.ban(round_, *_taker_and_giver(data), current_user,
                                          data["reason"]),
                   _("The pair is banned in this round."))


@bp.route("/rounds/<int:round_id>/pairs", methods=["POST"])
@requires(is_coordinator)
def pair_by_hand(round_id: int):
    """Pair an enrolled taker and giver by hand (a proposal to approve as usual)."""
    round_ = round_or_404(round_id)
    return _decide(round_, None, "manual", ManualPairSchema(),
                   lambda data: pairs.pair_by_hand(round_, *_taker_and_giver(data),
                                                   current_user),
                   _("The pair was proposed; approve it to confirm."))
