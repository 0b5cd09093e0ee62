"""The coordinator's workflow over the API: create, enrol, pair, review, publish."""
import pytest
from sqlalchemy import func, select

from spread.extensions import db
from spread.models import AuditEvent, Enrolment, OutboxMessage, Pair
from tests.rounds_helpers import move, run_pairing

ROUND = {
    "name": "Innovationspraktik 2027",
    "description": "Den nationale innovationspraktik.",
    "registration_opens": "2027-01-01", "registration_closes": "2027-02-01",
    "internship_start": "2027-03-01", "internship_end": "2027-03-31",
    "preparatory_workshop": "2027-02-15", "followup_workshop": "2027-05-01",
    "min_fit": 0.05,
}


@pytest.fixture
def app(app):
    app.config["PAIRING_IN_BACKGROUND"] = False
    return app


@pytest.fixture
def people(create_user, token_for):
    coordinator = create_user(role="coordinator")
    giver_owner, taker_owner, other = create_user(), create_user(), create_user()
    return {
        "coordinator": token_for(coordinator), "giver": token_for(giver_owner),
        "taker": token_for(taker_owner), "other": token_for(other),
        "users": {"giver": giver_owner, "taker": taker_owner, "other": other},
    }


@pytest.fixture
def open_round(client, people, create_profile, create_organisation):
    """An open round with two givers (capacity 1 and 2) and three takers in other organisations."""
    response = client.post("/api/v1/rounds/", json=ROUND, headers=people["coordinator"])
    assert response.status_code == 201, response.json
    round_id = response.json["id"]
    move(client, people["coordinator"], round_id, "open")
    home, away = create_organisation(), create_organisation()
    users = people["users"]
    givers = [
        create_profile("giver", owner=users["giver"], organisation=home, capacity=1,
                       title="Hverdagsrehabilitering", sectors=["elderly_care"],
                       description="Hverdagsrehabilitering og træning i eget hjem for ældre."),
        create_profile("giver", owner=users["giver"], organisation=home, capacity=2,
                       title="Regnvandsbede", sectors=["environment"],
                       description="Klimatilpasning med regnvandsbede og skybrudssikring."),
    ]
    takers = [
        create_profile("taker", owner=users["taker"], organisation=away, title="Ældrepleje",
                       sectors=["elderly_care"],
                       description="Vi vil styrke pleje af ældre med træning i hjemmet."),
        create_profile("taker", owner=users["taker"], organisation=away, title="Skybrud",
                       sectors=["environment"],
                       description="Skybrud oversvømmer byen; vi søger klimatilpasning."),
        create_profile("taker", owner=users["taker"], organisation=away, title="Skybrud 2",
                       sectors=["environment"],
                       description="Regnvand og skybrud i boligområder, klimatilpasning."),
    ]
    for profile, who in [(g, "giver") for g in givers] + [(t, "taker") for t in takers]:
        r = client.post(f"/api/v1/rounds/{round_id}/enrolments", json={"profile_id": profile.id},
                        headers=people[who])
        assert r.status_code == 201, r.json
    return {"id": round_id, "givers": givers, "takers": takers}


def test_whole_flow_from_draft_to_published(client, people, open_round):
    round_id = open_round["id"]
    coordinator = people["coordinator"]
    move(client, coordinator, round_id, "pairing")
    run = run_pairing(client, coordinator, round_id)
    assert run["summary"]["pairs"] == 3
    assert client.get(f"/api/v1/rounds/{round_id}", headers=coordinator).json["state"] == "review"

    listed = client.get(f"/api/v1/rounds/{round_id}/pairs", headers=coordinator).json
    assert len(listed) == 3
    assert [p["score"] for p in listed] == sorted((p["score"] for p in listed), reverse=True)
    by_taker = {p["taker"]["title"]: p["giver"]["title"] for p in listed}
    assert by_taker["Ældrepleje"] == "Hverdagsrehabilitering"
    assert all(p["reasons"]["components"] for p in listed)

    for pair in listed:
        r = client.post(f"/api/v1/pairs/{pair['id']}/approve", json={"version": pair["version"]},
                        headers=coordinator)
        assert r.status_code == 200, r.json

    response = client.post(f"/api/v1/rounds/{round_id}/transitions",
                           json={"state": "published"}, headers=coordinator)
    assert response.status_code == 200, response.json
    mails = list(db.session.scalars(select(OutboxMessage)))
    assert {m.to for m in mails} == {people["users"]["giver"].email,
                                     people["users"]["taker"].email}
    assert len(mails) == 6
    mine = client.get("/api/v1/me/pairs", headers=people["taker"]).json
    assert len(mine) == 3
    assert client.get("/api/v1/me/pairs", headers=people["other"]).json == []
    actions = {e.action for e in db.session.scalars(select(AuditEvent))}
    assert {"round.created", "round.state", "pairing.run", "pair.approved"} <= actions


