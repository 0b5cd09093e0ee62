"""Publishing a round's approved pairs and telling every participant by email."""
from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import or_, select

from spread.extensions import db
from spread.models import Pair, PairStatus, Profile, Round, RoundState, User
from spread.schemas.messages import N_
from spread.services.dialogues import open_dialogue
from spread.services.mail import send_mail
from spread.services.rounds import transition

VISIBLE_STATES = (RoundState.PUBLISHED.value, RoundState.CLOSED.value)


def approved_pairs(round_id: int) -> list[Pair]:
    """The approved pairs of a round."""
    return list(db.session.scalars(select(Pair).where(
        Pair.round_id == round_id, Pair.status == PairStatus.APPROVED.value).order_by(Pair.id)))


def publish(round_: Round, actor: User, version: int | None = None) -> int:
    """Publish the round and email both sides of every approved pair; returns mails sent."""
    transition(round_, RoundState.PUBLISHED.value, actor, version)
    if not approved_pairs(round_.id):
        raise ValidationError({"round": [N_("Approve at least one pair before publishing.")]})
    sent = 0
    for pair in approved_pairs(round_.id):
        open_dialogue(pair)
        for own, partner in ((pair.taker, pair.giver), (pair.giver, pair.taker)):
            owner = own.owner
            with force_locale(owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
                subject = _("You have been paired in %(round)s", round=round_.name)
                body = render_template("mail/pair_published.txt", round=round_, own=own,
                                       partner=partner, owner=owner,
                                       url=current_app.config["PUBLIC_URL"] + "/account")
            if send_mail(owner.email, subject, body, kind="pair_published",
                         key=f"published:{round_.id}:{pair.id}:{own.id}"):
                sent += 1
    return sent


def pairs_of_user(user: User) -> list[Pair]:
    """Approved pairs of published or closed rounds that involve one of the user's profiles."""
    own = select(Profile.id).where(Profile.owner_id == user.id)
    return list(db.session.scalars(
        select(Pair).join(Round).where(
            Pair.status == PairStatus.APPROVED.value, Round.state.in_(VISIBLE_STATES),
            or_(Pair.taker_id.in_(own), Pair.giver_id.in_(own)))
        .order_by(Pair.id.desc())))
