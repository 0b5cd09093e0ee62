"""Two coordinators deciding at the same moment never overfill a giver or double-book a taker.

A real server runs in a thread (``live_server``) and several client threads fire their approvals
at once, each as a different coordinator, released together by a barrier.
"""
from __future__ import annotations

import http.client
import json
import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from spread.extensions import db
from spread.models import Enrolment, Pair, PairStatus
from tests.rounds_helpers import move

THREADS = 6


@pytest.fixture
def coordinators(create_user, token_for):
    """Bearer headers of several coordinators."""
    return [token_for(create_user(role="coordinator")) for _ in range(THREADS)]


@pytest.fixture
def pairing_round(client, coordinators):
    """A round in the pairing state; returns a function that enrols profiles in it."""
    headers = coordinators[0]
    round_id = client.post("/api/v1/rounds/", json={"name": "Runde", "min_fit": 0.0},
                           headers=headers).json["id"]
    move(client, headers, round_id, "open")

    def enrol(*profiles):
        for profile in profiles:
            r = client.post(f"/api/v1/rounds/{round_id}/enrolments",
                            json={"profile_id": profile.id}, headers=headers)
            assert r.status_code == 201, r.json
        move(client, headers, round_id, "pairing")
        return round_id

    return enrol


def propose(client, headers, round_id, taker, giver) -> dict:
    response = client.post(f"/api/v1/rounds/{round_id}/pairs",
                           json={"taker_id": taker.id, "giver_id": giver.id}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def fire(base_url: str, requests: list[tuple[str, dict, dict]]) -> list[tuple[int, dict]]:
    """POST every (path, body, headers) from its own thread, all released at once."""
    address = urlsplit(base_url)
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def worker(index: int, path: str, body: dict, headers: dict) -> None:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        try:
            connection.connect()
            barrier.wait(timeout=10)
            connection.request("POST", path, body=json.dumps(body),
                               headers={**headers, "Content-Type": "application/json",
                                        "Accept-Language": "en"})
            response = connection.getresponse()
            results[index] = (response.status, json.loads(response.read() or b"{}"))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, *request))
               for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in results), results
    return results


def approved_count(**where) -> int:
    query = select(func.count(Pair.id)).where(Pair.status == PairStatus.APPROVED.value)
    for name, value in where.items():
        query = query.where(getattr(Pair, name) == value)
    return db.session.scalar(query)


def enrolment_of(profile) -> Enrolment:
    return db.session.scalar(select(Enrolment).where(Enrolment.profile_id == profile.id))


def test_a_givers_capacity_is_never_exceeded(live_server, client, coordinators, pairing_round,
                                             create_profile, create_organisation):
    giver = create_profile("giver", capacity=2, title="Hverdagsrehabilitering")
    takers = [create_profile("taker", organisation=create_organisation(), title=f"Tager {i}")
              for i in range(THREADS)]
    round_id = pairing_round(giver, *takers)
    pairs = [propose(client, coordinators[0], round_id, t, giver) for t in takers]

    results = fire(live_server, [
        (f"/api/v1/pairs/{pair['id']}/approve", {"version": pair["version"]}, headers)
        for pair, headers in zip(pairs, coordinators, strict=True)])

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 2 + [409] * (THREADS - 2), results
    for status, body in results:
        if status == 409:
            assert "capacity" in body["message"], body
    db.session.expire_all()
    assert approved_count(giver_id=giver.id) == 2
    assert enrolment_of(giver).approved == 2
    assert sum(enrolment_of(t).approved for t in takers) == 2
    approved_takers = {p.taker_id for p in db.session.scalars(
        select(Pair).where(Pair.status == PairStatus.APPROVED.value))}
    assert approved_takers == {enrolment.profile_id for enrolment in map(enrolment_of, takers)
                               if enrolment.approved == 1}


def test_a_taker_is_never_in_two_approved_pairs(live_server, client, coordinators,
                                                pairing_round, create_profile,
                                                create_organisation):
    taker = create_profile("taker", title="Skybrud")
    givers = [create_profile("giver", capacity=3, organisation=create_organisation(),
                             title=f"Giver {i}") for i in range(THREADS)]
    round_id = pairing_round(taker, *givers)
    pairs = [propose(client, coordinators[0], round_id, taker, g) for g in givers]

    results = fire(live_server, [
        (f"/api/v1/pairs/{pair['id']}/approve", {"version": pair["version"]}, headers)
        for pair, headers in zip(pairs, coordinators, strict=True)])

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (THREADS - 1), results
    for status, body in results:
        if status == 409:
            assert "taker already has an approved pair" in body["message"], body
    db.session.expire_all()
    assert approved_count(taker_id=taker.id) == 1
    assert enrolment_of(taker).approved == 1
    winner = next(body for status, body in results if status == 200)
    for giver in givers:
        expected = 1 if giver.id == winner["giver"]["id"] else 0
        assert enrolment_of(giver).approved == expected


