"""API: registration, API tokens and the current user."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint, abort

from spread.api.common import ApiErrorSchema, require_login
from spread.extensions import db
from spread.schemas.users import RegisterSchema, TokenRequestSchema, TokenSchema, UserSchema
from spread.services import users as user_service

blp = Blueprint("account", __name__, url_prefix="/api/v1", description="Accounts and tokens")


@blp.route("/auth/register", methods=["POST"])
@blp.arguments(RegisterSchema)
@blp.response(201, UserSchema)
@blp.alt_response(422, schema=ApiErrorSchema, description="Invalid input or email in use")
def register(data: dict):
    """Create a participant account."""
    user = user_service.register_user(data)
    db.session.commit()
    return user


@blp.route("/auth/tokens", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
@blp.alt_response(401, schema=ApiErrorSchema, description="Wrong email or password")
def create_token(data: dict):
    """Exchange email and password for a bearer token (shown only in this answer)."""
    user = user_service.authenticate(data["email"], data["password"])
    if user is None:
        abort(401, message=_("Wrong email or password."))
    token, secret = user_service.create_api_token(user, data["name"])
    db.session.commit()
    return {"id": token.id, "name": token.name, "token": secret, "created_at": token.created_at}


@blp.route("/me", methods=["GET"])
@blp.response(200, UserSchema)
@blp.alt_response(401, schema=ApiErrorSchema, description="Not logged in")
def me():
    """The account of the caller."""
    require_login()
    return current_user
