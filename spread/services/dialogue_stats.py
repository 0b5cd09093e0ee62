"""What coordinators see of a round's dialogues: funnel, stalls, flags, ratings, adoption.

Pure queries, no writes. A phase counts as completed when both the giver and the taker have
marked it done; a dialogue is *started* once either side has marked a phase, ticked an action
or written a log entry; it is *stalled* when it is still open and nothing has happened in it for
``DIALOGUE_STALL_DAYS`` days (see spread/config.py) although its phases are not all done
(the same rule as the stall reminders of :mod:`spread.services.reminders`).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from spread.extensions import db
from spread.models import (
    ActionTick,
    Adoption,
    Dialogue,
    Evaluation,
    FollowUp,
    LogEntry,
    Pair,
    PhaseGuide,
    PhaseMark,
    PoorFitFlag,
    Profile,
    Round,
)
from spread.models.dialogue import PHASE_COUNT

SIDES = ("giver", "taker")
SCORES = (1, 2, 3, 4, 5)
ADOPTIONS = tuple(a.value for a in Adoption)


@dataclass
class Party:
    """One side of a pair as coordinators see it."""

    profile_id: int
    title: str
    organisation: str


@dataclass
class DialogueRow:
    """One dialogue of the round with everything the progress page and the CSV show."""

    dialogue_id: int
    pair_id: int
    taker: Party
    giver: Party
    phases_completed: list[int]
    last_activity_at: datetime
    days_since_activity: int
    closed: bool
    started: bool
    stalled: bool
    open_flags: list[PoorFitFlag] = field(default_factory=list)
    satisfaction: dict[str, int | None] = field(default_factory=dict)
    would_recommend: dict[str, bool | None] = field(default_factory=dict)
    adoption: str | None = None
    explanation: str = ""

    @property
    def phase_count(self) -> int:
        """How many of the six phases both sides have marked done."""
        return len(self.phases_completed)


@dataclass
class FlagRow:
    """An open poor-fit flag with the pair it is about."""

    flag: PoorFitFlag
    row: DialogueRow


@dataclass
class SideRatings:
    """One side's ratings: how many gave each score, how many would recommend."""

    side: str
    distribution: dict[int, int]
    responses: int
    would_recommend: int

    @property
    def recommend_share(self) -> float | None:
        """Share of respondents who would recommend the internship (None without answers)."""
        return self.would_recommend / self.responses if self.responses else None

    @property
    def values(self) -> list[int]:
        """Every score given, for a histogram."""
        return [score for score, n in self.distribution.items() for _ in range(n)]


@dataclass
class AdoptionOutcomes:
    """The takers' follow-up reports: what became of the innovation."""

    counts: dict[str, int]
    reported: int
    due: int

    def share(self, outcome: str) -> float | None:
        """Share of reports with ``outcome`` (None while nobody has reported)."""
        return self.counts[outcome] / self.reported if self.reported else None


@dataclass
class RoundProgress:
    """The whole picture of a round's dialogues on one day."""

    round: Round
    today: date
    stall_days: int
    rows: list[DialogueRow]
    funnel: dict[int, int]
    flags: list[FlagRow]
    ratings: dict[str, SideRatings]
    adoption: AdoptionOutcomes
    phase_titles: dict[int, str]

    @property
    def total(self) -> int:
        """Number of dialogues in the round."""
        return len(self.rows)

    @property
    def started(self) -> int:
        """Dialogues where anything has been done."""
        return sum(1 for row in self.rows if row.started)

    @property
    def not_started(self) -> int:
        """Dialogues where nothing has been done yet."""
        return self.total - self.started

    @property
    def closed(self) -> int:
        """Dialogues that are closed."""
        return sum(1 for row in self.rows if row.closed)

    @property
    def stalled(self) -> list[DialogueRow]:
        """Open dialogues without activity for ``stall_days``, longest silence first."""
        return sorted((row for row in self.rows if row.stalled),
                      key=lambda row: (-row.days_since_activity, row.pair_id))


