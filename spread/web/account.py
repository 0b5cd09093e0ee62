"""Pages: registration, login, logout, language, the user's own account."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import ValidationError

from spread.extensions import db
from spread.schemas.messages import translate_errors
from spread.schemas.users import LoginSchema, RegisterSchema
from spread.services import dialogues as dialogue_service
from spread.services import users as user_service
from spread.services.profiles import profile_query
from spread.services.publishing import pairs_of_user
from spread.web import bp
from spread.web.forms import load_form


def safe_next(target: str | None) -> str:
    """Only follow ``next`` to a path on this site."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("web.index")


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Show the registration form; create the account and log in on success."""
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(RegisterSchema(), request.form)
        if data is not None:
            try:
                user = user_service.register_user(data)
            except ValidationError as error:
                db.session.rollback()
                errors = translate_errors(error.messages)
            else:
                db.session.commit()
                login_user(user)
                flash(_("Welcome to spread, %(name)s.", name=user.name), "success")
                return redirect(url_for("web.my_account"))
    status = 422 if errors else 200
    return render_template("account/register.html", errors=errors, form=request.form), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; log in and go on to ``next`` on success."""
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(LoginSchema(), request.form)
        if data is not None:
            user = user_service.authenticate(data["email"], data["password"])
            if user is not None:
                login_user(user, remember=bool(request.form.get("remember")))
                flash(_("You are logged in."), "success")
                return redirect(safe_next(request.args.get("next")))
            errors = {"_form": [_("Wrong email or password.")]}
    status = 422 if errors else 200
    return render_template("account/login.html", errors=errors, form=request.form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out and return to the front page."""
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("web.index"))


@bp.route("/language/<code>")
def set_language(code: str):
    """Switch the interface language and return to where the visitor was."""
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
    return redirect(safe_next(request.args.get("next")))


@bp.route("/account", methods=["GET"])
@login_required
def my_account():
    """The user's own page: their profiles, their published pairings and API tokens."""
    filters = {"mine": True, "include_archived": True}
    profiles = list(db.session.scalars(profile_query(filters, current_user)))
    own = {p.id for p in profiles}
    pairings = [{"pair": pair, "own": pair.taker if pair.taker_id in own else pair.giver,
                 "partner": pair.giver if pair.taker_id in own else pair.taker}
                for pair in pairs_of_user(current_user)]
    my_dialogues = [dialogue_service.summary(d, current_user)
                    for d in dialogue_service.dialogues_of_user(current_user)]
    dialogue_of_pair = {d.pair_id: d.id for d in dialogue_service.dialogues_of_user(current_user)}
    return render_template("account/me.html", profiles=profiles, pairings=pairings,
                           dialogues=my_dialogues, dialogue_of_pair=dialogue_of_pair)


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token():
    """Create an API token and show it once."""
    name = (request.form.get("name") or "").strip()[:100] or "api"
    _token, secret = user_service.create_api_token(current_user, name)
    db.session.commit()
    flash(_("Your new API token (copy it now, it is shown only once): %(token)s", token=secret),
          "success")
    return redirect(url_for("web.my_account"))
