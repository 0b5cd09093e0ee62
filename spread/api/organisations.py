"""API: organisations."""
from __future__ import annotations

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
from spread.auth import can_edit_organisation
from spread.extensions import db
from spread.models import Organisation
from spread.schemas.organisations import (
    OrganisationQuerySchema,
    OrganisationSchema,
    OrganisationUpdateSchema,
)
from spread.services import organisations as service
from spread.services.listing import paginate

blp = Blueprint(
    "organisations", __name__, url_prefix="/api/v1/organisations", description="Organisations"
)
OrganisationPageSchema = page_schema(OrganisationSchema, "OrganisationPageSchema")


@blp.route("/")
class Organisations(MethodView):
    """The collection of organisations."""

    @blp.arguments(OrganisationQuerySchema, location="query")
    @blp.response(200, OrganisationPageSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="Not logged in")
    def get(self, args: dict):
        """List organisations, optionally searching by name."""
        require_login()
        query = service.organisation_query(args["q"], args["include_archived"])
        return paginate(query, args["page"], args["per_page"])

    @blp.arguments(OrganisationSchema)
    @blp.response(201, OrganisationSchema)
    @blp.alt_response(401, **NOT_LOGGED_IN)
    @blp.alt_response(422, schema=ApiErrorSchema, description="Invalid input")
    def post(self, data: dict):
        """Create an organisation."""
        require_login()
        organisation = service.create_organisation(data, current_user)
        db.session.commit()
        return organisation


@blp.route("/<int:organisation_id>")
class OrganisationItem(MethodView):
    """One organisation."""

    @blp.response(200, OrganisationSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="No such organisation")
    @blp.alt_response(401, **NOT_LOGGED_IN)
    def get(self, organisation_id: int):
        """Show an organisation."""
        require_login()
        return get_or_404(Organisation, organisation_id)

    @blp.arguments(OrganisationUpdateSchema)
    @blp.response(200, OrganisationSchema)
    @blp.alt_response(403, schema=ApiErrorSchema, description="Not yours to edit")
    @blp.alt_response(401, **NOT_LOGGED_IN)
    @blp.alt_response(404, **NOT_FOUND)
    def patch(self, data: dict, organisation_id: int):
        """Change an organisation (its creator, coordinators and admins)."""
        require_login()
        organisation = get_or_404(Organisation, organisation_id)
        require(can_edit_organisation(current_user, organisation))
        service.update_organisation(organisation, data)
        db.session.commit()
        return organisation


@blp.route("/<int:organisation_id>/archive", methods=["POST"])
@blp.response(200, OrganisationSchema)
@blp.alt_response(403, schema=ApiErrorSchema, description="Not yours to archive")
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(404, **NOT_FOUND)
def archive(organisation_id: int):
    """Archive an organisation: it is kept, but no longer offered for new profiles."""
    return _set_archived(organisation_id, True)


@blp.route("/<int:organisation_id>/restore", methods=["POST"])
@blp.response(200, OrganisationSchema)
@blp.alt_response(403, schema=ApiErrorSchema, description="Not yours to restore")
@blp.alt_response(401, **NOT_LOGGED_IN)
@blp.alt_response(404, **NOT_FOUND)
def restore(organisation_id: int):
    """Restore an archived organisation."""
    return _set_archived(organisation_id, False)


def _set_archived(organisation_id: int, archived: bool) -> Organisation:
    require_login()
    organisation = get_or_404(Organisation, organisation_id)
    require(can_edit_organisation(current_user, organisation))
    service.set_organisation_archived(organisation, archived)
    db.session.commit()
    return organisation
