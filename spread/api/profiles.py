"""API: giver and taker profiles."""
from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user

from spread.api.common import (
    ApiBlueprint,
    archive_routes,
    get_or_404,
    page_schema,
)
from spread.auth import allow, can_edit_profile, requires
from spread.extensions import db
from spread.matchmaking.suggestions import profile_with_version, suggestions_for
from spread.models import Profile
from spread.schemas.profiles import ProfileQuerySchema, ProfileSchema, ProfileUpdateSchema
from spread.schemas.suggestions import SuggestionQuerySchema, SuggestionSchema
from spread.services import profiles as service
from spread.services.listing import paginate

blp = ApiBlueprint("profiles", __name__, url_prefix="/api/v1/profiles", description="Profiles")
ProfilePageSchema = page_schema(ProfileSchema, "ProfilePageSchema")


@blp.route("/")
class Profiles(MethodView):
    """The collection of profiles."""

    @requires()
    @blp.arguments(ProfileQuerySchema, location="query")
    @blp.response(200, ProfilePageSchema)
    @blp.errors(401)
    def get(self, args: dict):
        """Browse and search profiles (filter by side, sector, region, level; text search)."""
        query = service.profile_query(args, current_user)
        return paginate(query, args["page"], args["per_page"])

    @requires()
    @blp.arguments(ProfileSchema)
    @blp.response(201, ProfileSchema)
    @blp.errors(401, 422)
    def post(self, data: dict):
        """Create a giver or taker profile owned by the caller."""
        profile = service.create_profile(data, current_user)
        db.session.commit()
        return profile


@blp.route("/<int:profile_id>")
class ProfileItem(MethodView):
    """One profile."""

    @requires()
    @blp.response(200, ProfileSchema)
    @blp.errors(401, 404, describe={404: "No such profile"})
    def get(self, profile_id: int):
        """Show a profile."""
        return get_or_404(Profile, profile_id)

    @requires()
    @blp.arguments(ProfileUpdateSchema)
    @blp.response(200, ProfileSchema)
    @blp.errors(401, 403, 404, 422, describe={403: "Not yours to edit"})
    def patch(self, data: dict, profile_id: int):
        """Change a profile (its owner, coordinators and admins)."""
        profile = get_or_404(Profile, profile_id)
        allow(can_edit_profile(current_user, profile))
        service.update_profile(profile, data)
        db.session.commit()
        return profile


@blp.route("/<int:profile_id>/suggestions", methods=["GET"])
@requires()
@blp.arguments(SuggestionQuerySchema, location="query")
@blp.response(200, SuggestionSchema(many=True))
@blp.errors(401, 404, describe={404: "No such profile"})
def suggestions(args: dict, profile_id: int):
    """The best partners on the other side, with score and reasons (own organisation excluded)."""
    # One query for the profile, the profiles version and (usually) the partners to show.
    profile, version, partners = profile_with_version(profile_id, k=args["k"])
    if profile is None:
        abort(404)
    return suggestions_for(profile, k=args["k"], version=version, partners=partners)


archive_routes(blp, Profile, ProfileSchema, can_edit_profile, "profile_id", "profile")
