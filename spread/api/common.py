"""Helpers shared by the API views: the blueprint that documents the error answers, loading
objects, paged listings."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from spread.auth import allow, requires
from spread.extensions import db
from spread.schemas.base import BaseSchema
from spread.services import archiving


def get_or_404(model, object_id: int):
    """Return the row or answer 404."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


class ApiErrorSchema(BaseSchema):
    """The one error shape of the API."""

    code = fields.Integer()
    message = fields.String()
    errors = fields.Dict()


# What the standard error answers of an operation mean, unless it describes them itself.
STANDARD_ERRORS = {
    401: "Not logged in",
    403: "Not allowed for the caller",
    404: "No such object",
    409: "Changed by someone else, or no room left",
    422: "Invalid input",
    429: "Too many requests",
}


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose operations declare their error answers in one line."""

    def errors(self, *codes: int, describe: dict[int, str] | None = None):
        """Decorator: the operation may answer these error codes, in the API's error shape
        (``describe`` overrides the standard description of a code)."""
        describe = describe or {}

        def decorator(func):
            for code in codes:
                description = describe.get(code, STANDARD_ERRORS[code])
                func = self.alt_response(code, schema=ApiErrorSchema,
                                         description=description)(func)
            return func

        return decorator


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


def archive_routes(blp: ApiBlueprint, model, schema, can_edit, id_name: str, noun: str) -> None:
    """Add ``/<id_name>/archive`` and ``/<id_name>/restore`` to ``blp`` for rows of ``model``:
    callers for whom ``can_edit(user, row)`` holds hide or restore a row; answers ``schema``."""

    def change(object_id: int, archived: bool):
        row = get_or_404(model, object_id)
        allow(can_edit(current_user, row))
        archiving.set_archived(row, archived)
        db.session.commit()
        return row

    for action, archived in (("archive", True), ("restore", False)):
        def view(archived: bool = archived, **ids: int):
            return change(ids[id_name], archived)

        view.__name__ = action
        view.__doc__ = (f"Archive the {noun}: it is kept, but no longer listed or offered."
                        if archived else f"Restore an archived {noun}.")
        decorated = blp.errors(401, 403, 404, describe={403: f"Not yours to {action}"})(
            blp.response(200, schema)(requires()(view)))
        blp.route(f"/<int:{id_name}>/{action}", methods=["POST"])(decorated)
