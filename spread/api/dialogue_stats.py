"""API: the coordinators' view of a round's six-phase dialogues."""
from __future__ import annotations

from dataclasses import asdict

from flask_babel import get_locale

from spread.api.common import ApiBlueprint
from spread.api.rounds import coordinated_round
from spread.auth import is_coordinator, requires
from spread.schemas.dialogue_stats import RoundProgressSchema
from spread.services import dialogue_stats
from spread.services.dialogue_stats import ADOPTIONS, DialogueRow, RoundProgress

blp = ApiBlueprint("dialogue_stats", __name__, url_prefix="/api/v1",
                description="Progress of a round's dialogues")


def _pair(row: DialogueRow) -> dict:
    return {"dialogue_id": row.dialogue_id, "pair_id": row.pair_id,
            "taker": asdict(row.taker), "giver": asdict(row.giver)}


def progress_view(progress: RoundProgress) -> dict:
    """The progress as the plain mapping :class:`RoundProgressSchema` dumps."""
    adoption = progress.adoption
    return {
        "round_id": progress.round.id,
        "today": progress.today,
        "stall_days": progress.stall_days,
        "dialogues": {"total": progress.total, "started": progress.started,
                      "not_started": progress.not_started, "closed": progress.closed,
                      "stalled": len(progress.stalled)},
        "funnel": [{"phase": phase, "title": progress.phase_titles.get(phase),
                    "completed": count} for phase, count in progress.funnel.items()],
        "stalled": [{**_pair(row), "phases_completed": row.phases_completed,
                     "last_activity_at": row.last_activity_at,
                     "days_since_activity": row.days_since_activity}
                    for row in progress.stalled],
        "poor_fit_flags": [{**_pair(item.row), "id": item.flag.id, "side": item.flag.side,
                            "reason": item.flag.reason,
                            "raised_at": dialogue_stats.as_utc(item.flag.raised_at)}
                           for item in progress.flags],
        "satisfaction": [{"side": r.side, "responses": r.responses,
                          "distribution": [{"score": score, "count": count}
                                           for score, count in r.distribution.items()],
                          "would_recommend": r.would_recommend,
                          "would_recommend_share": r.recommend_share}
                         for r in progress.ratings.values()],
        "adoption": {"due": adoption.due, "reported": adoption.reported,
                     "outcomes": [{"outcome": outcome, "count": adoption.counts[outcome],
                                   "share": adoption.share(outcome)} for outcome in ADOPTIONS]},
    }


@blp.route("/rounds/<int:round_id>/progress", methods=["GET"])
@requires(is_coordinator)
@blp.response(200, RoundProgressSchema)
@blp.errors(401, 403, 404, describe={403: "Coordinators only", 404: "No such round"})
def round_progress(round_id: int):
    """How a round's dialogues progress: funnel, stalled, flags, ratings, adoption."""
    round_ = coordinated_round(round_id)
    return progress_view(dialogue_stats.round_progress(round_, locale=str(get_locale())))