def test_capacity_and_single_place_are_enforced(client, people, open_round):
    round_id, coordinator = open_round["id"], people["coordinator"]
    move(client, coordinator, round_id, "pairing")
    giver = open_round["givers"][0]  # capacity 1
    first, second = open_round["takers"][0], open_round["takers"][1]
    made = [client.post(f"/api/v1/rounds/{round_id}/pairs",
                        json={"taker_id": t.id, "giver_id": giver.id}, headers=coordinator).json
            for t in (first, second)]
    assert client.post(f"/api/v1/pairs/{made[0]['id']}/approve", json={},
                       headers=coordinator).status_code == 200
    response = client.post(f"/api/v1/pairs/{made[1]['id']}/approve", json={},
                           headers=coordinator)
    assert response.status_code == 409 and "capacity" in response.json["message"]
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.profile_id == giver.id))
    db.session.refresh(enrolment)
    assert enrolment.approved == 1


def test_stale_version_is_refused(client, people, open_round):
    round_id, coordinator = open_round["id"], people["coordinator"]
    move(client, coordinator, round_id, "pairing")
    run_pairing(client, coordinator, round_id)
    pair = client.get(f"/api/v1/rounds/{round_id}/pairs", headers=coordinator).json[0]
    assert client.post(f"/api/v1/pairs/{pair['id']}/reject",
                       json={"version": pair["version"], "reason": "Poor fit"},
                       headers=coordinator).status_code == 200
    response = client.post(f"/api/v1/pairs/{pair['id']}/approve",
                           json={"version": pair["version"]},
                           headers={**coordinator, "Accept-Language": "en"})
    assert response.status_code == 409
    assert "someone else" in response.json["message"]


@pytest.mark.parametrize("body, field", [
    ({**ROUND, "registration_closes": "2026-12-01"}, "registration_closes"),
    ({**ROUND, "internship_end": "2027-02-01"}, "internship_end"),
    ({**ROUND, "min_fit": 2}, "min_fit"),
    ({**ROUND, "internship_start": "not a date"}, "internship_start"),
    ({**ROUND, "state": "published"}, "state"),
    ({"description": "no name"}, "name"),
])
def test_bad_round_input(client, people, body, field):
    response = client.post("/api/v1/rounds/", json=body, headers=people["coordinator"])
    assert response.status_code == 422 and field in response.json["errors"]


def test_illegal_transition_is_refused_and_recorded_nowhere(client, people):
    round_id = client.post("/api/v1/rounds/", json=ROUND, headers=people["coordinator"]).json["id"]
    response = client.post(f"/api/v1/rounds/{round_id}/transitions", json={"state": "published"},
                           headers=people["coordinator"])
    assert response.status_code == 422 and "cannot go from draft" in response.json["errors"]["state"][0]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "round.state")) == 0


def test_participants_cannot_coordinate(client, people, open_round):
    round_id, participant = open_round["id"], people["giver"]
    assert client.post("/api/v1/rounds/", json=ROUND, headers=participant).status_code == 403
    for path, body in [(f"/api/v1/rounds/{round_id}/transitions", {"state": "pairing"}),
                       (f"/api/v1/rounds/{round_id}/runs", {}),
                       (f"/api/v1/rounds/{round_id}/bans", {"taker_id": 1, "giver_id": 2,
                                                            "reason": "x"})]:
        assert client.post(path, json=body, headers=participant).status_code == 403
    assert client.get(f"/api/v1/rounds/{round_id}/pairs", headers=participant).status_code == 403
    assert client.get(f"/api/v1/rounds/{round_id}/audit", headers=participant).status_code == 403
    assert client.get(f"/api/v1/rounds/{round_id}/pairs").status_code == 401


