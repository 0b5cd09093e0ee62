"""API: internship rounds, enrolments, interest, pairing runs, review decisions, publishing."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from marshmallow import ValidationError

from spread.api.common import (
    ApiBlueprint,
    get_or_404,
)
from spread.auth import allow, can_edit_profile, is_coordinator, requires
from spread.extensions import db
from spread.jobs import pairing as pairing_jobs
from spread.models import Interest, Pair, PairingRun, Profile, Round, RoundState
from spread.read_models.lookups import profile_or_invalid
from spread.read_models.rounds import interests_seen_by
from spread.schemas.rounds import (
    AuditEventSchema,
    BanSchema,
    DecisionSchema,
    EnrolmentSchema,
    EnrolSchema,
    InterestInputSchema,
    InterestSchema,
    ManualPairSchema,
    PairingRunSchema,
    PairQuerySchema,
    PairSchema,
    RoundQuerySchema,
    RoundSchema,
    RoundUpdateSchema,
    RunRequestSchema,
    SwapSchema,
    TransitionSchema,
)
from spread.services import enrolments, pairing_runs, pairs, publishing, review, rounds

blp = ApiBlueprint("rounds", __name__, url_prefix="/api/v1", description="Internship rounds")


def visible_round(round_id: int) -> Round:
    """A round the caller may see: coordinators see all, participants all but drafts."""
    round_ = get_or_404(Round, round_id)
    allow(current_user.is_coordinator or round_.state != RoundState.DRAFT.value)
    return round_


def coordinated_round(round_id: int) -> Round:
    """A round the caller coordinates (coordinators and admins only; the views also declare
    ``requires(is_coordinator)`` so that anonymous callers get 401 before validation)."""
    allow(is_coordinator(current_user))
    return get_or_404(Round, round_id)


def own_profile(profile_id: int, field: str = "profile_id") -> Profile:
    """A profile the caller may act for (owner, or a coordinator); 422 when unknown."""
    profile = profile_or_invalid(profile_id, field)
    allow(can_edit_profile(current_user, profile))
    return profile


@blp.route("/rounds/")
class Rounds(MethodView):
    """Internship rounds."""

    @requires()
    @blp.arguments(RoundQuerySchema, location="query")
    @blp.response(200, RoundSchema(many=True))
    @blp.errors(401)
    def get(self, args: dict):
        """List rounds (participants do not see drafts)."""
        query = rounds.round_query()
        if args["state"]:
            query = query.where(Round.state == args["state"])
        if not current_user.is_coordinator:
            query = query.where(Round.state != RoundState.DRAFT.value)
        return list(db.session.scalars(query))

    @requires(is_coordinator)
    @blp.arguments(RoundSchema)
    @blp.response(201, RoundSchema)
    @blp.errors(401, 403, describe={403: "Coordinators only"})
    def post(self, data: dict):
        """Create a round (as a draft)."""
        round_ = rounds.create_round(data, current_user)
        db.session.commit()
        return round_


@blp.route("/rounds/<int:round_id>")
class RoundItem(MethodView):
    """One round."""

    @requires()
    @blp.response(200, RoundSchema)
    @blp.errors(401, 403, 404)
    def get(self, round_id: int):
        """Show a round."""
        return visible_round(round_id)

    @requires(is_coordinator)
    @blp.arguments(RoundUpdateSchema)
    @blp.response(200, RoundSchema)
    @blp.errors(401, 403, 404, 409)
    def patch(self, data: dict, round_id: int):
        """Change a round's details."""
        round_ = coordinated_round(round_id)
        version = data.pop("version", None)
        rounds.update_round(round_, data, current_user, version)
        db.session.commit()
        return round_


@blp.route("/rounds/<int:round_id>/transitions", methods=["POST"])
@requires(is_coordinator)
@blp.arguments(TransitionSchema)
@blp.response(200, RoundSchema)
@blp.errors(401, 403, 404, 409)
def move_round(data: dict, round_id: int):
    """Move a round to its next state (draft → open → pairing → review → published → closed)."""
    round_ = coordinated_round(round_id)
    if data["state"] == RoundState.PUBLISHED.value:
        publishing.publish(round_, current_user, data["version"])
    else:
        rounds.transition(round_, data["state"], current_user, data["version"], data["reason"])
    db.session.commit()
    return round_