def stall_days() -> int:
    """Days without activity after which an open dialogue counts as stalled."""
    return int(current_app.config["DIALOGUE_STALL_DAYS"])


def utc_today() -> date:
    """Today's date in UTC, the calendar the activity times are compared in."""
    return datetime.now(UTC).date()


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def phase_titles(guide: PhaseGuide | None, locale: str = "en") -> dict[int, str]:
    """Phase titles from a guide version, in ``locale`` where the guide has it.

    Tolerates the shapes a guide may take: a list of phases whose ``title`` is a string or a
    mapping of language codes to strings. Phases without a title are left out.
    """
    titles: dict[int, str] = {}
    phases = guide.phases if guide is not None and isinstance(guide.phases, list) else []
    for index, phase in enumerate(phases[:PHASE_COUNT], start=1):
        if not isinstance(phase, dict):
            continue
        number = phase.get("number", index)
        title = phase.get("title")
        if isinstance(title, dict):
            title = title.get(locale) or title.get("en") or next(iter(title.values()), None)
        if isinstance(title, str) and title.strip() and isinstance(number, int):
            titles[number] = title.strip()
    return titles


def _party(profile: Profile) -> Party:
    organisation = profile.organisation.name if profile.organisation is not None else ""
    return Party(profile_id=profile.id, title=profile.title, organisation=organisation)


def _dialogues(round_id: int) -> list[Dialogue]:
    query = (
        select(Dialogue)
        .join(Pair, Dialogue.pair_id == Pair.id)
        .where(Pair.round_id == round_id)
        .options(
            joinedload(Dialogue.pair).joinedload(Pair.taker).joinedload(Profile.organisation),
            joinedload(Dialogue.pair).joinedload(Pair.giver).joinedload(Profile.organisation),
        )
        .order_by(Pair.id)
    )
    return list(db.session.scalars(query).unique())


def _completed_phases(ids: list[int]) -> dict[int, list[int]]:
    query = (
        select(PhaseMark.dialogue_id, PhaseMark.phase)
        .where(PhaseMark.dialogue_id.in_(ids), PhaseMark.side.in_(SIDES))
        .group_by(PhaseMark.dialogue_id, PhaseMark.phase)
        .having(func.count(func.distinct(PhaseMark.side)) == len(SIDES))
        .order_by(PhaseMark.dialogue_id, PhaseMark.phase)
    )
    completed: dict[int, list[int]] = defaultdict(list)
    for dialogue_id, phase in db.session.execute(query):
        completed[dialogue_id].append(phase)
    return completed


def _started(ids: list[int]) -> set[int]:
    started: set[int] = set()
    for model in (PhaseMark, ActionTick, LogEntry):
        started.update(db.session.scalars(
            select(model.dialogue_id).where(model.dialogue_id.in_(ids)).distinct()))
    return started


def _related(ids: list[int]) -> tuple[dict, dict, dict]:
    """The open poor-fit flags, the evaluations by side and the takers' follow-up reports of
    these dialogues, by dialogue id (three queries)."""
    flags_by_dialogue: dict[int, list[PoorFitFlag]] = defaultdict(list)
    for flag in db.session.scalars(
        select(PoorFitFlag)
        .where(PoorFitFlag.dialogue_id.in_(ids), PoorFitFlag.resolved_at.is_(None))
        .order_by(PoorFitFlag.raised_at, PoorFitFlag.id)
    ):
        flags_by_dialogue[flag.dialogue_id].append(flag)

    evaluations: dict[int, dict[str, Evaluation]] = defaultdict(dict)
    for evaluation in db.session.scalars(
        select(Evaluation).where(Evaluation.dialogue_id.in_(ids))
    ):
        evaluations[evaluation.dialogue_id][evaluation.side] = evaluation

    taker_reports: dict[int, FollowUp] = {
        report.dialogue_id: report
        for report in db.session.scalars(
            select(FollowUp).where(FollowUp.dialogue_id.in_(ids), FollowUp.side == "taker")
        )
    }
    return flags_by_dialogue, evaluations, taker_reports


