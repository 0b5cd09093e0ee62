"""API: a round's registrations imported from a spreadsheet, its pairs exported, its dashboard."""
from __future__ import annotations

from flask import Response, request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from spread.api.common import ApiBlueprint
from spread.api.rounds import coordinated_round
from spread.auth import is_coordinator, requires
from spread.extensions import db
from spread.models import Round
from spread.schemas.round_reports import (
    DashboardSchema,
    ImportFileSchema,
    ImportQuerySchema,
    ImportResultSchema,
)
from spread.services import dashboard, round_csv

blp = ApiBlueprint("round_reports", __name__, url_prefix="/api/v1",
                description="Round registrations import, pairs export and dashboard")


# Bad rows answer the import result; bad parameters or unknown fields the one error shape.
IMPORT_REFUSED = {"anyOf": [{"$ref": "#/components/schemas/ImportResult"},
                            {"$ref": "#/components/schemas/ApiError"}]}


def uploaded_bytes(files: dict) -> bytes:
    """The spreadsheet: the multipart ``file`` field, or else the raw (text/csv) body."""
    unknown = [name for name in (*request.form, *request.files) if name != "file"]
    if unknown:  # like every other input of the API, unknown fields are refused (422)
        raise ValidationError({name: ["Unknown field."] for name in unknown})
    upload = files.get("file")
    if upload is not None:
        return upload.read()
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return b""
    return request.get_data(cache=False)


def import_result(preview: round_csv.ImportPreview, code: int = 200) -> dict:
    """The preview or import outcome in the shape of :class:`ImportResultSchema`."""
    if code == 422:
        message = _("Nothing was imported: correct the rows below and try again.")
    elif preview.dry_run:
        message = _("Preview only: nothing was saved.")
    else:
        message = _("The registrations were imported.")
    return {
        "code": code, "message": message, "dry_run": preview.dry_run,
        "rows": preview.rows, "notes": preview.notes,
        "errors": [{"line": e.line, "field": e.field, "message": e.message}
                   for e in preview.errors],
        "created": preview.created, "enrolled": preview.enrolled,
    }


@blp.route("/rounds/<int:round_id>/import", methods=["POST"])
@requires(is_coordinator)
@blp.arguments(ImportQuerySchema, location="query")
@blp.arguments(ImportFileSchema, location="files")
@blp.response(200, ImportResultSchema)
@blp.alt_response(422, schema=IMPORT_REFUSED,
                  description="Some rows are bad (nothing was imported), or the query is invalid")
@blp.errors(401, 403, 404)
def import_registrations(args: dict, files: dict, round_id: int):
    """Preview (``dry_run=true``, the default) or import registrations from a CSV file.

    Columns: email, side, title, and to create a profile organisation and description; optional
    sectors, target_groups (``|``-separated codes or labels), region, level, capacity,
    available_from, available_until. All rows are imported or none (422 with the errors).
    """
    round_ = coordinated_round(round_id)
    raw = uploaded_bytes(files)
    if args["dry_run"]:
        return import_result(round_csv.preview_registrations(round_, raw))
    try:
        preview = round_csv.import_registrations(round_, raw, current_user)
    except round_csv.ImportRejected as rejected:
        db.session.rollback()
        return import_result(rejected.preview, 422), 422
    db.session.commit()
    return import_result(preview)


def csv_response(round_: Round) -> Response:
    """The CSV export of a round's pairs as a download (shared with the page)."""
    body = round_csv.export_pairs(round_)
    response = Response(body.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = \
        f'attachment; filename="round-{round_.id}-pairs.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/rounds/<int:round_id>/export.csv", methods=["GET"])
@requires(is_coordinator)
@blp.response(200, content_type="text/csv",
              description="UTF-8 with BOM, `;`-separated, decimal commas")
@blp.errors(401, 403, 404)
def export_pairs(round_id: int):
    """The round's pairs and their progress as CSV for Excel."""
    return csv_response(coordinated_round(round_id))


@blp.route("/rounds/<int:round_id>/dashboard", methods=["GET"])
@requires(is_coordinator)
@blp.response(200, DashboardSchema)
@blp.errors(401, 403, 404)
def round_dashboard(round_id: int):
    """Counts of enrolments and pairs, unpaired profiles and why, fit-score histogram."""
    return dashboard.round_dashboard(coordinated_round(round_id))
