"""Pages: registration, login, logout, language, the user's own account."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from marshmallow import ValidationError

from spread.auth import requires
from spread.extensions import db
from spread.jobs import accounts as account_jobs
from spread.rate_limits import login_attempt
from spread.read_models import dialogue_workspace
from spread.schemas.messages import translate_errors
from spread.schemas.users import (
    LoginSchema,
    PasswordResetRequestSchema,
    PasswordResetSchema,
    RegisterSchema,
)
from spread.services import dialogues as dialogue_service
from spread.services import signup
from spread.services import users as user_service
from spread.services.profiles import profile_query
from spread.services.publishing import pairs_of_user
from spread.web import bp
from spread.web.forms import load_form


def safe_next(target: str | None) -> str:
    """Only follow ``next`` to a path on this site: no ``//host``, ``/\\host``, control chars."""
    if (target and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and not any(ord(ch) < 32 or ord(ch) == 127 for ch in target)):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("web.index")


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Show the registration form; on success, the same "check your inbox" page for everyone."""
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(RegisterSchema(), request.form)
        if data is not None:
            signup.sign_up(data)
            db.session.commit()
            return render_template("account/check_inbox.html", email=data["email"],
                                   purpose="confirm")
    status = 422 if errors else 200
    return render_template("account/register.html", errors=errors, form=request.form), status


@bp.route("/confirm/<token>")
def confirm_email(token: str):
    """Confirm the address from the link in the welcome mail, and log in."""
    user = signup.confirm_email(token)
    if user is None:
        db.session.rollback()
        return render_template("account/link_invalid.html", purpose="confirm"), 404
    db.session.commit()
    login_user(user)
    flash(_("Your email address is confirmed. Welcome to spread, %(name)s.", name=user.name),
          "success")
    return redirect(url_for("web.my_account"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; log in and go on to ``next`` on success."""
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(LoginSchema(), request.form)
        if data is not None:
            with login_attempt(data["email"]) as attempt:
                user = user_service.authenticate(data["email"], data["password"])
                if user is None:
                    attempt.wrong_password()
            if user is not None and not user.is_confirmed:
                signup.send_confirmation(user)
                db.session.commit()
                errors = {"_form": [_("Confirm your email address first: we have sent you a "
                                      "new link. Open it, and you are logged in.")]}
            elif user is not None:
                login_user(user, remember=bool(request.form.get("remember")))
                flash(_("You are logged in."), "success")
                return redirect(safe_next(request.args.get("next")))
            else:
                errors = {"_form": [_("Wrong email or password.")]}
    status = 422 if errors else 200
    return render_template("account/login.html", errors=errors, form=request.form), status


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(PasswordResetRequestSchema(), request.form)
        if data is not None:
            account_jobs.send_password_reset(data["email"])  # same for every address
            return render_template("account/check_inbox.html", email=data["email"],
                                   purpose="reset")
    status = 422 if errors else 200
    return render_template("account/forgot.html", errors=errors, form=request.form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password with the link from the reset mail, then log in."""
    user = signup.user_of_reset_link(token)
    if user is None:
        return render_template("account/link_invalid.html", purpose="reset"), 404
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(PasswordResetSchema(), request.form)
        if data is not None:
            try:
                signup.reset_password(user, data["password"])
            except ValidationError as error:
                db.session.rollback()
                errors = translate_errors(error.messages)
            else:
                db.session.commit()
                login_user(user)
                flash(_("Your new password is set, and you are logged in."), "success")
                return redirect(url_for("web.my_account"))
    status = 422 if errors else 200
    return render_template("account/reset.html", errors=errors), status


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
@requires()
def my_account():
    """The user's own page: their profiles, their published pairings and API tokens."""
    filters = {"mine": True, "include_archived": True}
    profiles = list(db.session.scalars(profile_query(filters, current_user)))
    own = {p.id for p in profiles}
    pairings = [{"pair": pair, "own": pair.taker if pair.taker_id in own else pair.giver,
                 "partner": pair.giver if pair.taker_id in own else pair.taker}
                for pair in pairs_of_user(current_user)]
    my_dialogues = [dialogue_workspace.summary(d, current_user)
                    for d in dialogue_service.dialogues_of_user(current_user)]
    dialogue_of_pair = {d.pair_id: d.id for d in dialogue_service.dialogues_of_user(current_user)}
    return render_template("account/me.html", profiles=profiles, pairings=pairings,
                           dialogues=my_dialogues, dialogue_of_pair=dialogue_of_pair)


@bp.route("/account/tokens", methods=["POST"])
@requires()
def create_token():
    """Create an API token and show it once."""
    name = (request.form.get("name") or "").replace("\x00", "").strip()[:100] or "api"
    _token, secret = user_service.create_api_token(current_user, name)
    db.session.commit()
    flash(_("Your new API token (copy it now, it is shown only once): %(token)s", token=secret),
          "success")
    return redirect(url_for("web.my_account"))
