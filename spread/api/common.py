"""Helpers shared by the API views: loading objects and checking permissions."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from marshmallow import fields

from spread.extensions import db
from spread.schemas.base import BaseSchema


def get_or_404(model, object_id: int):
    """Return the row or answer 404."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def require(allowed: bool) -> None:
    """Answer 403 unless ``allowed``."""
    if not allowed:
        abort(403)


def require_login() -> None:
    """Answer 401 to anonymous callers."""
    if not current_user.is_authenticated:
        abort(401)


class ApiErrorSchema(BaseSchema):
    """The one error shape of the API."""

    code = fields.Integer()
    message = fields.String()
    errors = fields.Dict()


# The error answers most operations document with @blp.alt_response(code, **NOT_FOUND) etc.
NOT_LOGGED_IN = {"schema": ApiErrorSchema, "description": "Not logged in"}
FORBIDDEN = {"schema": ApiErrorSchema, "description": "Not allowed for the caller"}
NOT_FOUND = {"schema": ApiErrorSchema, "description": "No such object"}


def page_schema(item_schema: type[BaseSchema], name: str) -> type[BaseSchema]:
    """Build the envelope schema of a paged listing of ``item_schema``."""
    return type(
        name,
        (BaseSchema,),
        {
            "items": fields.List(fields.Nested(item_schema)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "pages": fields.Integer(),
        },
    )
