"""Pages: starting a pairing run, and following its progress to its result."""
from __future__ import annotations

import logging

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from spread import labels
from spread.auth import is_coordinator, requires
from spread.extensions import db
from spread.jobs import pairing as pairing_jobs
from spread.models import PairingRun
from spread.read_models.rounds import recent_runs, unpaired_of
from spread.schemas.rounds import RunRequestSchema
from spread.services import pairing_runs
from spread.web import bp
from spread.web.forms import submit
from spread.web.rounds.lookup import round_or_404

logger = logging.getLogger(__name__)


@bp.route("/rounds/<int:round_id>/run", methods=["GET", "POST"])
@requires(is_coordinator)
def run_pairing(round_id: int):
    """Choose a method and start a pairing run; it runs in the background."""
    round_ = round_or_404(round_id)

    def show(errors: dict, status: int):
        form = request.form if request.method == "POST" else MultiDict({"method": "optimal"})
        return render_template(
            "rounds/run.html", round=round_, form=form, errors=errors,
            runs=recent_runs(round_.id, 10), methods=labels.RUN_METHODS,
            status_labels=labels.RUN_STATUSES, method_names=labels.RUN_METHOD_NAMES,
            runnable=round_.state in pairing_runs.RUNNABLE_STATES), status

    if request.method != "POST":
        return show({}, 200)

    def started(run: PairingRun):
        _execute(run)
        return redirect(url_for("web.pairing_run", round_id=round_.id, run_id=run.id))

    return submit(RunRequestSchema(), lambda data: pairing_runs.start_run(
        round_, data["method"], current_user, data["only_unpaired"]), done=started, show=show)


def _execute(run: PairingRun) -> None:
    """Hand the run to the task queue, or run it right here when PAIRING_IN_BACKGROUND is off."""
    if current_app.config["PAIRING_IN_BACKGROUND"]:
        pairing_jobs.enqueue_run(run.id)
        return
    try:
        pairing_runs.execute_run(run)
    except Exception:  # noqa: BLE001  (recorded on the run, which the run page shows)
        logger.info("pairing run %s failed; its page shows the error", run.id)


@bp.route("/rounds/<int:round_id>/runs/<int:run_id>")
@requires(is_coordinator)
def pairing_run(round_id: int, run_id: int):
    """A run's progress (the page reloads itself while it runs) and its result."""
    round_ = round_or_404(round_id)
    run = db.session.get(PairingRun, run_id)
    if run is None or run.round_id != round_.id:
        abort(404)
    db.session.refresh(run)
    refresh = run.status == "running" and request.args.get("refresh") != "off"
    return render_template("rounds/run_status.html", round=round_, run=run,
                           unpaired=unpaired_of(run), refresh=refresh,
                           stage_labels=labels.RUN_STAGES, status_labels=labels.RUN_STATUSES,
                           methods=labels.RUN_METHODS)