def round_progress(round_: Round, today: date | None = None, locale: str = "en",
                   stall_after: int | None = None) -> RoundProgress:
    """Collect the progress of every dialogue of ``round_`` as of ``today``."""
    today = today or utc_today()
    limit = stall_days() if stall_after is None else stall_after
    dialogues = _dialogues(round_.id)
    ids = [d.id for d in dialogues]
    completed = _completed_phases(ids)
    started = _started(ids)

    flags_by_dialogue, evaluations, taker_reports = _related(ids)

    rows: list[DialogueRow] = []
    for dialogue in dialogues:
        last = as_utc(dialogue.last_activity_at)
        days = max((today - last.date()).days, 0)
        closed = dialogue.closed_at is not None
        rated = evaluations.get(dialogue.id, {})
        report = taker_reports.get(dialogue.id)
        rows.append(DialogueRow(
            dialogue_id=dialogue.id,
            pair_id=dialogue.pair_id,
            taker=_party(dialogue.pair.taker),
            giver=_party(dialogue.pair.giver),
            phases_completed=completed.get(dialogue.id, []),
            last_activity_at=last,
            days_since_activity=days,
            closed=closed,
            started=dialogue.id in started,
            stalled=(not closed and days >= limit
                     and len(completed.get(dialogue.id, [])) < PHASE_COUNT),
            open_flags=flags_by_dialogue.get(dialogue.id, []),
            satisfaction={side: rated[side].satisfaction if side in rated else None
                          for side in SIDES},
            would_recommend={side: rated[side].would_recommend if side in rated else None
                             for side in SIDES},
            adoption=report.adoption if report is not None else None,
            explanation=report.explanation if report is not None else "",
        ))

    funnel = {phase: sum(1 for row in rows if phase in row.phases_completed)
              for phase in range(1, PHASE_COUNT + 1)}
    flags = sorted((FlagRow(flag=flag, row=row) for row in rows for flag in row.open_flags),
                   key=lambda item: (as_utc(item.flag.raised_at), item.flag.id))
    return RoundProgress(
        round=round_,
        today=today,
        stall_days=limit,
        rows=rows,
        funnel=funnel,
        flags=flags,
        ratings={side: _ratings(side, rows) for side in SIDES},
        adoption=_adoption(dialogues, rows, today),
        phase_titles=phase_titles(_guide(dialogues), locale),
    )


def _ratings(side: str, rows: list[DialogueRow]) -> SideRatings:
    scores = Counter(row.satisfaction[side] for row in rows if row.satisfaction[side] is not None)
    return SideRatings(
        side=side,
        distribution={score: scores.get(score, 0) for score in SCORES},
        responses=sum(scores.values()),
        would_recommend=sum(1 for row in rows if row.would_recommend[side]),
    )


def _adoption(dialogues: list[Dialogue], rows: list[DialogueRow],
              today: date) -> AdoptionOutcomes:
    """Count the takers' reports; a report is due once its follow-up date has come."""
    counts = Counter(row.adoption for row in rows if row.adoption in ADOPTIONS)
    reported = {row.dialogue_id for row in rows if row.adoption in ADOPTIONS}
    due = sum(1 for dialogue in dialogues
              if dialogue.id in reported
              or (dialogue.followup_due is not None and dialogue.followup_due <= today))
    return AdoptionOutcomes(counts={outcome: counts.get(outcome, 0) for outcome in ADOPTIONS},
                            reported=len(reported), due=due)


def _guide(dialogues: list[Dialogue]) -> PhaseGuide | None:
    """The newest guide version any of the round's dialogues uses, else the newest there is."""
    if dialogues:
        return max((d.guide for d in dialogues), key=lambda guide: guide.version)
    return db.session.scalar(select(PhaseGuide).order_by(PhaseGuide.version.desc()).limit(1))
