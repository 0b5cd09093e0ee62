"""Reminders for the spreading dialogues, run daily by ``flask send-reminders``.

Four kinds: a dialogue with no activity for N days (both sides), an overdue next action (its
owner side), the evaluation once it opens and the follow-up once it is due (each side that has
not answered). Every mail carries a key, so running the command again never repeats one.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from spread.extensions import db
from spread.models import Dialogue, LogEntry, NextAction, Pair, PairStatus, Round, RoundState
from spread.services import dialogues
from spread.services.dialogue_stats import stall_days as configured_stall_days
from spread.services.dialogues import SIDES
from spread.services.mail import send_mail
from spread.vocabulary import other_side

logger = logging.getLogger(__name__)


@dataclass
class ReminderReport:
    """How many mails of each kind were sent."""

    sent: dict[str, int] = field(default_factory=lambda: {
        "stalled": 0, "overdue": 0, "evaluate": 0, "followup": 0})

    @property
    def total(self) -> int:
        return sum(self.sent.values())


def _send(dialogue: Dialogue, side: str, kind: str, key: str, template: str,
          subject: Callable[[str], str], **context) -> bool:
    """Write one reminder to the owner of ``side`` in their language; False if sent before."""
    own = dialogues.profile_of(dialogue, side)
    partner = dialogues.profile_of(dialogue, other_side(side))
    owner = own.owner
    if not owner.active:
        return False
    with force_locale(dialogues.locale_of(owner)):
        body = render_template(f"mail/{template}", owner=owner, own=own, partner=partner,
                               side=side, url=dialogues.dialogue_url(dialogue), **context)
        subject_text = subject(partner.organisation.name)
    return send_mail(owner.email, subject_text, body, kind=f"reminder_{kind}", key=key) is not None


def _live_dialogues() -> list[Dialogue]:
    """Dialogues of approved pairs in published or closed rounds that are not closed."""
    return list(db.session.scalars(
        select(Dialogue).join(Pair, Dialogue.pair_id == Pair.id).join(Round)
        .where(Dialogue.closed_at.is_(None), Pair.status == PairStatus.APPROVED.value,
               Round.state.in_((RoundState.PUBLISHED.value, RoundState.CLOSED.value)))
        .order_by(Dialogue.id)))


def _phase_title(dialogue: Dialogue, phase: int | None) -> str:
    if phase is None:
        return ""
    title = dialogues.phase_definition(dialogue, phase)["title"]
    return title.get(str(_locale()), title.get("en", ""))


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale())


def send_reminders(today: date | None = None, stall_days: int | None = None) -> ReminderReport:
    """Send every reminder that is due on ``today``; each reminder goes once."""
    today = today or dialogues.today()
    if stall_days is None:
        stall_days = configured_stall_days()
    report = ReminderReport()
    for dialogue in _live_dialogues():
        round_open = dialogue.pair.round.state == RoundState.PUBLISHED.value
        current = dialogues.current_phase(dialogue)
        # Stalled: nothing logged or marked for ``stall_days`` while the phases are not done.
        last = dialogue.last_activity_at.date()
        if round_open and current is not None and (today - last).days >= stall_days:
            for side in SIDES:
                with force_locale(dialogues.locale_of(dialogues.owner_of(dialogue, side))):
                    title = _phase_title(dialogue, current)
                if _send(dialogue, side, "stalled", f"stalled:{dialogue.id}:{last}:{side}",
                         "dialogue_stalled.txt",
                         lambda p: _("Your spreading dialogue with %(partner)s has gone quiet",
                                     partner=p),
                         days=(today - last).days, phase=current, phase_title=title):
                    report.sent["stalled"] += 1
        # Overdue next actions, to the side that owns them.
        for action in db.session.scalars(
                select(NextAction).join(LogEntry)
                .where(LogEntry.dialogue_id == dialogue.id, NextAction.done_at.is_(None),
                       NextAction.due.is_not(None), NextAction.due < today)
                .order_by(NextAction.id)):
            side = action.owner if action.owner in SIDES else action.entry.side
            if _send(dialogue, side, "overdue", f"overdue:{action.id}",
                     "next_action_overdue.txt",
                     lambda p: _("A next action with %(partner)s is overdue", partner=p),
                     action=action):
                report.sent["overdue"] += 1
        # Evaluation and follow-up invitations, to each side that has not answered.
        for side in SIDES:
            if (dialogues.evaluation_open(dialogue)
                    and dialogues.evaluation_of(dialogue, side) is None
                    and _send(dialogue, side, "evaluate", f"evaluate:{dialogue.id}:{side}",
                              "evaluation_invitation.txt",
                              lambda p: _("Please evaluate your internship with %(partner)s",
                                          partner=p))):
                report.sent["evaluate"] += 1
            if (dialogues.followup_open(dialogue, today)
                    and dialogues.follow_up_of(dialogue, side) is None
                    and _send(dialogue, side, "followup", f"followup:{dialogue.id}:{side}",
                              "followup_invitation.txt",
                              lambda p: _("Follow-up on your internship with %(partner)s",
                                          partner=p))):
                report.sent["followup"] += 1
    db.session.flush()
    logger.info("reminders for %s: %s", today, report.sent)
    return report