def test_only_owners_enrol_their_profiles(client, people, open_round, create_profile):
    foreign = create_profile("giver", owner=people["users"]["other"])
    response = client.post(f"/api/v1/rounds/{open_round['id']}/enrolments",
                           json={"profile_id": foreign.id}, headers=people["giver"])
    assert response.status_code == 403
    response = client.post(f"/api/v1/rounds/{open_round['id']}/enrolments",
                           json={"profile_id": 999999}, headers=people["giver"])
    assert response.status_code == 422 and "profile_id" in response.json["errors"]


def test_mutual_interest_is_visible_to_both_and_to_the_coordinator(client, people, open_round):
    round_id = open_round["id"]
    taker, giver = open_round["takers"][1], open_round["givers"][1]
    for source, target, who in ((taker, giver, "taker"), (giver, taker, "giver")):
        response = client.post(f"/api/v1/rounds/{round_id}/interests",
                               json={"from_profile_id": source.id, "to_profile_id": target.id},
                               headers=people[who])
        assert response.status_code == 201, response.json
    seen = client.get(f"/api/v1/rounds/{round_id}/interests", headers=people["taker"]).json
    assert len(seen) == 2 and all(i["mutual"] for i in seen)
    assert client.get(f"/api/v1/rounds/{round_id}/interests", headers=people["other"]).json == []
    move(client, people["coordinator"], round_id, "pairing")
    run_pairing(client, people["coordinator"], round_id)
    listed = client.get(f"/api/v1/rounds/{round_id}/pairs?mutual=true",
                        headers=people["coordinator"]).json
    assert [(p["taker"]["id"], p["giver"]["id"]) for p in listed] == [(taker.id, giver.id)]


def test_rerun_for_unpaired_keeps_approved_pairs(client, people, open_round):
    round_id, coordinator = open_round["id"], people["coordinator"]
    move(client, coordinator, round_id, "pairing")
    run_pairing(client, coordinator, round_id, method="stable")
    listed = client.get(f"/api/v1/rounds/{round_id}/pairs", headers=coordinator).json
    keep, drop = listed[0], listed[1]
    client.post(f"/api/v1/pairs/{keep['id']}/approve", json={}, headers=coordinator)
    client.post(f"/api/v1/pairs/{drop['id']}/reject", json={"reason": "Wrong region"},
                headers=coordinator)
    run = run_pairing(client, coordinator, round_id, only_unpaired=True)
    approved = db.session.get(Pair, keep["id"])
    db.session.refresh(approved)
    assert approved.status == "approved"
    again = [(p["taker"]["id"], p["giver"]["id"]) for p in client.get(
        f"/api/v1/rounds/{round_id}/pairs?status=proposed", headers=coordinator).json]
    assert (drop["taker"]["id"], drop["giver"]["id"]) not in again
    assert run["summary"]["kept"] >= 1


def test_stated_interest_raises_exactly_the_chosen_pairs(app, people, open_round):
    import numpy as np

    from spread.models import Interest
    from spread.matchmaking.pairing_run import INTEREST_BONUS, with_interest

    takers, givers = open_round["takers"], open_round["givers"]
    db.session.add_all([
        Interest(round_id=open_round["id"], from_profile_id=takers[0].id,
                 to_profile_id=givers[1].id),
        Interest(round_id=open_round["id"], from_profile_id=givers[1].id,
                 to_profile_id=takers[0].id),
        Interest(round_id=open_round["id"], from_profile_id=takers[2].id,
                 to_profile_id=givers[0].id),
    ])
    db.session.commit()
    scores = np.full((3, 2), 0.3)
    raised = with_interest(open_round["id"], scores, takers, givers) - scores
    expected = np.zeros((3, 2))
    expected[0, 1], expected[2, 0] = 2 * INTEREST_BONUS, INTEREST_BONUS
    assert np.allclose(raised, expected)
