"""The coordinators' dashboard of a round: counts, who is left unpaired and why, fit scores."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from spread.extensions import db
from spread.models import Enrolment, Pair, PairingRun, PairStatus, Profile, Round
from spread.services.pairing_runs import UNPAIRED_REASONS

SIDES = ("giver", "taker")
HISTOGRAM_BINS = 10
SCORED_STATUSES = (PairStatus.PROPOSED.value, PairStatus.APPROVED.value)

# Geometry of the server-rendered histogram (SVG user units).
CHART_WIDTH, CHART_HEIGHT = 640, 260
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 44, 12, 16, 40


@dataclass
class Bin:
    """One bar of the fit-score histogram: scores in [low, high) (the last bin includes 1)."""

    low: float
    high: float
    count: int
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0

    @property
    def label(self) -> str:
        """The range as text, e.g. ``0.3–0.4``."""
        return f"{self.low:.1f}–{self.high:.1f}"


@dataclass
class UnpairedProfile:
    """A profile the latest pairing run left without a partner, and why."""

    profile: Profile
    reason: str

    @property
    def reason_text(self) -> str:
        """The reason in words (English source text; pages translate it)."""
        return UNPAIRED_REASONS.get(self.reason, self.reason)


@dataclass
class Dashboard:
    """Everything the dashboard shows about one round."""

    round: Round
    enrolments: dict[str, int]
    places: dict[str, int]
    pairs: dict[str, int]
    latest_run: PairingRun | None
    unpaired: list[UnpairedProfile]
    histogram: list[Bin]
    scored_pairs: int
    chart: dict = field(default_factory=dict)

    @property
    def state(self) -> str:
        """The round's state."""
        return self.round.state


def _enrolment_counts(round_id: int) -> tuple[dict[str, int], dict[str, int]]:
    rows = db.session.execute(
        select(Enrolment.side, func.count(Enrolment.id), func.coalesce(func.sum(
            Enrolment.capacity), 0), func.coalesce(func.sum(Enrolment.approved), 0))
        .where(Enrolment.round_id == round_id, Enrolment.withdrawn_at.is_(None))
        .group_by(Enrolment.side)).all()
    counts = dict.fromkeys(SIDES, 0)
    places = {"giver_capacity": 0, "giver_taken": 0}
    for side, count, capacity, approved in rows:
        counts[side] = count
        if side == "giver":
            places = {"giver_capacity": int(capacity), "giver_taken": int(approved)}
    return counts, places


def _pair_counts(round_id: int) -> dict[str, int]:
    counts = {status.value: 0 for status in PairStatus}
    counts.update(dict(db.session.execute(
        select(Pair.status, func.count(Pair.id)).where(Pair.round_id == round_id)
        .group_by(Pair.status)).tuples().all()))
    return counts


def latest_finished_run(round_id: int) -> PairingRun | None:
    """The round's most recent pairing run that finished successfully."""
    return db.session.scalar(
        select(PairingRun).where(PairingRun.round_id == round_id, PairingRun.status == "done")
        .order_by(PairingRun.finished_at.desc(), PairingRun.id.desc()).limit(1))


def _unpaired(round_id: int, run: PairingRun | None) -> list[UnpairedProfile]:
    """Profiles the run left unpaired that are still enrolled and still have no pair."""
    reasons = {int(k): v for k, v in ((run.summary or {}).get("unpaired") or {}).items()} \
        if run else {}
    if not reasons:
        return []
    enrolled = set(db.session.scalars(select(Enrolment.profile_id).where(
        Enrolment.round_id == round_id, Enrolment.withdrawn_at.is_(None),
        Enrolment.profile_id.in_(reasons))))
    paired: set[int] = set()
    for taker_id, giver_id in db.session.execute(select(Pair.taker_id, Pair.giver_id).where(
            Pair.round_id == round_id, Pair.status.in_(SCORED_STATUSES))):
        paired.update((taker_id, giver_id))
    wanted = [pid for pid in reasons if pid in enrolled and pid not in paired]
    profiles = {p.id: p for p in db.session.scalars(select(Profile).where(Profile.id.in_(wanted)))}
    return [UnpairedProfile(profiles[pid], reasons[pid])
            for pid in sorted(wanted, key=lambda i: (profiles[i].side, profiles[i].title.lower()))]


def score_histogram(scores: list[float], bins: int = HISTOGRAM_BINS) -> list[Bin]:
    """Count scores in equal bins over [0, 1]; scores outside are clamped into the end bins."""
    width = 1.0 / bins
    counts = [0] * bins
    for score in scores:
        index = min(max(int(score * bins + 1e-9), 0), bins - 1)
        counts[index] += 1
    return [Bin(round(i * width, 4), round((i + 1) * width, 4), c) for i, c in enumerate(counts)]


def chart_geometry(histogram: list[Bin]) -> dict:
    """Lay the bars out in SVG units; returns the plot box and the y-axis ticks."""
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    top = max((b.count for b in histogram), default=0) or 1
    step = plot_width / max(len(histogram), 1)
    for i, b in enumerate(histogram):
        b.width = round(step - 4, 2)
        b.x = round(CHART_LEFT + i * step + 2, 2)
        b.height = round(plot_height * b.count / top, 2)
        b.y = round(CHART_TOP + plot_height - b.height, 2)
    tick_values = sorted({0, top // 2, top}) if top > 1 else [0, 1]
    ticks = [{"value": v, "y": round(CHART_TOP + plot_height - plot_height * v / top, 2)}
             for v in tick_values]
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "left": CHART_LEFT,
            "top": CHART_TOP, "bottom": CHART_TOP + plot_height,
            "right": CHART_WIDTH - CHART_RIGHT, "ticks": ticks}


def round_dashboard(round_: Round) -> Dashboard:
    """Collect the dashboard of a round (read only)."""
    enrolments, places = _enrolment_counts(round_.id)
    run = latest_finished_run(round_.id)
    scores = [s for s in db.session.scalars(select(Pair.score).where(
        Pair.round_id == round_.id, Pair.status.in_(SCORED_STATUSES), Pair.score.is_not(None)))]
    histogram = score_histogram(scores)
    return Dashboard(round=round_, enrolments=enrolments, places=places,
                     pairs=_pair_counts(round_.id), latest_run=run,
                     unpaired=_unpaired(round_.id, run), histogram=histogram,
                     scored_pairs=len(scores), chart=chart_geometry(histogram))