def test_giver_and_taker_limits_hold_together(live_server, client, coordinators, pairing_round,
                                              create_profile, create_organisation):
    """Pairs that compete for one giver place and for takers at the same time."""
    giver_a = create_profile("giver", capacity=1, title="A")
    giver_b = create_profile("giver", capacity=1, title="B", organisation=giver_a.organisation)
    takers = [create_profile("taker", organisation=create_organisation(), title=f"T{i}")
              for i in range(3)]
    round_id = pairing_round(giver_a, giver_b, *takers)
    combos = [(takers[0], giver_a), (takers[1], giver_a), (takers[0], giver_b),
              (takers[1], giver_b), (takers[2], giver_a), (takers[2], giver_b)]
    pairs = [propose(client, coordinators[0], round_id, t, g) for t, g in combos]

    results = fire(live_server, [
        (f"/api/v1/pairs/{pair['id']}/approve", {}, headers)
        for pair, headers in zip(pairs, coordinators, strict=True)])

    assert sorted(s for s, _ in results).count(200) == 2, results
    assert all(s in (200, 409) for s, _ in results), results
    db.session.expire_all()
    approved = list(db.session.scalars(select(Pair).where(
        Pair.status == PairStatus.APPROVED.value)))
    assert len({p.giver_id for p in approved}) == 2 and len({p.taker_id for p in approved}) == 2
    for profile in (giver_a, giver_b, *takers):
        enrolment = enrolment_of(profile)
        assert enrolment.approved == sum(
            1 for p in approved if profile.id in (p.giver_id, p.taker_id))
        assert enrolment.approved <= enrolment.capacity


def test_two_decisions_on_the_same_version_one_wins(live_server, client, coordinators,
                                                    pairing_round, create_profile,
                                                    create_organisation):
    giver = create_profile("giver", capacity=2)
    taker = create_profile("taker", organisation=create_organisation())
    round_id = pairing_round(giver, taker)
    pair = propose(client, coordinators[0], round_id, taker, giver)

    results = fire(live_server, [
        (f"/api/v1/pairs/{pair['id']}/approve", {"version": pair["version"]}, coordinators[0]),
        (f"/api/v1/pairs/{pair['id']}/approve", {"version": pair["version"]}, coordinators[1]),
    ])

    assert sorted(s for s, _ in results) == [200, 409], results
    loser = next(body for status, body in results if status == 409)
    # Which guard stops the loser depends on timing: the version check when the winner had
    # committed before the loser read the pair, else the taker's conditional counter update.
    assert loser["message"] in ("This was changed by someone else. Reload and try again.",
                                "The taker already has an approved pair in this round.")
    db.session.expire_all()
    assert enrolment_of(giver).approved == 1 and enrolment_of(taker).approved == 1

    # A later decision made on the version read before the approval is refused as well.
    response = client.post(f"/api/v1/pairs/{pair['id']}/reject",
                           json={"version": pair["version"], "reason": "Passer ikke"},
                           headers={**coordinators[2], "Accept-Language": "en"})
    assert response.status_code == 409
    assert response.json["message"] == "This was changed by someone else. Reload and try again."
    db.session.expire_all()
    assert approved_count() == 1 and enrolment_of(giver).approved == 1


def test_approve_and_reject_racing_leave_consistent_counters(live_server, client, coordinators,
                                                             pairing_round, create_profile,
                                                             create_organisation):
    giver = create_profile("giver", capacity=1)
    taker = create_profile("taker", organisation=create_organisation())
    round_id = pairing_round(giver, taker)
    pair = propose(client, coordinators[0], round_id, taker, giver)

    results = fire(live_server, [
        (f"/api/v1/pairs/{pair['id']}/approve", {"version": pair["version"]}, coordinators[0]),
        (f"/api/v1/pairs/{pair['id']}/reject",
         {"version": pair["version"], "reason": "Ikke relevant"}, coordinators[1]),
    ])

    assert sorted(s for s, _ in results) == [200, 409], results
    db.session.expire_all()
    stored = db.session.get(Pair, pair["id"])
    expected = 1 if stored.status == PairStatus.APPROVED.value else 0
    assert enrolment_of(giver).approved == expected
    assert enrolment_of(taker).approved == expected
