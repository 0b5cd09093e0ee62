"""Helpers for tests of rounds driven over the API: move a round, run the pairing."""
from __future__ import annotations


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
