"""Pages: organisations."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from spread.auth import allow, can_edit_organisation, requires
from spread.extensions import db
from spread.models import Organisation
from spread.schemas.messages import translate_errors
from spread.schemas.organisations import OrganisationQuerySchema, OrganisationSchema
from spread.services import organisations as service
from spread.services.listing import paginate
from spread.web import bp
from spread.web.forms import load_form


def _organisation_or_404(organisation_id: int) -> Organisation:
    return db.session.get(Organisation, organisation_id) or abort(404)


@bp.route("/organisations")
@requires()
def organisations():
    """List and search organisations."""
    args, errors = load_form(OrganisationQuerySchema(), request.args)
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
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(OrganisationSchema(), request.form)
        if data is not None:
            try:
                if org is None:
                    org = service.create_organisation(data, current_user)
                else:
                    service.update_organisation(org, data)
            except ValidationError as error:
                db.session.rollback()
                errors = translate_errors(error.messages)
            else:
                db.session.commit()
                flash(_("The organisation was saved."), "success")
                return redirect(url_for("web.organisation", organisation_id=org.id))
    form = request.form if request.method == "POST" else _organisation_form(org)
    status = 422 if errors else 200
    return render_template("organisations/form.html", org=org, form=form, errors=errors), status


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
    allow(can_edit_organisation(current_user, org))
    restore = request.form.get("restore") == "1"
    service.set_organisation_archived(org, not restore)
    db.session.commit()
    flash(_("The organisation was restored.") if restore else _("The organisation was archived."),
          "success")
    return redirect(url_for("web.organisation", organisation_id=org.id))
