"""API: one's own data as a JSON file and deleting one's account; admins do both on request."""
from __future__ import annotations

import json

from flask import Response
from flask_login import current_user

from spread.api.common import ApiBlueprint, get_or_404
from spread.auth import allow, is_admin, requires
from spread.extensions import db
from spread.models import Role, User
from spread.schemas.privacy import (
    AccountPageSchema,
    AccountSchema,
    DataExportSchema,
    DeleteAccountSchema,
    DeleteOwnAccountSchema,
    RoleInputSchema,
    UserSearchSchema,
)
from spread.services import privacy
from spread.services.listing import paginate

blp = ApiBlueprint("privacy", __name__, url_prefix="/api/v1",
                description="Personal data: export and account deletion")
REFUSED = "Wrong password, missing reason, or the last admin"


def export_response(user: User) -> Response:
    """The export of ``user``'s data as a JSON file download (shared with the pages)."""
    body = json.dumps(privacy.export_user_data(user), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{privacy.export_filename(user)}"')
    response.headers["Cache-Control"] = "no-store"
    return response



def account_or_404(user_id: int) -> User:
    """An account, for admins only."""
    allow(is_admin(current_user))
    return get_or_404(User, user_id)


@blp.route("/me/data", methods=["GET"])
@requires()
@blp.response(200, DataExportSchema)
@blp.errors(401)
def my_data():
    """Download everything spread holds about the caller, as a JSON file."""
    return export_response(current_user)


@blp.route("/me", methods=["DELETE"])
@requires()
@blp.arguments(DeleteOwnAccountSchema)
@blp.response(204)
@blp.errors(401, 422, describe={422: REFUSED})
def delete_me(data: dict):
    """Delete the caller's account (confirm with the password); personal data is erased."""
    user = current_user._get_current_object()
    privacy.check_password(user, data["password"])
    privacy.delete_account(user, user)
    db.session.commit()


@blp.route("/admin/users", methods=["GET"])
@requires(is_admin)
@blp.arguments(UserSearchSchema, location="query")
@blp.response(200, AccountPageSchema)
@blp.errors(401, 403, describe={403: "Admins only"})
def list_accounts(args: dict):
    """Accounts whose name or email contains every word of ``q``, newest first (admins)."""
    return paginate(privacy.user_query(args["q"]), args["page"], args["per_page"])


@blp.route("/admin/users/<int:user_id>", methods=["GET"])
@requires(is_admin)
@blp.response(200, AccountSchema)
@blp.errors(401, 403, 404, describe={403: "Admins only", 404: "No such account"})
def get_account(user_id: int):
    """One account (admins)."""
    return account_or_404(user_id)


@blp.route("/admin/users/<int:user_id>/data", methods=["GET"])
@requires(is_admin)
@blp.response(200, DataExportSchema)
@blp.errors(401, 403, 404, describe={403: "Admins only", 404: "No such account"})
def account_data(user_id: int):
    """Download everything spread holds about one person, on their request (admins)."""
    return export_response(account_or_404(user_id))


@blp.route("/admin/users/<int:user_id>", methods=["DELETE"])
@requires(is_admin)
@blp.arguments(DeleteAccountSchema)
@blp.response(204)
@blp.errors(401, 403, 404, 422, describe={403: "Admins only", 404: "No such account", 422: REFUSED})
def delete_account(data: dict, user_id: int):
    """Delete an account on the person's request, with the reason for the audit log (admins)."""
    user = account_or_404(user_id)
    privacy.delete_account(user, current_user, data["reason"])
    db.session.commit()


@blp.route("/admin/users/<int:user_id>/role", methods=["PUT"])
@requires(is_admin)
@blp.arguments(RoleInputSchema)
@blp.response(200, AccountSchema)
@blp.errors(401, 403, 404, 422, describe={403: "Admins only", 404: "No such account", 422: REFUSED})
def set_role(data: dict, user_id: int):
    """Change an account's role (admins); the last admin keeps theirs."""
    user = account_or_404(user_id)
    privacy.change_role(user, Role(data["role"]), current_user)
    db.session.commit()
    return user
