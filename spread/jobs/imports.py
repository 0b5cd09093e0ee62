"""Queue task: importing a large registrations CSV in the worker; the coordinator gets a mail
with the outcome (imported, or refused with the bad rows: all or nothing, as on the page)."""
from __future__ import annotations

import logging

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from spread.extensions import db
from spread.models import Round, User
from spread.queue import app_task
from spread.services import round_csv
from spread.services.dialogues import locale_of
from spread.services.mail import send_mail

logger = logging.getLogger(__name__)

ERRORS_IN_MAIL = 20  # the mail lists this many bad rows; the page shows them all


def runs_in_background(content: str) -> bool:
    """Whether a file this long is imported by the worker rather than in the request."""
    return content.count("\n") > current_app.config["CSV_IMPORT_SYNC_ROWS"]


@app_task()
def import_registrations(round_id: int, actor_id: int, content: str) -> None:
    """Import every registration of ``content`` into the round, or none, and mail the outcome."""
    round_, actor = db.session.get(Round, round_id), db.session.get(User, actor_id)
    if round_ is None or actor is None:
        logger.info("import into round %s skipped: round or coordinator gone", round_id)
        return
    try:
        preview = round_csv.import_registrations(round_, content, actor)
    except round_csv.ImportRejected as rejected:
        db.session.rollback()
        _mail_outcome(round_, actor, rejected.preview, imported=False)
    else:
        _mail_outcome(round_, actor, preview, imported=True)
    db.session.commit()


def _mail_outcome(round_: Round, actor: User, preview: round_csv.ImportPreview,
                  imported: bool) -> None:
    url = f"{current_app.config['PUBLIC_URL']}/rounds/{round_.id}/dashboard"
    with force_locale(locale_of(actor)):
        if imported:
            subject = _("Your import into %(round)s is done", round=round_.name)
            lines = [_("Imported %(enrolled)s registrations; %(created)s new profiles were "
                       "created.", enrolled=preview.enrolled, created=preview.created)]
        else:
            subject = _("Your import into %(round)s was refused", round=round_.name)
            lines = [_("Nothing was imported: %(count)s rows have errors. Correct the file and "
                       "upload it again.", count=len(preview.errors))]
            lines += [_("Line %(line)s: %(message)s", line=error.line or "–",
                        message=error.message) for error in preview.errors[:ERRORS_IN_MAIL]]
    send_mail(actor.email, subject, "\n".join([*lines, "", url]), kind="csv_import")
