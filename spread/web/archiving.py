"""Pages: the archive/restore button of organisations and profiles, one idiom for both."""
from __future__ import annotations

from collections.abc import Callable

from flask import request
from flask_login import current_user

from spread.auth import allow
from spread.extensions import db
from spread.services import archiving
from spread.web.forms import flash_redirect


def archive_or_restore(row: archiving.Archivable, can_edit: Callable, messages: dict[bool, str],
                       url: str):
    """Archive ``row`` (or restore it when the form sends ``restore=1``) for callers for whom
    ``can_edit(user, row)`` holds; flash ``messages[archived]`` and redirect to ``url``."""
    allow(can_edit(current_user, row))
    archived = request.form.get("restore") != "1"
    archiving.set_archived(row, archived)
    db.session.commit()
    return flash_redirect(messages[archived], url)
