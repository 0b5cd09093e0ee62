"""API: internship rounds, enrolments, interest, pairing runs, review decisions, publishing."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy import select

from spread.api.common import (
    FORBIDDEN,
    NOT_FOUND,
    NOT_LOGGED_IN,
    ApiErrorSchema,
    get_or_404,
    require,
    require_login,
)
from spread.auth import can_edit_profile
from spread.extensions import db
from spread.jobs import pairing as pairing_jobs
from spread.models import Interest, Pair, PairingRun, Profile, Round, RoundState
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
from spread.services import enrolments, pairs, pairing_runs, publishing, review, rounds

blp = Blueprint("rounds", __name__, url_prefix="/api/v1", description="Internship rounds")
CONFLICT = {"schema": ApiErrorSchema, "description": "Changed by someone else, or no room left"}


def require_coordinator() -> None:
    """401 for anonymous callers, 403 for participants."""
    require_login()
    require(current_user.is_coordinator)


def visible_round(round_id: int) -> Round:
    """A round the caller may see: coordinators see all, participants all but drafts."""
    require_login()
    round_ = get_or_404(Round, round_id)
    require(current_user.is_coordinator or round_.state != RoundState.DRAFT.value)
    return round_


def coordinated_round(round_id: int) -> Round:
    """A round the caller coordinates (coordinators and admins only)."""
    require_coordinator()
    return get_or_404(Round, round_id)


def own_profile(profile_id: int, field: str = "profile_id") -> Profile:
    """A profile the caller may act for (owner, or a coordinator); 422 when unknown."""
    profile = db.session.get(Profile, profile_id)
    if profile is None:
        raise ValidationError({field: ["No such profile."]})
    require(can_edit_profile(current_user, profile))
    return profile


@blp.route("/rounds/")
class Rounds(MethodView):
    """Internship rounds."""

    @blp.arguments(RoundQuerySchema, location="query")
    @blp.response(200, RoundSchema(many=True))
    @blp.alt_response(401, **NOT_LOGGED_IN)
    def get(self, args: dict):
        """List rounds (participants do not see drafts)."""
        require_login()
        query = rounds.round_query()
        if args["state"]:
            query = query.where(Round.state == args["state"])
        if not current_user.is_coordinator:
            query = query.where(Round.state != RoundState.DRAFT.value)
        return list(db.session.scalars(query))

    @blp.arguments(RoundSchema)
    @blp.response(201, RoundSchema)
    @blp.alt_response(403, schema=ApiErrorSchema, description="Coordinators only")
    @blp.alt_response(401, **NOT_LOGGED_IN)
    def post(self, data: dict):
        """Create a round (as a draft)."""
        require_coordinator()
        round_ = rounds.create_round(data, current_user)
        db.session.commit()
        return round_


@blp.route("/rounds/<int:round_id>")
class RoundItem(MethodView):
    """One round."""

    @blp.response(200, RoundSchema)
    @blp.alt_response(401, **NOT_LOGGED_IN)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, round_id: int):
        """Show a round."""
        return visible_round(round_id)

    @blp.arguments(RoundUpdateSchema)
    @blp.response(200, RoundSchema)
    @blp.alt_response(409, **CONFLICT)
    @blp.alt_response(401, **NOT_LOGGED_IN)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    def patch(self, data: dict, round_id: int):
        """Change a round's details."""
        round_ = coordinated_round(round_id)
        version = data.pop("version", None)
        rounds.update_round(round_, data, current_user, version)
        db.session.commit()
        return round_


