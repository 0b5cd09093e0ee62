"""Pages: "Your data" (download everything as JSON) and deleting one's own account."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from marshmallow import ValidationError

from spread.api.privacy import export_response
from spread.auth import requires
from spread.extensions import db
from spread.schemas.messages import translate_errors
from spread.schemas.privacy import DeleteOwnAccountSchema
from spread.services import privacy
from spread.web import bp
from spread.web.forms import load_form


@bp.route("/account/data")
@requires()
def my_data():
    """The "Your data" page: what spread keeps, the download and the way to delete the account."""
    return render_template("account/privacy.html")


@bp.route("/account/data.json")
@requires()
def my_data_download():
    """Download everything spread holds about the user as a JSON file."""
    return export_response(current_user)


@bp.route("/account/delete", methods=["GET", "POST"])
@requires()
def delete_my_account():
    """Explain what deletion does; delete and log out once the password is confirmed."""
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(DeleteOwnAccountSchema(), request.form)
        if data is not None:
            user = current_user._get_current_object()
            try:
                privacy.check_password(user, data["password"])
                privacy.delete_account(user, user)
            except ValidationError as error:
                db.session.rollback()
                errors = translate_errors(error.messages)
            else:
                db.session.commit()
                logout_user()
                flash(_("Your account is deleted. Thank you for using spread."), "success")
                return redirect(url_for("web.index"))
    status = 422 if errors else 200
    return render_template("account/privacy_delete.html", errors=errors), status
