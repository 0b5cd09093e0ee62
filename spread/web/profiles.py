"""Pages: browsing, showing and editing giver and taker profiles."""
from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from spread.auth import allow, can_edit_profile, requires
from spread.extensions import db
from spread.matchmaking.suggestions import suggestions_for
from spread.models import Profile
from spread.schemas.profiles import ProfileQuerySchema, ProfileSchema, ProfileUpdateSchema
from spread.services import profiles as service
from spread.services.listing import paginate
from spread.services.organisations import active_organisations
from spread.web import bp
from spread.web.archiving import archive_or_restore
from spread.web.forms import flash_redirect, load_form, submit

PROFILE_FORM_FIELDS = (
    "organisation_id", "language", "title", "description", "problem", "outcomes", "hopes",
    "facet", "level", "region", "capacity", "available_from", "available_until",
)


def _profile_or_404(profile_id: int) -> Profile:
    return db.session.get(Profile, profile_id) or abort(404)


@bp.route("/profiles")
@requires()
def profiles():
    """Browse and search profiles with filters."""
    args, errors = load_form(ProfileQuerySchema(), request.args)
    if args is None:
        args = ProfileQuerySchema().load({})
    page = paginate(service.profile_query(args, current_user), args["page"], args["per_page"])
    return render_template("profiles/list.html", page=page, args=args, errors=errors)


@bp.route("/profiles/new", methods=["GET", "POST"])
@requires()
def new_profile():
    """Create a giver (``?side=giver``) or taker (``?side=taker``) profile."""
    side = request.values.get("side", "giver")
    if side not in ("giver", "taker"):
        abort(404)
    return _edit_profile(None, side)


@bp.route("/profiles/<int:profile_id>")
@requires()
def profile(profile_id: int):
    """Show a profile with the best partners on the other side."""
    shown = _profile_or_404(profile_id)
    suggestions = [] if shown.archived else suggestions_for(shown, k=10)
    return render_template("profiles/show.html", profile=shown, suggestions=suggestions)


@bp.route("/profiles/<int:profile_id>/edit", methods=["GET", "POST"])
@requires()
def edit_profile(profile_id: int):
    """Edit a profile (its owner, coordinators and admins)."""
    existing = _profile_or_404(profile_id)
    allow(can_edit_profile(current_user, existing))
    return _edit_profile(existing, existing.side)


def _edit_profile(existing: Profile | None, side: str):
    """The profile form; on POST save it and show the profile, or the form with the errors."""
    def show(errors: dict, status: int):
        form = request.form if request.method == "POST" else _profile_form(existing)
        return render_template("profiles/form.html", profile=existing, side=side, form=form,
                               errors=errors,
                               organisations=_organisation_choices(existing)), status

    if request.method != "POST":
        return show({}, 200)

    def save(data: dict) -> Profile:
        if existing is None:
            return service.create_profile(data, current_user)
        service.update_profile(existing, data)
        return existing

    schema = ProfileSchema() if existing is None else ProfileUpdateSchema(partial=False)
    return submit(schema, save, show=show, done=lambda saved: flash_redirect(
        _("The profile was saved."), url_for("web.profile", profile_id=saved.id)))


def _organisation_choices(profile: Profile | None) -> list:
    """Active organisations, plus the profile's own one even if it has since been archived."""
    choices = active_organisations()
    if profile is not None and profile.organisation.archived:
        choices.append(profile.organisation)
    return choices


def _profile_form(profile: Profile | None):
    """The form values of an existing profile, as the browser would send them."""
    if profile is None:
        return MultiDict({"language": "da"})
    form = MultiDict()
    for name in PROFILE_FORM_FIELDS:
        value = getattr(profile, name)
        form[name] = "" if value is None else str(value)
    form["keywords"] = ", ".join(profile.keywords or [])
    form.setlist("sectors", profile.sectors)
    form.setlist("target_groups", profile.target_groups)
    return form


@bp.route("/profiles/<int:profile_id>/archive", methods=["POST"])
@requires()
def archive_profile(profile_id: int):
    """Archive or restore a profile (``restore=1`` restores)."""
    existing = _profile_or_404(profile_id)
    return archive_or_restore(
        existing, can_edit_profile,
        {True: _("The profile was archived."), False: _("The profile was restored.")},
        url_for("web.profile", profile_id=existing.id))
