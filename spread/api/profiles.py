"""API: giver and taker profiles."""
from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from spread.api.common import (
    NOT_FOUND,
    NOT_LOGGED_IN,
    ApiErrorSchema,
    get_or_404,
    page_schema,
    require,
    require_login,
)
from spread.auth import can_edit_profile
from spread.extensions import db
from spread.models import Profile
from spread.schemas.profiles import ProfileQuerySchema, ProfileSchema, ProfileUpdateSchema
from spread.schemas.suggestions import SuggestionQuerySchema, SuggestionSchema
from spread.services import profiles as service
from spread.services.listing import paginate
from spread.services.suggestions import profile_with_version, suggestions_for

blp = Blueprint("profiles", __name__, url_prefix="/api/v1/profiles", description="Profiles")
ProfilePageSchema = page_schema(ProfileSchema, "ProfilePageSchema")


@blp.route("/")
class Profiles(MethodView):
    """The collection of profiles."""

    @blp.arguments(ProfileQuerySchema, location="query")
    @blp.response(200, ProfilePageSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="Not logged in")
    def get(self, args: dict):
        """Browse and search profiles (filter by side, sector, region, level; text search)."""
        require_login()
        query = service.profile_query(args, current_user)
        return paginate(query, args["page"], args["per_page"])

    @blp.arguments(ProfileSchema)
    @blp.response(201, ProfileSchema)
    @blp.alt_response(401, **NOT_LOGGED_IN)
    @blp.alt_response(422, schema=ApiErrorSchema, description="Invalid input")
    def post(self, data: dict):
        """Create a giver or taker profile owned by the caller."""
        require_login()
        profile = service.create_profile(data, current_user)
        db.session.commit()
        return profile


@blp.route("/<int:profile_id>")
class ProfileItem(MethodView):
    """One profile."""

    @blp.response(200, ProfileSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="No such profile")
    @blp.alt_response(401, **NOT_LOGGED_IN)
    def get(self, profile_id: int):
        """Show a profile."""
        require_login()
        return get_or_404(Profile, profile_id)

    @blp.arguments(ProfileUpdateSchema)
    @blp.response(200, ProfileSchema)
    @blp.alt_response(403, schema=ApiErrorSchema, description="Not yours to edit")
    @blp.alt_response(401, **NOT_LOGGED_IN)
    @blp.alt_response(404, **NOT_FOUND)
    @blp.alt_response(422, schema=ApiErrorSchema, description="Invalid input")
    def patch(self, data: dict, profile_id: int):
        """Change a profile (its owner, coordinators and admins)."""
        require_login()
        profile = get_or_404(Profile, profile_id)
        require(can_edit_profile(current_user, profile))
        service.update_profile(profile, data)
        db.session.commit()
        return profile


@blp.route("/<int:profile_id>/suggestions", methods=["GET"])
@blp.arguments(SuggestionQuerySchema, location="query")
@blp.response(200, SuggestionSchema(many=True))
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(404, schema=ApiErrorSchema, description="No such profile")
def suggestions(args: dict, profile_id: int):
    """The best partners on the other side, with score and reasons (own organisation excluded)."""
    require_login()
    # One query for the profile, the profiles version and (usually) the partners to show.
    profile, version, partners = profile_with_version(profile_id, k=args["k"])
    if profile is None:
        abort(404)
    return suggestions_for(profile, k=args["k"], version=version, partners=partners)


@blp.route("/<int:profile_id>/archive", methods=["POST"])
@blp.response(200, ProfileSchema)
@blp.alt_response(403, schema=ApiErrorSchema, description="Not yours to archive")
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(404, **NOT_FOUND)
def archive(profile_id: int):
    """Archive a profile: it is kept but no longer listed or suggested."""
    return _set_archived(profile_id, True)


@blp.route("/<int:profile_id>/restore", methods=["POST"])
@blp.response(200, ProfileSchema)
@blp.alt_response(403, schema=ApiErrorSchema, description="Not yours to restore")
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(404, **NOT_FOUND)
def restore(profile_id: int):
    """Restore an archived profile."""
    return _set_archived(profile_id, False)


def _set_archived(profile_id: int, archived: bool) -> Profile:
    require_login()
    profile = get_or_404(Profile, profile_id)
    require(can_edit_profile(current_user, profile))
    service.set_profile_archived(profile, archived)
    db.session.commit()
    return profile
