"""Factories for rounds, enrolments, pairs, published pairs and dialogue entries.

Each fixture returns a callable that builds its objects through the services (so they stay
as valid as the rules the app enforces) and commits. They sit on top of conftest's
``create_user``, ``create_organisation`` and ``create_profile``.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from spread.extensions import db
from spread.models import Dialogue, Enrolment, Interest, LogEntry, Pair, Profile, Round, User
from spread.schemas.dialogues import EntryInputSchema
from spread.schemas.rounds import RoundSchema
from spread.services import dialogues, enrolments, pairs, publishing, rounds
from spread.services import users as user_service

ROUND_DATES = {
    "registration_opens": "2027-01-01", "registration_closes": "2027-02-01",
    "internship_start": "2027-03-01", "internship_end": "2027-03-31",
}
# The states a new round passes through on its way to each state (publishing is separate:
# it needs an approved pair).
PATH_TO = {"draft": (), "open": ("open",), "pairing": ("open", "pairing"),
           "review": ("open", "pairing", "review")}
_numbers = itertools.count(1)


def token_headers(user: User) -> dict[str, str]:
    """Headers with a fresh API token of ``user`` (made by the service), asking for English."""
    _token, secret = user_service.create_api_token(user, "tests")
    db.session.commit()
    return {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}


def coordinator_of(round_: Round) -> User:
    """The coordinator who created ``round_``."""
    return db.session.get(User, round_.created_by_id)


def make_round(coordinator: User, state: str = "draft", **fields) -> Round:
    """A round made by ``coordinator`` and moved to ``state`` (draft, open, pairing, review).

    ``fields`` are the API's round fields; the dates default to ROUND_DATES, min_fit to 0.
    """
    data = {"name": f"Innovationspraktik {next(_numbers)}", **ROUND_DATES, "min_fit": 0.0,
            **fields}
    round_ = rounds.create_round(RoundSchema().load(data), coordinator)
    for step in PATH_TO[state]:
        rounds.transition(round_, step, coordinator)
    db.session.commit()
    return round_


def enrol_profiles(round_: Round, *profiles: Profile, actor: User | None = None
                   ) -> list[Enrolment]:
    """Enrol ``profiles`` in ``round_``: by ``actor``, or by its coordinator (also after
    registration closed)."""
    by_coordinator = actor is None
    actor = actor or coordinator_of(round_)
    made = [enrolments.enrol(round_, profile, actor, by_coordinator=by_coordinator)
            for profile in profiles]
    db.session.commit()
    return made


def make_interest(round_: Round, from_profile: Profile, to_profile: Profile) -> Interest:
    """``from_profile``'s owner states interest in ``to_profile`` (both enrolled)."""
    interest = enrolments.express_interest(round_, from_profile, to_profile, from_profile.owner)
    db.session.commit()
    return interest


def make_pair(round_: Round, taker: Profile, giver: Profile, approve: bool = False) -> Pair:
    """The round's coordinator pairs two enrolled profiles by hand (and approves the pair).

    The round must be in pairing or review.
    """
    coordinator = coordinator_of(round_)
    pair = pairs.pair_by_hand(round_, taker, giver, coordinator)
    if approve:
        pairs.approve(pair, coordinator)
    db.session.commit()
    return pair


def publish_round(round_: Round) -> Round:
    """Move a round with an approved pair from pairing or review to published."""
    coordinator = coordinator_of(round_)
    if round_.state == "pairing":
        rounds.transition(round_, "review", coordinator)
    publishing.publish(round_, coordinator)
    db.session.commit()
    return round_


def make_entry(dialogue: Dialogue, side: str, phase: int = 1,
               note: str = "Vi har holdt det første møde.", **fields) -> LogEntry:
    """The side's owner logs an entry; ``fields`` are the API's (decisions, links,
    next_actions)."""
    data = EntryInputSchema().load({"phase": phase, "note": note, **fields})
    entry = dialogues.create_entry(dialogue, side, dialogues.owner_of(dialogue, side), data)
    db.session.commit()
    return entry


@pytest.fixture
def create_round(app, create_user) -> Callable[..., Round]:
    """Factory: create_round(state="draft", coordinator=None, **fields) -> see make_round;
    without a coordinator a new one makes the round."""

    def factory(state: str = "draft", coordinator: User | None = None, **fields) -> Round:
        return make_round(coordinator or create_user(role="coordinator"), state, **fields)

    return factory


@pytest.fixture
def enrol(app) -> Callable[..., list[Enrolment]]:
    """Factory: enrol(round_, *profiles, actor=None) -> see enrol_profiles."""
    return enrol_profiles


@pytest.fixture
def express_interest(app) -> Callable[..., Interest]:
    """Factory: express_interest(round_, from_profile, to_profile) -> see make_interest."""
    return make_interest


@pytest.fixture
def create_pair(app) -> Callable[..., Pair]:
    """Factory: create_pair(round_, taker, giver, approve=False) -> see make_pair."""
    return make_pair


@pytest.fixture
def publish(app) -> Callable[[Round], Round]:
    """Factory: publish(round_) -> see publish_round."""
    return publish_round


@dataclass
class PublishedPair:
    """A published round with one approved pair, and everyone involved.

    ``users`` and ``headers`` (API tokens) have the keys coordinator, admin, giver, taker and
    other (a participant outside the pairing).
    """

    round_id: int
    pair_id: int
    dialogue_id: int
    headers: dict
    users: dict
    giver: Profile
    taker: Profile


@pytest.fixture
def publish_pair(create_user, create_organisation, create_profile, create_round, enrol,
                 create_pair, publish) -> Callable[..., PublishedPair]:
    """Factory: publish_pair(**round_fields) -> a PublishedPair (see its docstring)."""

    def factory(**round_fields) -> PublishedPair:
        users = {"coordinator": create_user(role="coordinator"),
                 "admin": create_user(role="admin"),
                 "giver": create_user(), "taker": create_user(), "other": create_user()}
        round_ = create_round("open", coordinator=users["coordinator"], **round_fields)
        giver = create_profile("giver", owner=users["giver"], organisation=create_organisation(),
                               title="Hverdagsrehabilitering", capacity=1)
        taker = create_profile("taker", owner=users["taker"], organisation=create_organisation(),
                               title="Ældrepleje i hjemmet")
        enrol(round_, giver, actor=users["giver"])
        enrol(round_, taker, actor=users["taker"])
        rounds.transition(round_, "pairing", users["coordinator"])
        pair = create_pair(round_, taker, giver, approve=True)
        publish(round_)
        headers = {name: token_headers(user) for name, user in users.items()}
        dialogue = dialogues.dialogue_of_pair(pair)
        return PublishedPair(round_.id, pair.id, dialogue.id, headers, users, giver, taker)

    return factory


@pytest.fixture
def create_entry(app) -> Callable[..., LogEntry]:
    """Factory: create_entry(dialogue, side, phase=1, note=..., **fields) -> see make_entry."""
    return make_entry
