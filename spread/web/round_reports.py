"""Pages for coordinators: import registrations from a spreadsheet, export pairs, dashboard."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from spread.api.round_reports import csv_response
from spread.auth import allow, requires
from spread.extensions import db
from spread.jobs import imports as import_jobs
from spread.models import Round
from spread.services import dashboard, round_csv
from spread.web import bp


def _coordinated_round(round_id: int) -> Round:
    allow(current_user.is_coordinator)
    return db.session.get(Round, round_id) or abort(404)


@bp.route("/rounds/<int:round_id>/import", methods=["GET", "POST"])
@requires()
def round_import(round_id: int):
    """Upload a registrations CSV and see the preview; confirm to import every row or none.

    The confirm form re-posts the decoded file text (``content``), which is checked again in
    full before anything is written.
    """
    round_ = _coordinated_round(round_id)
    if request.method == "GET":
        return render_template("rounds/reports/import.html", round=round_, preview=None,
                               columns=round_csv.COLUMNS)
    if request.form.get("confirm"):
        content = request.form.get("content", "")
        if import_jobs.runs_in_background(content):
            import_jobs.import_registrations(round_.id, current_user.id, content)
            flash(_("The file is large, so it is imported in the background: you get a mail "
                    "when it is done."), "info")
            return redirect(url_for("web.round_dashboard", round_id=round_.id))
        try:
            preview = round_csv.import_registrations(round_, content, current_user)
        except round_csv.ImportRejected as rejected:
            db.session.rollback()
            return render_template("rounds/reports/import.html", round=round_,
                                   preview=rejected.preview, columns=round_csv.COLUMNS,
                                   rejected=True), 422
        db.session.commit()
        flash(_("Imported %(enrolled)s registrations; %(created)s new profiles were created.",
                enrolled=preview.enrolled, created=preview.created), "success")
        return redirect(url_for("web.round_dashboard", round_id=round_.id))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        preview = round_csv.ImportPreview(errors=[round_csv.RowError(
            None, _("Choose a CSV file to upload."), "file")])
    else:
        preview = round_csv.preview_registrations(round_, upload.read())
    status = 422 if preview.errors else 200
    return render_template("rounds/reports/import.html", round=round_, preview=preview,
                           columns=round_csv.COLUMNS), status


@bp.route("/rounds/<int:round_id>/export.csv")
@requires()
def round_export(round_id: int):
    """Download the round's pairs as CSV for Excel."""
    return csv_response(_coordinated_round(round_id))


@bp.route("/rounds/<int:round_id>/dashboard")
@requires()
def round_dashboard(round_id: int):
    """The round at a glance: enrolments, pairs, who is unpaired and why, fit scores."""
    round_ = _coordinated_round(round_id)
    return render_template("rounds/reports/dashboard.html", round=round_,
                           board=dashboard.round_dashboard(round_))
