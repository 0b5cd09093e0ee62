"""Pages: the coordinators' view of a round's dialogues, and its CSV export."""
from __future__ import annotations

from flask import Response, abort, current_app, render_template, url_for
from flask_babel import format_percent, get_locale, to_user_timezone
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.routing import BuildError

from spread.auth import allow, requires
from spread.extensions import db
from spread.models import Round
from spread.services import dialogue_stats
from spread.services.csv_writer import write_csv
from spread.services.dialogue_stats import ADOPTIONS, SCORES, DialogueRow, RoundProgress
from spread.web import bp
from spread.web.charts import bar_chart, histogram

#: Where a stalled dialogue links to, best first: its workspace, else the pair's audit page.
LINK_TARGETS = (("web.dialogue", "dialogue_id"), ("web.pair_audit", "pair_id"))


def adoption_labels() -> dict[str, str]:
    """The translated names of the adoption outcomes."""
    return {
        "copied": _("Copied"),
        "adapted": _("Adapted"),
        "inspired": _("Inspired new development"),
        "not_adopted": _("Not adopted"),
    }


def _coordinated_round(round_id: int) -> Round:
    """Coordinators and admins only (403 otherwise); 404 for an unknown round."""
    allow(current_user.is_coordinator)
    return db.session.get(Round, round_id) or abort(404)


def _progress(round_id: int) -> RoundProgress:
    round_ = _coordinated_round(round_id)
    return dialogue_stats.round_progress(round_, locale=str(get_locale()))


def dialogue_link(row: DialogueRow) -> str | None:
    """The page to follow a stalled dialogue up on, if the app has one."""
    values = {"dialogue_id": row.dialogue_id, "pair_id": row.pair_id}
    for endpoint, argument in LINK_TARGETS:
        if endpoint in current_app.view_functions:
            try:
                return url_for(endpoint, **{argument: values[argument]})
            except BuildError:
                continue
    return None


def phase_label(progress: RoundProgress, phase: int) -> str:
    """``Phase 3: Understand`` when the guide names the phase, else ``Phase 3``.

    Guide titles read "Check — does spreading make sense?"; charts show the part before
    the dash.
    """
    title = (progress.phase_titles.get(phase) or "").split(" — ")[0].strip()
    if title:
        return _("Phase %(number)s: %(title)s", number=phase, title=title)
    return _("Phase %(number)s", number=phase)


def _share(part: int, whole: int) -> str:
    return format_percent(part / whole) if whole else "–"


def progress_charts(progress: RoundProgress) -> dict[str, Markup]:
    """The funnel, satisfaction (per side) and adoption charts of the page."""
    total = progress.total
    funnel_items = [(_("Dialogues"), total), (_("Started"), progress.started)] + [
        (phase_label(progress, phase), count) for phase, count in progress.funnel.items()]
    charts = {
        "funnel": bar_chart(
            funnel_items,
            title=_("Dialogues by completed phase"),
            description=_("Of %(total)s dialogues, %(started)s have started and %(done)s have "
                          "completed all phases.", total=total, started=progress.started,
                          done=progress.funnel[max(progress.funnel)]),
            label_header=_("Stage"), value_header=_("Dialogues"),
            value_labels=[f"{count} ({_share(count, total)})" for _, count in funnel_items],
            max_value=max(total, 1), chart_id="funnel"),
    }
    side_names = {"giver": _("Givers"), "taker": _("Takers")}
    for side, ratings in progress.ratings.items():
        charts[f"satisfaction_{side}"] = histogram(
            ratings.values, [score - 0.5 for score in SCORES] + [SCORES[-1] + 0.5],
            labels=[str(score) for score in SCORES],
            title=_("Satisfaction of %(side)s (1–5)", side=side_names[side]),
            description=_("%(responses)s answers; %(share)s would recommend the internship.",
                          responses=ratings.responses,
                          share=_share(ratings.would_recommend, ratings.responses)),
            bin_header=_("Satisfaction"), count_header=_("Answers"),
            width=320, height=180, fill="#a3191f" if side == "giver" else "#1d4f91",
            chart_id=f"satisfaction-{side}")
    adoption = progress.adoption
    names = adoption_labels()
    charts["adoption"] = bar_chart(
        [(names[outcome], adoption.counts[outcome]) for outcome in ADOPTIONS],
        title=_("Adoption at follow-up"),
        description=_("%(reported)s of %(due)s due follow-up reports are in.",
                      reported=adoption.reported, due=adoption.due),
        label_header=_("Outcome"), value_header=_("Reports"),
        value_labels=[f"{adoption.counts[o]} ({_share(adoption.counts[o], adoption.reported)})"
                      for o in ADOPTIONS],
        max_value=max(adoption.reported, 1), chart_id="adoption")
    return charts


@bp.route("/rounds/<int:round_id>/progress")
@requires()
def round_progress(round_id: int):
    """Show how the round's dialogues progress (coordinators and admins; 403 otherwise)."""
    progress = _progress(round_id)
    return render_template(
        "rounds/progress.html", progress=progress, round=progress.round,
        charts=progress_charts(progress), dialogue_link=dialogue_link,
        adoption_names=adoption_labels(), share=_share)


def _when(row: DialogueRow) -> str:
    return to_user_timezone(row.last_activity_at).strftime("%Y-%m-%d %H:%M")


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("yes") if value else _("no")


def progress_csv(progress: RoundProgress) -> str:
    """One row per dialogue of the round, for a spreadsheet."""
    header = [_("Pair"), _("Taker"), _("Taker organisation"), _("Giver"),
              _("Giver organisation"), _("Phases completed"), _("Last activity"), _("Stalled"),
              _("Open poor-fit flag"), _("Satisfaction (giver)"), _("Satisfaction (taker)"),
              _("Would recommend (giver)"), _("Would recommend (taker)"), _("Adoption"),
              _("Explanation")]
    names = adoption_labels()
    rows = [
        [row.pair_id, row.taker.title, row.taker.organisation, row.giver.title,
         row.giver.organisation, row.phase_count, _when(row), _yes_no(row.stalled),
         " | ".join(flag.reason for flag in row.open_flags),
         row.satisfaction["giver"], row.satisfaction["taker"],
         _yes_no(row.would_recommend["giver"]), _yes_no(row.would_recommend["taker"]),
         names.get(row.adoption, row.adoption or ""), row.explanation]
        for row in progress.rows
    ]
    return write_csv(rows, header)


@bp.route("/rounds/<int:round_id>/progress.csv")
@requires()
def round_progress_csv(round_id: int):
    """Download the round's dialogue progress as CSV (UTF-8 with BOM, ``;``-separated)."""
    progress = _progress(round_id)
    return Response(
        progress_csv(progress), mimetype="text/csv",
        headers={"Content-Disposition":
                 f'attachment; filename="round-{progress.round.id}-progress.csv"'})
