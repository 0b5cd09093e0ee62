"""API: registration, API tokens and the current user."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort

from spread.api.common import ApiBlueprint
from spread.auth import requires
from spread.extensions import db
from spread.rate_limits import login_attempt
from spread.schemas.users import (
    AcceptedSchema,
    RegisterSchema,
    TokenRequestSchema,
    TokenSchema,
    UserSchema,
)
from spread.services import signup
from spread.services import users as user_service

blp = ApiBlueprint("account", __name__, url_prefix="/api/v1", description="Accounts and tokens")


@blp.route("/auth/register", methods=["POST"])
@blp.doc(security=[])  # open to anonymous callers
@blp.arguments(RegisterSchema)
@blp.response(202, AcceptedSchema)
@blp.errors(422, 429, describe={429: "Too many requests"})
def register(data: dict):
    """Sign up: a confirmation link goes to the address (the answer never says if it is in use)."""
    signup.sign_up(data)
    db.session.commit()
    return {"message": _("We have sent a mail to %(email)s. Open the link in it to confirm "
                         "your address; then you can log in.", email=data["email"])}


@blp.route("/auth/tokens", methods=["POST"])
@blp.doc(security=[])  # open to anonymous callers
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
@blp.errors(401, 403, 429, describe={401: "Wrong email or password",
                                      403: "Email address not confirmed yet",
                                      429: "Too many failed attempts"})
def create_token(data: dict):
    """Exchange email and password for a bearer token (shown only in this answer)."""
    with login_attempt(data["email"]) as attempt:
        user = user_service.authenticate(data["email"], data["password"])
        if user is None:
            attempt.wrong_password()
            abort(401, message=_("Wrong email or password."))
    if not user.is_confirmed:
        signup.send_confirmation(user)
        db.session.commit()
        abort(403, message=_("Confirm your email address first: we have sent you a new link."))
    token, secret = user_service.create_api_token(user, data["name"])
    db.session.commit()
    return {"id": token.id, "name": token.name, "token": secret, "created_at": token.created_at}


@blp.route("/me", methods=["GET"])
@requires()
@blp.response(200, UserSchema)
@blp.errors(401)
def me():
    """The account of the caller."""
    return current_user
