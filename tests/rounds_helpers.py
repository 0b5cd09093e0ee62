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
