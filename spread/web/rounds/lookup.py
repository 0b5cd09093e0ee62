"""The round, pair and profile a page's URL or form names (404 / 403 / field error)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from spread.auth import allow, can_edit_profile
from spread.extensions import db
from spread.models import Pair, Profile, Round, RoundState
from spread.read_models.lookups import profile_or_invalid


def round_or_404(round_id: int) -> Round:
    """The round, or 404."""
    return db.session.get(Round, round_id) or abort(404)


def visible_round(round_id: int) -> Round:
    """A round the user may see: coordinators see all, participants all but drafts."""
    round_ = round_or_404(round_id)
    allow(current_user.is_coordinator or round_.state != RoundState.DRAFT.value)
    return round_


def pair_or_404(pair_id: int) -> Pair:
    """The pair, or 404."""
    return db.session.get(Pair, pair_id) or abort(404)


def own_profile(profile_id: int, field: str) -> Profile:
    """A profile the user may act for; 422 when unknown, 403 when someone else's."""
    profile = profile_or_invalid(profile_id, field)
    allow(can_edit_profile(current_user, profile))
    return profile