@blp.route("/rounds/<int:round_id>/enrolments")
class Enrolments(MethodView):
    """Profiles enrolled in a round."""

    @requires()
    @blp.response(200, EnrolmentSchema(many=True))
    @blp.errors(401, 403, 404)
    def get(self, round_id: int):
        """List the active enrolments."""
        round_ = visible_round(round_id)
        return [e for e, _ in enrolments.enrolled_profiles(round_.id)]

    @requires()
    @blp.arguments(EnrolSchema)
    @blp.response(201, EnrolmentSchema)
    @blp.errors(401, 403, 404)
    def post(self, data: dict, round_id: int):
        """Enrol one of your profiles in an open round."""
        round_ = visible_round(round_id)
        profile = own_profile(data["profile_id"])
        enrolment = enrolments.enrol(round_, profile, current_user,
                                     by_coordinator=current_user.is_coordinator)
        db.session.commit()
        return enrolment


@blp.route("/rounds/<int:round_id>/enrolments/withdraw", methods=["POST"])
@requires()
@blp.arguments(EnrolSchema)
@blp.response(200, EnrolmentSchema)
@blp.errors(401, 403, 404)
def withdraw(data: dict, round_id: int):
    """Withdraw one of your profiles from a round before it is published."""
    round_ = visible_round(round_id)
    enrolment = enrolments.withdraw(round_, own_profile(data["profile_id"]), current_user)
    db.session.commit()
    return enrolment


def _interest_view(interest: Interest, all_interests: set) -> dict:
    return {"id": interest.id, "from_profile": interest.from_profile,
            "to_profile": interest.to_profile, "created_at": interest.created_at,
            "mutual": enrolments.is_mutual(all_interests, interest.from_profile_id,
                                           interest.to_profile_id)}


@blp.route("/rounds/<int:round_id>/interests")
class Interests(MethodView):
    """Stated interest in partners."""

    @requires()
    @blp.response(200, InterestSchema(many=True))
    @blp.errors(401, 403, 404)
    def get(self, round_id: int):
        """Coordinators see all interest; participants the interest involving their profiles."""
        round_ = visible_round(round_id)
        all_interests = enrolments.interest_pairs(round_.id)
        return [_interest_view(i, all_interests)
                for i in interests_seen_by(round_.id, current_user)]

    @requires()
    @blp.arguments(InterestInputSchema)
    @blp.response(201, InterestSchema)
    @blp.errors(401, 403, 404)
    def post(self, data: dict, round_id: int):
        """Say that one of your enrolled profiles would like to be paired with another."""
        round_ = visible_round(round_id)
        source = own_profile(data["from_profile_id"], "from_profile_id")
        target = db.session.get(Profile, data["to_profile_id"])
        if target is None:
            raise ValidationError({"to_profile_id": ["No such profile."]})
        interest = enrolments.express_interest(round_, source, target, current_user)
        db.session.commit()
        return _interest_view(interest, enrolments.interest_pairs(round_.id))


@blp.route("/rounds/<int:round_id>/interests/<int:interest_id>", methods=["DELETE"])
@requires()
@blp.response(204)
@blp.errors(401, 403, 404)
def delete_interest(round_id: int, interest_id: int):
    """Take back a statement of interest."""
    visible_round(round_id)
    interest = get_or_404(Interest, interest_id)
    allow(interest.round_id == round_id and can_edit_profile(current_user,
                                                              interest.from_profile))
    enrolments.withdraw_interest(interest)
    db.session.commit()


@blp.route("/rounds/<int:round_id>/runs", methods=["POST"])
@requires(is_coordinator)
@blp.arguments(RunRequestSchema)
@blp.response(202, PairingRunSchema)
@blp.errors(401, 403, 404, 409, describe={409: "A run of this round is under way"})
def start_run(data: dict, round_id: int):
    """Run the pairing (optimal or stable); poll the run for its progress and result."""
    round_ = coordinated_round(round_id)
    run = pairing_runs.start_run(round_, data["method"], current_user, data["only_unpaired"])
    db.session.commit()
    if current_app.config["PAIRING_IN_BACKGROUND"]:
        pairing_jobs.enqueue_run(run.id)
    else:
        pairing_runs.execute_run(run)
    return run


@blp.route("/rounds/<int:round_id>/runs/<int:run_id>", methods=["GET"])
@requires(is_coordinator)
@blp.response(200, PairingRunSchema)
@blp.errors(401, 403, 404)
def get_run(round_id: int, run_id: int):
    """A pairing run with its progress, and its summary when done."""
    coordinated_round(round_id)
    run = get_or_404(PairingRun, run_id)
    allow(run.round_id == round_id)
    db.session.refresh(run)
    return run


