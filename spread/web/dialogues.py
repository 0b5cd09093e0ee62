"""Pages: the six-phase spreading dialogue of a pairing, and the phase guide for admins.

The pages call the same services and schemas as the JSON API in :mod:`spread.api.dialogues`.
Views stay thin: a schema validates the form, a service does the work, the view commits and
redirects (POST → redirect → GET) with a flash message. When a schema or a service refuses,
the workspace is shown again with the messages and the user's input: 422 for invalid input,
409 when the data changed under the user.

Who may do what: the pairing's participants (the owners of its two profiles), coordinators
and admins see the workspace; only participants write, each for their own side; coordinators
close a pairing for re-pairing; admins publish new versions of the phase guide.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from spread import labels
from spread.auth import allow, requires
from spread.extensions import db
from spread.models import Dialogue, LogEntry, NextAction
from spread.models.dialogue import PHASE_COUNT
from spread.read_models import dialogue_workspace
from spread.read_models.dialogue_access import own_side, phase_number, readable_dialogue
from spread.schemas.dialogues import (
    EntryInputSchema,
    EntryUpdateSchema,
    EvaluationInputSchema,
    FollowUpInputSchema,
    NextActionUpdateSchema,
    ReasonSchema,
    TickInputSchema,
    WorkAheadSchema,
)
from spread.schemas.messages import N_, translate_errors
from spread.services import dialogues
from spread.web import bp
from spread.web.forms import (
    REFUSALS,
    commit_or_show,
    errors_of,
    flash_redirect,
    flatten_errors,
    load_form,
)

NEXT_ACTION_ROWS = 3

# The services' messages, so that pybabel extracts them (numbers become {n} when translated).
SERVICE_MESSAGES = [
    N_("This dialogue is closed."),
    N_("This dialogue is closed already."),
    N_("Choose a phase from {n} to {n}."),
    N_("Phase {n} is locked: both sides must mark phase {n} done first, or choose to work "
       "ahead."),
    N_("The due date is in the past."),
    N_("A poor fit can be flagged once both sides have completed phase {n}."),
    N_("Say why the pairing does not work."),
    N_("Your side has flagged this pairing already."),
    N_("Give a reason for closing the pairing."),
    N_("The evaluation is not open yet: it opens when both sides have completed phase {n} or "
       "the round is closed."),
    N_("Say what became of the innovation."),
    N_("Explain why the innovation was not adopted."),
    N_("Only the giver reports on the original."),
    N_("Say whether you improved your own solution."),
    N_("Only the taker reports on adoption."),
    N_("Write a note: what you did, learned or decided."),
    N_("Give an http:// or https:// address."),
    N_("Give between {n} and {n} items."),
    N_("Give exactly {n} phases."),
    N_("Phase {n} is already marked done by the giver."),
    N_("Phase {n} is already marked done by the taker."),
    N_("Phase {n} has {n} actions for the giver: use {n} to {n}."),
    N_("Phase {n} has {n} actions for the taker: use {n} to {n}."),
    N_("The giver has evaluated this internship already."),
    N_("The taker has evaluated this internship already."),
    N_("The follow-up is not open yet: it opens on {n}-{n}-{n}."),
    N_("The giver has reported the follow-up already."),
    N_("The taker has reported the follow-up already."),
]

# ---------------------------------------------------------------- helpers

def localised(text: dict | str | None) -> str:
    """The viewer's language of a {da, en} text from the guide (English as a fallback)."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    return text.get(str(get_locale())) or text.get("en") or next(iter(text.values()), "")


def _workspace_url(dialogue: Dialogue, anchor: str | None = None) -> str:
    return url_for("web.dialogue", dialogue_id=dialogue.id, _anchor=anchor)


