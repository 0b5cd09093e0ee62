"""API: organisations."""
from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user

from spread.api.common import (
    ApiBlueprint,
    archive_routes,
    get_or_404,
    page_schema,
)
from spread.auth import allow, can_edit_organisation, requires
from spread.extensions import db
from spread.models import Organisation
from spread.schemas.organisations import (
    OrganisationQuerySchema,
    OrganisationSchema,
    OrganisationUpdateSchema,
)
from spread.services import organisations as service
from spread.services.listing import paginate

blp = ApiBlueprint(
    "organisations", __name__, url_prefix="/api/v1/organisations", description="Organisations"
)
OrganisationPageSchema = page_schema(OrganisationSchema, "OrganisationPageSchema")


@blp.route("/")
class Organisations(MethodView):
    """The collection of organisations."""

    @requires()
    @blp.arguments(OrganisationQuerySchema, location="query")
    @blp.response(200, OrganisationPageSchema)
    @blp.errors(401)
    def get(self, args: dict):
        """List organisations, optionally searching by name."""
        query = service.organisation_query(args["q"], args["include_archived"])
        return paginate(query, args["page"], args["per_page"])

    @requires()
    @blp.arguments(OrganisationSchema)
    @blp.response(201, OrganisationSchema)
    @blp.errors(401, 422)
    def post(self, data: dict):
        """Create an organisation."""
        organisation = service.create_organisation(data, current_user)
        db.session.commit()
        return organisation


@blp.route("/<int:organisation_id>")
class OrganisationItem(MethodView):
    """One organisation."""

    @requires()
    @blp.response(200, OrganisationSchema)
    @blp.errors(401, 404, describe={404: "No such organisation"})
    def get(self, organisation_id: int):
        """Show an organisation."""
        return get_or_404(Organisation, organisation_id)

    @requires()
    @blp.arguments(OrganisationUpdateSchema)
    @blp.response(200, OrganisationSchema)
    @blp.errors(401, 403, 404, describe={403: "Not yours to edit"})
    def patch(self, data: dict, organisation_id: int):
        """Change an organisation (its creator, coordinators and admins)."""
        organisation = get_or_404(Organisation, organisation_id)
        allow(can_edit_organisation(current_user, organisation))
        service.update_organisation(organisation, data)
        db.session.commit()
        return organisation


archive_routes(blp, Organisation, OrganisationSchema, can_edit_organisation, "organisation_id",
               "organisation")