@blp.route("/rounds/<int:round_id>/transitions", methods=["POST"])
@blp.arguments(TransitionSchema)
@blp.response(200, RoundSchema)
@blp.alt_response(409, **CONFLICT)
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(403, **FORBIDDEN)
@blp.alt_response(404, **NOT_FOUND)
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

    @blp.response(200, EnrolmentSchema(many=True))
    @blp.alt_response(401, **NOT_LOGGED_IN)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, round_id: int):
        """List the active enrolments."""
        round_ = visible_round(round_id)
        return [e for e, _ in enrolments.enrolled_profiles(round_.id)]

    @blp.arguments(EnrolSchema)
    @blp.response(201, EnrolmentSchema)
    @blp.alt_response(401, **NOT_LOGGED_IN)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    def post(self, data: dict, round_id: int):
        """Enrol one of your profiles in an open round."""
        round_ = visible_round(round_id)
        profile = own_profile(data["profile_id"])
        enrolment = enrolments.enrol(round_, profile, current_user,
                                     by_coordinator=current_user.is_coordinator)
        db.session.commit()
        return enrolment


@blp.route("/rounds/<int:round_id>/enrolments/withdraw", methods=["POST"])
@blp.arguments(EnrolSchema)
@blp.response(200, EnrolmentSchema)
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(403, **FORBIDDEN)
@blp.alt_response(404, **NOT_FOUND)
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

    @blp.response(200, InterestSchema(many=True))
    @blp.alt_response(401, **NOT_LOGGED_IN)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, round_id: int):
        """Coordinators see all interest; participants the interest involving their profiles."""
        round_ = visible_round(round_id)
        query = select(Interest).where(Interest.round_id == round_.id).order_by(Interest.id)
        if not current_user.is_coordinator:
            own = select(Profile.id).where(Profile.owner_id == current_user.id)
            query = query.where(Interest.from_profile_id.in_(own) | Interest.to_profile_id.in_(own))
        all_interests = enrolments.interest_pairs(round_.id)
        return [_interest_view(i, all_interests) for i in db.session.scalars(query)]

    @blp.arguments(InterestInputSchema)
    @blp.response(201, InterestSchema)
    @blp.alt_response(401, **NOT_LOGGED_IN)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
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
@blp.response(204)
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(403, **FORBIDDEN)
@blp.alt_response(404, **NOT_FOUND)
def delete_interest(round_id: int, interest_id: int):
    """Take back a statement of interest."""
    visible_round(round_id)
    interest = get_or_404(Interest, interest_id)
    require(interest.round_id == round_id and can_edit_profile(current_user,
                                                              interest.from_profile))
    enrolments.withdraw_interest(interest)
    db.session.commit()


@blp.route("/rounds/<int:round_id>/runs", methods=["POST"])
@blp.arguments(RunRequestSchema)
@blp.response(202, PairingRunSchema)
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(403, **FORBIDDEN)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, schema=ApiErrorSchema, description="A run of this round is under way")
def start_run(data: dict, round_id: int):
    """Run the pairing (optimal or stable); poll the run for its progress and result."""
    round_ = coordinated_round(round_id)
    run = pairing_runs.start_run(round_, data["method"], current_user, data["only_unpaired"])
    db.session.commit()
    if current_app.config.get("PAIRING_IN_BACKGROUND", True):
        pairing_jobs.enqueue_run(run.id)
    else:
        pairing_runs.execute_run(run)
    return run


@blp.route("/rounds/<int:round_id>/runs/<int:run_id>", methods=["GET"])
@blp.response(200, PairingRunSchema)
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(403, **FORBIDDEN)
@blp.alt_response(404, **NOT_FOUND)
def get_run(round_id: int, run_id: int):
    """A pairing run with its progress, and its summary when done."""
    coordinated_round(round_id)
    run = get_or_404(PairingRun, run_id)
    require(run.round_id == round_id)
    db.session.refresh(run)
    return run


@blp.route("/rounds/<int:round_id>/pairs")
class RoundPairs(MethodView):
    """The proposed and decided pairs of a round."""

    @blp.arguments(PairQuerySchema, location="query")
    @blp.response(200, PairSchema(many=True))
    @blp.alt_response(401, **NOT_LOGGED_IN)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, args: dict, round_id: int):
        """List pairs with score, reasons and mutual interest; filter and sort."""
        round_ = coordinated_round(round_id)
        return review.list_pairs(round_.id, args)

    @blp.arguments(ManualPairSchema)
    @blp.response(201, PairSchema)
    @blp.alt_response(401, **NOT_LOGGED_IN)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    def post(self, data: dict, round_id: int):
        """Pair a taker and a giver by hand (a proposal to approve as usual)."""
        round_ = coordinated_round(round_id)
        taker = get_or_404(Profile, data["taker_id"])
        giver = get_or_404(Profile, data["giver_id"])
        pair = pairs.pair_by_hand(round_, taker, giver, current_user)
        db.session.commit()
        return review.PairView(pair, None)