def _render_workspace(dialogue: Dialogue, failed: str | None = None, errors: dict | None = None,
                      status: int = 200, form: MultiDict | None = None):
    """The workspace; ``failed`` names the form whose ``errors`` and input are shown again."""
    db.session.expire_all()
    dialogue = db.session.get(Dialogue, dialogue.id)
    view = dialogue_workspace.workspace(dialogue, current_user)
    viewer_side = view["viewer_side"]
    open_phases = [p["number"] for p in view["phases"] if p["state"] != "locked"]
    entry_form = form if failed == "entry" and form is not None else MultiDict(
        {"phase": str(view["current_phase"] or PHASE_COUNT)})
    return render_template(
        "dialogues/workspace.html",
        dialogue=dialogue, ws=view, viewer_side=viewer_side,
        is_participant=viewer_side is not None,
        can_close=current_user.is_coordinator and dialogue.closed_at is None,
        active=dialogue.closed_at is None,
        open_phases=open_phases,
        flag_open=dialogues.is_complete(dialogue, dialogues.FLAG_AFTER_PHASE),
        own_flagged=any(f.side == viewer_side and f.resolved_at is None
                        for f in view["poor_fit_flags"]),
        failed=failed, errors=errors or {}, form=form if form is not None else MultiDict(),
        entry_form=entry_form, next_action_rows=range(NEXT_ACTION_ROWS),
        t=localised, cocreation_labels=labels.COCREATION_MODES, state_labels=labels.PHASE_STATES,
        adoption_labels=labels.ADOPTIONS, satisfaction_labels=labels.SATISFACTION,
        phase_count=PHASE_COUNT,
    ), status


def _act(dialogue: Dialogue, form_name: str, action, message: str, anchor: str | None = None):
    """Call ``action()``, commit, flash and redirect; or show the workspace with the errors."""
    return commit_or_show(
        action, done=lambda _result: flash_redirect(message, _workspace_url(dialogue, anchor)),
        show=lambda errors, status: _render_workspace(dialogue, form_name, errors, status,
                                                      request.form))


def _invalid(dialogue: Dialogue, form_name: str, errors: dict):
    return _render_workspace(dialogue, form_name, errors, 422, request.form)


# ---------------------------------------------------------------- the workspace

@bp.route("/dialogues/<int:dialogue_id>")
@requires()
def dialogue(dialogue_id: int):
    """A pairing's workspace: both sides, the six phases, the log, evaluation and follow-up."""
    return _render_workspace(readable_dialogue(dialogue_id))


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _entry_input(form: MultiDict) -> tuple[dict, list[int]]:
    """The entry form as schema input; next-action rows left blank are left out.

    Returns the input and, for each next action in it, the form row it came from.
    """
    data: dict = {"note": form.get("note", ""), "decisions": form.get("decisions", ""),
                  "links": _lines(form.get("links"))}
    if form.get("phase", "").strip():
        data["phase"] = form.get("phase", "").strip()
    actions, rows = [], []
    for row in range(NEXT_ACTION_ROWS):
        values = {key: form.get(f"na-{row}-{key}", "").strip()
                  for key in ("description", "owner", "due")}
        if not any(values.values()):
            continue
        actions.append({key: value for key, value in values.items() if value})
        rows.append(row)
    data["next_actions"] = actions
    return data, rows


def _entry_errors(messages: dict, rows: list[int]) -> dict:
    """Schema or service errors of an entry, with next actions' errors on their form row."""
    messages = dict(messages)
    errors: dict = {}
    nested = messages.pop("next_actions", None)
    if isinstance(nested, dict):
        for index, fields in nested.items():
            row = rows[int(index)] if int(index) < len(rows) else 0
            if isinstance(fields, dict):
                for field, field_messages in fields.items():
                    errors[f"na-{row}-{field}"] = translate_errors(field_messages)
            else:
                errors[f"na-{row}-description"] = translate_errors(fields)
    elif nested:
        errors["next_actions"] = translate_errors(nested)
    errors.update(translate_errors(flatten_errors(messages)))
    return errors


