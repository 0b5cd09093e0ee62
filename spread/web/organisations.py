"""Pages: organisations."""
from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from spread.auth import allow, can_edit_organisation, requires
from spread.extensions import db
from spread.models import Organisation
from spread.schemas.organisations import OrganisationQuerySchema, OrganisationSchema
from spread.services import organisations as service
from spread.services.listing import paginate
from spread.web import bp
from spread.web.archiving import archive_or_restore
from spread.web.forms import flash_redirect, load_form, submit


def _organisation_or_404(organisation_id: int) -> Organisation:
    return db.session.get(Organisation, organisation_id) or abort(404)


@bp.route("/organisations")
@requires()
def organisations():
    """List and search organisations."""
    args, _errors = load_form(OrganisationQuerySchema(), request.args)
    if args is None:
        abort(400)
    page = paginate(service.organisation_query(args["q"], args["include_archived"]),
                    args["page"], args["per_page"])
    return render_template("organisations/list.html", page=page, args=args)


@bp.route("/organisations/new", methods=["GET", "POST"])
@requires()
def new_organisation():
    """Create an organisation."""
    return _edit_organisation(None)


@bp.route("/organisations/<int:organisation_id>")
@requires()
def organisation(organisation_id: int):
    """Show an organisation and its profiles."""
    org = _organisation_or_404(organisation_id)
    profiles = [p for p in org.profiles if not p.archived]
    return render_template("organisations/show.html", org=org, profiles=profiles)


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@requires()
def edit_organisation(organisation_id: int):
    """Edit an organisation (its creator, coordinators and admins)."""
    org = _organisation_or_404(organisation_id)
    allow(can_edit_organisation(current_user, org))
    return _edit_organisation(org)


def _edit_organisation(org: Organisation | None):
    """The organisation form; on POST save it and show it, or the form with the errors."""
    def show(errors: dict, status: int):
        form = request.form if request.method == "POST" else _organisation_form(org)
        return render_template("organisations/form.html", org=org, form=form,
                               errors=errors), status

    if request.method != "POST":
        return show({}, 200)

    def save(data: dict) -> Organisation:
        if org is None:
            return service.create_organisation(data, current_user)
        service.update_organisation(org, data)
        return org

    return submit(OrganisationSchema(), save, show=show, done=lambda saved: flash_redirect(
        _("The organisation was saved."), url_for("web.organisation", organisation_id=saved.id)))


def _organisation_form(org: Organisation | None) -> dict:
    if org is None:
        return {"country": "DK"}
    return {"name": org.name, "kind": org.kind, "region": org.region or "",
            "country": org.country}


@bp.route("/organisations/<int:organisation_id>/archive", methods=["POST"])
@requires()
def archive_organisation(organisation_id: int):
    """Archive or restore an organisation (``restore=1`` restores)."""
    org = _organisation_or_404(organisation_id)
    return archive_or_restore(
        org, can_edit_organisation,
        {True: _("The organisation was archived."), False: _("The organisation was restored.")},
        url_for("web.organisation", organisation_id=org.id))
