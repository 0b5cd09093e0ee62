"""A realistic world for fuzzing the API, and the ids its path parameters can reach."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from spread.extensions import db
from spread.models import Interest, LogEntry, NextAction, Pair, Role, User
from spread.models.base import utcnow
from tests.conftest import PASSWORD
from tests.factories import token_headers
from tests.rounds_helpers import DIALOGUE_ROUND, move

# The world is seeded again for every fuzzed operation: a one-round hash keeps that cheap.
_QUICK_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
_numbers = itertools.count(1)


@dataclass
class FuzzWorld:
    """Who calls (``headers`` by role) and the ids of existing objects (``ids`` by parameter)."""

    headers: dict
    ids: dict = field(default_factory=dict)


def quick_user(role: Role | str = Role.PARTICIPANT, **_ignored) -> User:
    """A confirmed account with the tests' password, made without the slow password hash."""
    n = next(_numbers)
    user = User(email=f"fuzz{n}@example.dk", name=f"Fuzz {n}", role=Role(role).value,
                email_confirmed_at=utcnow(), password_hash=_QUICK_HASH)
    db.session.add(user)
    db.session.commit()
    return user


quick_token = token_headers


def _post(client, url: str, headers: dict, json: dict, status: int = 201) -> dict:
    response = client.post(url, json=json, headers=headers)
    assert response.status_code == status, (url, response.json)
    return response.json


def build_world(client, publish_pair, create_profile, create_organisation) -> FuzzWorld:
    """Seed a world in which every path parameter of the API can name an existing object.

    The fuzzed participant is the giver of a published pair (so its dialogue is theirs to
    write in), created an organisation, and owns an enrolled taker profile in an open round
    with stated interest; the coordinator also has a round in review whose pairs a finished
    pairing run proposed, and a draft round.
    """
    published = publish_pair()
    users, headers = published.users, published.headers
    participant, coordinator = headers["giver"], headers["coordinator"]
    dialogue_id = published.dialogue_id
    _post(client, f"/api/v1/dialogues/{dialogue_id}/entries", participant, {
        "phase": 1, "note": "Vi mødtes og så løsningen i brug.",
        "links": ["https://example.dk/plan"],
        "next_actions": [{"description": "Send planen", "owner": "taker", "due": "2027-04-01"}],
    })
    own_organisation = _post(client, "/api/v1/organisations/", participant,
                             {"name": "Fuzz Kommune", "kind": "municipality",
                              "region": "hovedstaden"})["id"]
    own_taker = create_profile("taker", owner=users["giver"],
                               organisation=published.giver.organisation,
                               title="Digital hjemmepleje", sectors=["elderly_care"])
    other_giver = create_profile("giver", owner=users["other"], organisation=create_organisation(),
                                 title="Velfærdsteknologi i hjemmeplejen", capacity=2,
                                 sectors=["elderly_care"])
    other_taker = create_profile("taker", owner=users["other"],
                                 organisation=create_organisation(), title="Ensomhed blandt ældre")

    open_round = _post(client, "/api/v1/rounds/", coordinator,
                       {**DIALOGUE_ROUND, "name": "Åben runde"})["id"]
    move(client, coordinator, open_round, "open")
    for profile, who in ((own_taker, participant), (other_giver, headers["other"])):
        _post(client, f"/api/v1/rounds/{open_round}/enrolments", who, {"profile_id": profile.id})
    _post(client, f"/api/v1/rounds/{open_round}/interests", participant,
          {"from_profile_id": own_taker.id, "to_profile_id": other_giver.id})

    review_round = _post(client, "/api/v1/rounds/", coordinator,
                         {**DIALOGUE_ROUND, "name": "Runde til gennemsyn", "min_fit": 0.0})["id"]
    move(client, coordinator, review_round, "open")
    for profile in (own_taker, other_taker, other_giver, published.giver):
        _post(client, f"/api/v1/rounds/{review_round}/enrolments", coordinator,
              {"profile_id": profile.id})
    move(client, coordinator, review_round, "pairing")
    run = _post(client, f"/api/v1/rounds/{review_round}/runs", coordinator,
                {"method": "optimal", "only_unpaired": False}, status=202)
    draft_round = _post(client, "/api/v1/rounds/", coordinator,
                        {**DIALOGUE_ROUND, "name": "Kladde"})["id"]

    return FuzzWorld(
        headers={"participant": participant, "coordinator": coordinator},
        ids={
            "organisation_id": [own_organisation, published.giver.organisation_id,
                                other_taker.organisation_id],
            "profile_id": [published.giver.id, published.taker.id, own_taker.id,
                           other_giver.id, other_taker.id],
            "round_id": [published.round_id, open_round, review_round, draft_round],
            "interest_id": list(db.session.scalars(select(Interest.id))),
            "run_id": [run["id"]],
            "pair_id": _pair_ids(published.pair_id),
            "dialogue_id": [dialogue_id],
            "entry_id": list(db.session.scalars(select(LogEntry.id))),
            "action_id": list(db.session.scalars(select(NextAction.id))),
            "phase": [1, 2, 6],
            "user_id": [users["giver"].id, users["other"].id, users["coordinator"].id],
        },
    )


def _pair_ids(published_pair_id: int) -> list[int]:
    return [published_pair_id, *db.session.scalars(
        select(Pair.id).where(Pair.id != published_pair_id).order_by(Pair.id))]
