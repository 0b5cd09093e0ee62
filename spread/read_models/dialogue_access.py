"""The dialogue a request names, for the pages and the API alike (404 unknown, 403 others)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from spread.auth import allow
from spread.extensions import db
from spread.models import Dialogue
from spread.models.dialogue import PHASE_COUNT
from spread.services import dialogues


def readable_dialogue(dialogue_id: int) -> Dialogue:
    """A dialogue the user may read: participants, coordinators and admins (403 others)."""
    dialogue = db.session.get(Dialogue, dialogue_id) or abort(404)
    allow(dialogues.can_read(dialogue, current_user))
    return dialogue


def own_side(dialogue_id: int) -> tuple[Dialogue, str]:
    """A dialogue the user takes part in, and the user's side (403 for everyone else)."""
    dialogue = readable_dialogue(dialogue_id)
    side = dialogues.side_of(dialogue, current_user)
    allow(side is not None)
    return dialogue, side


def phase_number(number: int) -> int:
    """A phase number from a URL (404 outside 1 to PHASE_COUNT)."""
    if not 1 <= number <= PHASE_COUNT:
        abort(404)
    return number
