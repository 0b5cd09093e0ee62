"""Pages for admins: find accounts, export a person's data, delete an account, change a role."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from marshmallow import ValidationError

from spread import vocabulary
from spread.api.privacy import export_response
from spread.auth import is_admin, requires
from spread.extensions import db
from spread.models import Role, User
from spread.schemas.messages import translate_errors
from spread.schemas.privacy import DeleteAccountSchema, RoleInputSchema, UserSearchSchema
from spread.services import privacy
from spread.services.listing import paginate
from spread.web import bp
from spread.web.forms import load_form

ROLE_LABELS = vocabulary.ROLES


def _account(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.route("/admin/users")
@requires(is_admin)
def admin_users():
    """List and search accounts by name or email, newest first."""
    args, errors = load_form(UserSearchSchema(), request.args)
    if args is None:
        args = UserSearchSchema().load({})
    page = paginate(privacy.user_query(args["q"]), args["page"], args["per_page"])
    return render_template("admin/users.html", page=page, q=args["q"], errors=errors,
                           role_labels=ROLE_LABELS)


def _user_page(user: User, errors: dict | None = None, status: int = 200):
    return render_template("admin/user.html", user=user, role_labels=ROLE_LABELS,
                           errors=errors or {}), status


@bp.route("/admin/users/<int:user_id>")
@requires(is_admin)
def admin_user(user_id: int):
    """One account: its facts, the data download, deletion and the role."""
    return _user_page(_account(user_id))


@bp.route("/admin/users/<int:user_id>/data.json")
@requires(is_admin)
def admin_user_data(user_id: int):
    """Download everything spread holds about the person, on their request."""
    return export_response(_account(user_id))


@bp.route("/admin/users/<int:user_id>/delete", methods=["GET", "POST"])
@requires(is_admin)
def admin_delete_user(user_id: int):
    """Confirm, with the reason for the audit log, and delete the account."""
    user = _account(user_id)
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(DeleteAccountSchema(), request.form)
        if data is not None:
            try:
                privacy.delete_account(user, current_user, data["reason"])
            except ValidationError as error:
                db.session.rollback()
                errors = translate_errors(error.messages)
            else:
                db.session.commit()
                flash(_("The account is deleted."), "success")
                if not current_user.is_active:  # an admin deleted their own account
                    logout_user()
                    return redirect(url_for("web.index"))
                return redirect(url_for("web.admin_user", user_id=user.id))
    status = 422 if errors else 200
    return render_template("admin/user_delete.html", user=user, errors=errors,
                           form=request.form), status


@bp.route("/admin/users/<int:user_id>/role", methods=["POST"])
@requires(is_admin)
def admin_user_role(user_id: int):
    """Change what the account may do; the last admin keeps the admin role."""
    user = _account(user_id)
    data, errors = load_form(RoleInputSchema(), request.form)
    if data is not None:
        try:
            privacy.change_role(user, Role(data["role"]), current_user)
        except ValidationError as error:
            db.session.rollback()
            errors = translate_errors(error.messages)
    if errors:
        return _user_page(user, errors, 422)
    db.session.commit()
    flash(_("The role is changed."), "success")
    return redirect(url_for("web.admin_user", user_id=user.id))
