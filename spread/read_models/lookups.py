"""Finding the rows a form or a request body names, with a field error when there is none."""
from __future__ import annotations

from marshmallow import ValidationError

from spread.extensions import db
from spread.models import Pair, Profile
from spread.schemas.messages import N_

NO_SUCH_PROFILE = N_("No such profile.")


def profile_or_invalid(profile_id: int | None, field: str) -> Profile:
    """The profile with this id, or a 422 ``ValidationError`` on ``field``."""
    profile = db.session.get(Profile, profile_id) if profile_id is not None else None
    if profile is None:
        raise ValidationError({field: [NO_SUCH_PROFILE]})
    return profile


def other_pair_or_invalid(pair_id: int, field: str) -> Pair:
    """The pair to swap with, or a 422 ``ValidationError`` on ``field``."""
    pair = db.session.get(Pair, pair_id)
    if pair is None:
        # The message is marked for translation where services.pairs.swap raises it too.
        raise ValidationError({field: ["Choose another pair of the same round."]})
    return pair