def _decided_pair(pair_id: int) -> Pair:
    require_coordinator()
    return get_or_404(Pair, pair_id)


@blp.route("/pairs/<int:pair_id>/approve", methods=["POST"])
@blp.arguments(DecisionSchema)
@blp.response(200, PairSchema)
@blp.alt_response(409, **CONFLICT)
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(403, **FORBIDDEN)
@blp.alt_response(404, **NOT_FOUND)
def approve(data: dict, pair_id: int):
    """Approve a proposed pair."""
    pair = pairs.approve(_decided_pair(pair_id), current_user, data["version"])
    db.session.commit()
    return review.PairView(pair, None)


@blp.route("/pairs/<int:pair_id>/reject", methods=["POST"])
@blp.arguments(DecisionSchema)
@blp.response(200, PairSchema)
@blp.alt_response(409, **CONFLICT)
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(403, **FORBIDDEN)
@blp.alt_response(404, **NOT_FOUND)
def reject(data: dict, pair_id: int):
    """Reject a pair, with a reason."""
    pair = pairs.reject(_decided_pair(pair_id), current_user, data["reason"], data["version"])
    db.session.commit()
    return review.PairView(pair, None)


@blp.route("/pairs/<int:pair_id>/swap", methods=["POST"])
@blp.arguments(SwapSchema)
@blp.response(200, PairSchema(many=True))
@blp.alt_response(409, **CONFLICT)
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(403, **FORBIDDEN)
@blp.alt_response(404, **NOT_FOUND)
def swap(data: dict, pair_id: int):
    """Swap the givers of two pairs; returns the two new proposals."""
    first = _decided_pair(pair_id)
    second = get_or_404(Pair, data["other_pair_id"])
    new = pairs.swap(first, second, current_user, (data["version"], data["other_version"]))
    db.session.commit()
    return [review.PairView(p, None) for p in new]


@blp.route("/rounds/<int:round_id>/bans", methods=["POST"])
@blp.arguments(BanSchema)
@blp.response(201, RoundSchema)
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(403, **FORBIDDEN)
@blp.alt_response(404, **NOT_FOUND)
def ban(data: dict, round_id: int):
    """Ban a taker–giver pair in this round."""
    round_ = coordinated_round(round_id)
    pairs.ban(round_, get_or_404(Profile, data["taker_id"]), get_or_404(Profile, data["giver_id"]),
              current_user, data["reason"])
    db.session.commit()
    return round_


@blp.route("/rounds/<int:round_id>/audit", methods=["GET"])
@blp.response(200, AuditEventSchema(many=True))
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(403, **FORBIDDEN)
@blp.alt_response(404, **NOT_FOUND)
def audit_log(round_id: int):
    """The round's audit log, newest first."""
    round_ = coordinated_round(round_id)
    return review.audit_log(round_.id)


@blp.route("/pairs/<int:pair_id>/audit", methods=["GET"])
@blp.response(200, AuditEventSchema(many=True))
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(403, **FORBIDDEN)
@blp.alt_response(404, **NOT_FOUND)
def pair_audit_log(pair_id: int):
    """One pair's audit log, newest first."""
    pair = _decided_pair(pair_id)
    return review.audit_log(pair.round_id, pair.id)


@blp.route("/me/pairs", methods=["GET"])
@blp.response(200, PairSchema(many=True))
@blp.alt_response(401, **NOT_LOGGED_IN)
def my_pairs():
    """Your approved pairs in published rounds."""
    require_login()
    return [review.PairView(p, None) for p in publishing.pairs_of_user(current_user)]
