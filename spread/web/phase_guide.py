"""Pages: the phase guide of the six-phase dialogue, and publishing a new version (admins)."""
from __future__ import annotations

import json

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from spread import labels
from spread.auth import is_admin, requires
from spread.extensions import db
from spread.schemas.dialogues import GuideInputSchema
from spread.schemas.messages import translate_errors
from spread.services import phase_guides
from spread.web import bp
from spread.web.dialogues import localised
from spread.web.forms import commit_or_show, errors_of, flash_redirect


def _guide_json(phases: list) -> str:
    return json.dumps(phases, ensure_ascii=False, indent=2)


def _path_messages(messages, path: tuple = ()) -> list[str]:
    """Nested schema messages as readable lines: 'phases › 2 › title › en: message'."""
    if isinstance(messages, dict):
        lines: list[str] = []
        for key, value in messages.items():
            part = str(int(key) + 1) if str(key).isdigit() and path else str(key)
            lines.extend(_path_messages(value, path + (part,)))
        return lines
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        where = " › ".join(path)
        return [f"{where}: {translate_errors(m)}" if where else translate_errors(m)
                for m in messages]
    if isinstance(messages, list):
        return [line for m in messages for line in _path_messages(m, path)]
    return [f"{' › '.join(path)}: {translate_errors(str(messages))}"]


def _guide_errors(error: Exception) -> tuple[dict, int]:
    """A refused guide's errors, each nested message with the path to its place in the JSON."""
    if not isinstance(error, ValidationError):
        return errors_of(error)  # another admin published the same version at the same moment
    messages = error.messages if isinstance(error.messages, dict) else {
        "_schema": error.messages}
    errors = {"phases": _path_messages(messages.pop("phases", {}), ("phases",)),
              **{k: _path_messages(v) for k, v in messages.items()}}
    return {k: v for k, v in errors.items() if v}, 422


def _show(errors: dict, status: int):
    """The guide, its versions and the form to publish a new one."""
    versions = phase_guides.guide_versions()
    db.session.commit()  # guide_versions() may have stored the first version
    current = versions[0]
    form = request.form if request.method == "POST" else MultiDict(
        {"phases": _guide_json(current.phases), "note": ""})
    return render_template("dialogues/phase_guide.html", current=current, versions=versions,
                           form=form, errors=errors, t=localised,
                           cocreation_labels=labels.COCREATION_MODES), status


@bp.route("/admin/phase-guide", methods=["GET", "POST"])
@requires(is_admin)
def phase_guide():
    """Show the phase guide and its versions; admins publish a new version by editing JSON."""
    if request.method != "POST":
        return _show({}, 200)
    note = request.form.get("note", "").strip() or None
    try:
        parsed = json.loads(request.form.get("phases", ""))
    except ValueError as error:
        return _show({"phases": [_("This is not valid JSON: %(error)s", error=str(error))]}, 422)
    if isinstance(parsed, dict) and "phases" in parsed:
        parsed = parsed["phases"]

    def publish():
        data = GuideInputSchema().load({"phases": parsed, "note": note})
        return phase_guides.publish_guide(data["phases"], current_user, data["note"])

    return commit_or_show(publish, show=_show, explain=_guide_errors, done=lambda guide:
                          flash_redirect(_("Version %(version)s of the phase guide is "
                                           "published.", version=guide.version),
                                         url_for("web.phase_guide")))