@blp.route("/rounds/<int:round_id>/pairs")
class RoundPairs(MethodView):
    """The proposed and decided pairs of a round."""

    @requires(is_coordinator)
    @blp.arguments(PairQuerySchema, location="query")
    @blp.response(200, PairSchema(many=True))
    @blp.errors(401, 403, 404)
    def get(self, args: dict, round_id: int):
        """List pairs with score, reasons and mutual interest; filter and sort."""
        round_ = coordinated_round(round_id)
        return review.list_pairs(round_.id, args)

    @requires(is_coordinator)
    @blp.arguments(ManualPairSchema)
    @blp.response(201, PairSchema)
    @blp.errors(401, 403, 404)
    def post(self, data: dict, round_id: int):
        """Pair a taker and a giver by hand (a proposal to approve as usual)."""
        round_ = coordinated_round(round_id)
        taker = get_or_404(Profile, data["taker_id"])
        giver = get_or_404(Profile, data["giver_id"])
        pair = pairs.pair_by_hand(round_, taker, giver, current_user)
        db.session.commit()
        return review.PairView(pair, None)


def _decided_pair(pair_id: int) -> Pair:
    """A pair to decide on or read the history of (coordinators and admins only)."""
    allow(is_coordinator(current_user))
    return get_or_404(Pair, pair_id)


@blp.route("/pairs/<int:pair_id>/approve", methods=["POST"])
@requires(is_coordinator)
@blp.arguments(DecisionSchema)
@blp.response(200, PairSchema)
@blp.errors(401, 403, 404, 409)
def approve(data: dict, pair_id: int):
    """Approve a proposed pair."""
    pair = pairs.approve(_decided_pair(pair_id), current_user, data["version"])
    db.session.commit()
    return review.PairView(pair, None)


@blp.route("/pairs/<int:pair_id>/reject", methods=["POST"])
@requires(is_coordinator)
@blp.arguments(DecisionSchema)
@blp.response(200, PairSchema)
@blp.errors(401, 403, 404, 409)
def reject(data: dict, pair_id: int):
    """Reject a pair, with a reason."""
    pair = pairs.reject(_decided_pair(pair_id), current_user, data["reason"], data["version"])
    db.session.commit()
    return review.PairView(pair, None)


@blp.route("/pairs/<int:pair_id>/swap", methods=["POST"])
@requires(is_coordinator)
@blp.arguments(SwapSchema)
@blp.response(200, PairSchema(many=True))
@blp.errors(401, 403, 404, 409)
def swap(data: dict, pair_id: int):
    """Swap the givers of two pairs; returns the two new proposals."""
    first = _decided_pair(pair_id)
    second = get_or_404(Pair, data["other_pair_id"])
    new = pairs.swap(first, second, current_user, (data["version"], data["other_version"]))
    db.session.commit()
    return [review.PairView(p, None) for p in new]


@blp.route("/rounds/<int:round_id>/bans", methods=["POST"])
@requires(is_coordinator)
@blp.arguments(BanSchema)
@blp.response(201, RoundSchema)
@blp.errors(401, 403, 404)
def ban(data: dict, round_id: int):
    """Ban a taker–giver pair in this round."""
    round_ = coordinated_round(round_id)
    pairs.ban(round_, get_or_404(Profile, data["taker_id"]), get_or_404(Profile, data["giver_id"]),
              current_user, data["reason"])
    db.session.commit()
    return round_


@blp.route("/rounds/<int:round_id>/audit", methods=["GET"])
@requires(is_coordinator)
@blp.response(200, AuditEventSchema(many=True))
@blp.errors(401, 403, 404)
def audit_log(round_id: int):
    """The round's audit log, newest first."""
    round_ = coordinated_round(round_id)
    return review.audit_log(round_.id)


@blp.route("/pairs/<int:pair_id>/audit", methods=["GET"])
@requires(is_coordinator)
@blp.response(200, AuditEventSchema(many=True))
@blp.errors(401, 403, 404)
def pair_audit_log(pair_id: int):
    """One pair's audit log, newest first."""
    pair = _decided_pair(pair_id)
    return review.audit_log(pair.round_id, pair.id)


@blp.route("/me/pairs", methods=["GET"])
@requires()
@blp.response(200, PairSchema(many=True))
@blp.errors(401)
def my_pairs():
    """Your approved pairs in published rounds."""
    return [review.PairView(p, None) for p in publishing.pairs_of_user(current_user)]
