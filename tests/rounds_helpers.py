"""Helpers for tests of rounds: a round with enrolled givers and takers, driven over the API."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RoundSetup:
    """A round in the open state with enrolled profiles, and the headers of who made it."""

    round_id: int
    coordinator: dict
    givers: list = field(default_factory=list)
    takers: list = field(default_factory=list)
    owners: dict = field(default_factory=dict)


def move(client, headers, round_id, *states):
    """Move a round through ``states`` over the API, asserting each step works."""
    for state in states:
        response = client.post(f"/api/v1/rounds/{round_id}/transitions", json={"state": state},
                               headers=headers)
        assert response.status_code == 200, response.json
    return response.json


def run_pairing(client, headers, round_id, method="optimal", only_unpaired=False):
    """Run the pairing and return the finished run (runs inline in tests)."""
    response = client.post(f"/api/v1/rounds/{round_id}/runs",
                           json={"method": method, "only_unpaired": only_unpaired},
                           headers=headers)
    assert response.status_code == 202, response.json
    run = client.get(f"/api/v1/rounds/{round_id}/runs/{response.json['id']}",
                     headers=headers).json
    assert run["status"] == "done", run
    return run


DIALOGUE_ROUND = {
    "name": "Innovationspraktik 2027",
    "registration_opens": "2027-01-01", "registration_closes": "2027-02-01",
    "internship_start": "2027-03-01", "internship_end": "2027-03-31",
    "min_fit": 0.0,
}


@dataclass
class PublishedPair:
    """A published round with one approved pair, and the headers of everyone involved."""

    round_id: int
    pair_id: int
    headers: dict
    users: dict
    giver: object = None
    taker: object = None


def publish_one_pair(client, create_user, create_profile, create_organisation, token_for,
                     round_data: dict | None = None) -> PublishedPair:
    """Drive a round over the API from draft to published with one approved pair.

    ``headers`` and ``users`` have the keys coordinator, admin, giver, taker and other (a
    participant outside the pairing).
    """
    users = {"coordinator": create_user(role="coordinator"), "admin": create_user(role="admin"),
             "giver": create_user(), "taker": create_user(), "other": create_user()}
    headers = {name: token_for(user) for name, user in users.items()}
    coordinator = headers["coordinator"]
    response = client.post("/api/v1/rounds/", json=round_data or DIALOGUE_ROUND,
                           headers=coordinator)
    assert response.status_code == 201, response.json
    round_id = response.json["id"]
    move(client, coordinator, round_id, "open")
    giver = create_profile("giver", owner=users["giver"], organisation=create_organisation(),
                           title="Hverdagsrehabilitering", capacity=1)
    taker = create_profile("taker", owner=users["taker"], organisation=create_organisation(),
                           title="Ældrepleje i hjemmet")
    for profile, who in ((giver, "giver"), (taker, "taker")):
        r = client.post(f"/api/v1/rounds/{round_id}/enrolments",
                        json={"profile_id": profile.id}, headers=headers[who])
        assert r.status_code == 201, r.json
    move(client, coordinator, round_id, "pairing")
    r = client.post(f"/api/v1/rounds/{round_id}/pairs",
                    json={"taker_id": taker.id, "giver_id": giver.id}, headers=coordinator)
    assert r.status_code == 201, r.json
    pair_id = r.json["id"]
    r = client.post(f"/api/v1/pairs/{pair_id}/approve", json={}, headers=coordinator)
    assert r.status_code == 200, r.json
    move(client, coordinator, round_id, "review", "published")
    return PublishedPair(round_id, pair_id, headers, users, giver, taker)