@bp.route("/dialogues/<int:dialogue_id>/entries", methods=["POST"])
@requires()
def dialogue_add_entry(dialogue_id: int):
    """Log what the user's side did at an open phase: note, decisions, links, next actions."""
    dialogue, side = own_side(dialogue_id)
    data, rows = _entry_input(request.form)
    try:
        data = EntryInputSchema().load(data)
        entry = dialogues.create_entry(dialogue, side, current_user, data)
    except ValidationError as error:
        db.session.rollback()
        messages = error.messages if isinstance(error.messages, dict) else {
            "_schema": error.messages}
        return _invalid(dialogue, "entry", _entry_errors(messages, rows))
    except REFUSALS as error:
        db.session.rollback()
        errors, status = errors_of(error)
        return _render_workspace(dialogue, "entry", errors, status, request.form)
    db.session.commit()
    flash(_("Your entry was added to phase %(phase)s.", phase=entry.phase), "success")
    return redirect(_workspace_url(dialogue, f"entry-{entry.id}"))


def _entry_form(entry: LogEntry) -> MultiDict:
    return MultiDict({"note": entry.note, "decisions": entry.decisions or "",
                      "links": "\n".join(entry.links or [])})


@bp.route("/dialogues/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@requires()
def dialogue_edit_entry(entry_id: int):
    """Edit an entry of the user's own; the earlier text is kept and shown."""
    entry = db.session.get(LogEntry, entry_id) or abort(404)
    dialogue, _side = own_side(entry.dialogue_id)
    allow(entry.author_id == current_user.id)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        data = {"note": request.form.get("note", ""),
                "decisions": request.form.get("decisions", ""),
                "links": _lines(request.form.get("links"))}
        try:
            data = EntryUpdateSchema().load(data)
            dialogues.update_entry(entry, current_user, data)
        except REFUSALS as error:
            db.session.rollback()
            errors, status = errors_of(error)
        else:
            db.session.commit()
            flash(_("Your entry was saved; the earlier version is kept."), "success")
            return redirect(_workspace_url(dialogue, f"entry-{entry.id}"))
        db.session.refresh(entry)
    form = request.form if request.method == "POST" else _entry_form(entry)
    return render_template("dialogues/edit_entry.html", dialogue=dialogue, entry=entry,
                           view=dialogue_workspace.entry_view(entry), form=form, errors=errors,
                           phase=dialogues.phase_definition(dialogue, entry.phase),
                           t=localised), status


@bp.route("/dialogues/next-actions/<int:action_id>", methods=["POST"])
@requires()
def dialogue_next_action(action_id: int):
    """Mark a next action done, or not done again (either side of the pairing)."""
    action = db.session.get(NextAction, action_id) or abort(404)
    dialogue, _side = own_side(action.entry.dialogue_id)
    data, errors = load_form(NextActionUpdateSchema(), request.form)
    if data is None:
        return _invalid(dialogue, "next-action", errors)
    message = _("The next action is done.") if data["done"] else _(
        "The next action is open again.")
    return _act(dialogue, "next-action",
                lambda: dialogues.set_next_action_done(action, data["done"]),
                message, f"entry-{action.entry_id}")


@bp.route("/dialogues/<int:dialogue_id>/phases/<int:phase>/ticks", methods=["POST"])
@requires()
def dialogue_tick(dialogue_id: int, phase: int):
    """Save the user's side's checklist of a phase: tick or untick its recommended actions."""
    dialogue, side = own_side(dialogue_id)
    phase = phase_number(phase)
    chosen = set(request.form.getlist("done"))
    count = len(dialogues.phase_definition(dialogue, phase)[f"{side}_actions"])
    schema = TickInputSchema()
    try:
        ticks = [schema.load({"action": index, "done": str(index) in chosen})
                 for index in range(count)]
        unknown = chosen - {str(index) for index in range(count)}
        if unknown:
            # An action the guide does not have: let the service say which ones exist.
            bad = min(unknown)
            ticks.append(schema.load({"action": bad if bad.isdigit() else -1, "done": True}))
    except ValidationError as error:
        return _invalid(dialogue, f"ticks-{phase}", errors_of(error)[0])
    current = {(a["index"], a["done"]) for a in
               dialogue_workspace.workspace(dialogue, current_user)["phases"][phase - 1][f"{side}_actions"]}

    def action():
        for tick in ticks:
            if (tick["action"], tick["done"]) not in current:
                dialogues.tick(dialogue, side, phase, tick["action"], tick["done"], current_user)

    return _act(dialogue, f"ticks-{phase}", action,
                _("Your checklist for phase %(phase)s was saved.", phase=phase), f"phase-{phase}")


@bp.route("/dialogues/<int:dialogue_id>/phases/<int:phase>/done", methods=["POST"])
@requires()
def dialogue_mark_done(dialogue_id: int, phase: int):
    """Mark a phase done for the user's side; it is complete when both sides have."""
    dialogue, side = own_side(dialogue_id)
    phase = phase_number(phase)
    return _act(dialogue, f"done-{phase}",
                lambda: dialogues.mark_done(dialogue, side, phase, current_user),
                _("Phase %(phase)s is marked done for your side.", phase=phase), f"phase-{phase}")


@bp.route("/dialogues/<int:dialogue_id>/work-ahead", methods=["POST"])
@requires()
def dialogue_work_ahead(dialogue_id: int):
    """Open every phase at once, or go back to one phase at a time."""
    dialogue, _side = own_side(dialogue_id)
    data, errors = load_form(WorkAheadSchema(), request.form)
    if data is None:
        return _invalid(dialogue, "work-ahead", errors)
    message = _("All phases are open: you can work ahead.") if data["enabled"] else _(
        "You work through the phases one at a time again.")
    return _act(dialogue, "work-ahead", lambda: dialogues.set_work_ahead(dialogue, data["enabled"]),
                message, "phases")


@bp.route("/dialogues/<int:dialogue_id>/poor-fit", methods=["POST"])
@requires()
def dialogue_poor_fit(dialogue_id: int):
    """Flag the pairing as a poor fit (after phase 2); the coordinators are emailed."""
    dialogue, side = own_side(dialogue_id)
    data, errors = load_form(ReasonSchema(), request.form)
    if data is None:
        return _invalid(dialogue, "poor-fit", errors)
    return _act(dialogue, "poor-fit",
                lambda: dialogues.flag_poor_fit(dialogue, side, current_user, data["reason"]),
                _("The coordinators have been told that the pairing does not work."), "poor-fit")


@bp.route("/dialogues/<int:dialogue_id>/close", methods=["POST"])
@requires()
def dialogue_close(dialogue_id: int):
    """Close a pairing that does not work (coordinators): the pair is closed, places freed."""
    dialogue = readable_dialogue(dialogue_id)
    allow(current_user.is_coordinator)
    data, errors = load_form(ReasonSchema(), request.form)
    if data is None:
        return _invalid(dialogue, "close", errors)
    return _act(dialogue, "close",
                lambda: dialogues.close_for_repairing(dialogue, current_user, data["reason"]),
                _("The pairing is closed; its profiles can be paired again."))


@bp.route("/dialogues/<int:dialogue_id>/evaluation", methods=["POST"])
@requires()
def dialogue_evaluate(dialogue_id: int):
    """Rate the internship for the user's side, once."""
    dialogue, side = own_side(dialogue_id)
    data, errors = load_form(EvaluationInputSchema(), request.form)
    if data is None:
        return _invalid(dialogue, "evaluation", errors)
    return _act(dialogue, "evaluation",
                lambda: dialogues.evaluate(dialogue, side, current_user, data),
                _("Thank you: your evaluation was saved."), "evaluation")


@bp.route("/dialogues/<int:dialogue_id>/follow-up", methods=["POST"])
@requires()
def dialogue_follow_up(dialogue_id: int):
    """Report the follow-up for the user's side, once, on or after its date."""
    dialogue, side = own_side(dialogue_id)
    data, errors = load_form(FollowUpInputSchema(), request.form)
    if data is None:
        return _invalid(dialogue, "follow-up", errors)
    return _act(dialogue, "follow-up",
                lambda: dialogues.follow_up(dialogue, side, current_user, data),
                _("Thank you: your follow-up report was saved."), "follow-up")
