"""The coordinators' dashboard of a round: counts, unpaired profiles and why, fit histogram."""
import re
from datetime import date

import pytest

from spread.services.dashboard import score_histogram
from tests.rounds_helpers import move, run_pairing


@pytest.fixture
def app(app):
    app.config["PAIRING_IN_BACKGROUND"] = False
    return app


@pytest.fixture
def board_round(client, create_user, create_organisation, create_profile, token_for):
    """A round after a pairing run: two pairs, a taker with no allowed partner, one free giver."""
    coordinator = create_user(role="coordinator")
    headers = token_for(coordinator)
    round_id = client.post("/api/v1/rounds/", json={"name": "Runde 2027", "min_fit": 0.0},
                           headers=headers).json["id"]
    move(client, headers, round_id, "open")
    home, away = create_organisation(name="Aarhus Kommune"), create_organisation()
    givers = [
        create_profile("giver", organisation=home, capacity=1, title="Hverdagsrehabilitering",
                       sectors=["elderly_care"]),
        create_profile("giver", organisation=home, capacity=1, title="Regnvandsbede",
                       sectors=["environment"],
                       description="Klimatilpasning med regnvandsbede og skybrudssikring."),
        create_profile("giver", organisation=away, capacity=1, title="Ledig giver"),
    ]
    takers = [
        create_profile("taker", organisation=away, title="Ældrepleje", sectors=["elderly_care"]),
        create_profile("taker", organisation=away, title="Skybrud", sectors=["environment"],
                       description="Skybrud oversvømmer byen; vi søger klimatilpasning."),
        # its only partner outside its own organisation is not available then
        create_profile("taker", organisation=home, title="Isoleret tager",
                       available_from=date(2030, 1, 1), available_until=date(2030, 2, 1)),
    ]
    for profile in givers + takers:
        r = client.post(f"/api/v1/rounds/{round_id}/enrolments",
                        json={"profile_id": profile.id}, headers=headers)
        assert r.status_code == 201, r.json
    move(client, headers, round_id, "pairing")
    return {"id": round_id, "headers": headers, "coordinator": coordinator,
            "givers": givers, "takers": takers}


def test_dashboard_json_counts_and_unpaired_reasons(client, board_round):
    round_id, headers = board_round["id"], board_round["headers"]
    before = client.get(f"/api/v1/rounds/{round_id}/dashboard", headers=headers).json
    assert before["latest_run"] is None and before["unpaired"] == []
    assert before["enrolments"] == {"giver": 3, "taker": 3}

    run = run_pairing(client, headers, round_id)
    board = client.get(f"/api/v1/rounds/{round_id}/dashboard", headers=headers).json
    assert board["state"] == "review" and board["round_id"] == round_id
    assert board["latest_run"]["id"] == run["id"]
    proposed = board["pairs"]["proposed"]
    assert proposed == run["summary"]["pairs"] and board["pairs"]["approved"] == 0
    assert set(board["pairs"]) == {"proposed", "approved", "rejected", "closed"}
    assert sum(b["count"] for b in board["histogram"]) == proposed == board["scored_pairs"]
    assert len(board["histogram"]) == 10 and board["histogram"][0]["low"] == 0.0

    reasons = {u["profile"]["title"]: u["reason"] for u in board["unpaired"]}
    summary = {int(k): v for k, v in run["summary"]["unpaired"].items()}
    assert len(reasons) == len(summary)
    assert reasons["Isoleret tager"] == "no_allowed_partner"
    for item in board["unpaired"]:
        assert item["reason"] in ("no_allowed_partner", "below_min_fit", "capacity")
        assert item["reason_text"]

    # approving a pair moves it between the counters; the histogram keeps counting it
    pair = client.get(f"/api/v1/rounds/{round_id}/pairs", headers=headers).json[0]
    assert client.post(f"/api/v1/pairs/{pair['id']}/approve", json={},
                       headers=headers).status_code == 200
    after = client.get(f"/api/v1/rounds/{round_id}/dashboard", headers=headers).json
    assert after["pairs"]["approved"] == 1 and after["pairs"]["proposed"] == proposed - 1
    assert after["scored_pairs"] == proposed
    assert after["places"]["giver_taken"] == 1 and after["places"]["giver_capacity"] == 3


def test_the_reasons_follow_the_constraints(client, board_round):
    round_id, headers = board_round["id"], board_round["headers"]
    r = client.patch(f"/api/v1/rounds/{round_id}", json={"min_fit": 0.99}, headers=headers)
    assert r.status_code == 200, r.json
    run_pairing(client, headers, round_id)
    board = client.get(f"/api/v1/rounds/{round_id}/dashboard", headers=headers).json
    reasons = {u["profile"]["title"]: u["reason"] for u in board["unpaired"]}
    assert reasons["Ældrepleje"] == "below_min_fit"
    assert board["pairs"]["proposed"] == 0 and board["scored_pairs"] == 0


def test_a_profile_paired_by_hand_since_the_run_leaves_the_list(client, board_round):
    round_id, headers = board_round["id"], board_round["headers"]
    client.patch(f"/api/v1/rounds/{round_id}", json={"min_fit": 0.99}, headers=headers)
    run_pairing(client, headers, round_id)
    taker, giver = board_round["takers"][0], board_round["givers"][0]
    r = client.post(f"/api/v1/rounds/{round_id}/pairs",
                    json={"taker_id": taker.id, "giver_id": giver.id}, headers=headers)
    assert r.status_code == 201, r.json
    board = client.get(f"/api/v1/rounds/{round_id}/dashboard", headers=headers).json
    titles = {u["profile"]["title"] for u in board["unpaired"]}
    assert "Ældrepleje" not in titles and "Hverdagsrehabilitering" not in titles
    assert board["scored_pairs"] == 1


def test_dashboard_page_has_an_accessible_chart_and_links(client, board_round, login):
    round_id, headers = board_round["id"], board_round["headers"]
    client.patch(f"/api/v1/rounds/{round_id}", json={"min_fit": 0.99}, headers=headers)
    run_pairing(client, headers, round_id)
    login(board_round["coordinator"])
    client.get("/language/en")
    response = client.get(f"/rounds/{round_id}/dashboard")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert 'role="img"' in svg and 'aria-labelledby="fit-chart-title fit-chart-desc"' in svg
    assert '<title id="fit-chart-title">Histogram of fit scores</title>' in svg
    assert "<script" not in html and "cdn" not in html.lower()
    assert "<caption>Pairs by fit score</caption>" in html
    assert len(re.findall(r'<th scope="row">\d+–\d+%</th>', html)) == 10
    taker = board_round["takers"][0]
    assert f'href="/profiles/{taker.id}"' in html
    assert "Every allowed partner fits below the round's minimum." in html
    assert f'href="/rounds/{round_id}/import"' in html
    assert f'href="/rounds/{round_id}/export.csv"' in html


def test_dashboard_page_draws_one_bar_per_filled_step(client, board_round, login):
    round_id, headers = board_round["id"], board_round["headers"]
    run = run_pairing(client, headers, round_id)
    login(board_round["coordinator"])
    html = client.get(f"/rounds/{round_id}/dashboard").get_data(as_text=True)
    board = client.get(f"/api/v1/rounds/{round_id}/dashboard", headers=headers).json
    filled = sum(1 for b in board["histogram"] if b["count"])
    assert html.count("<rect ") == filled and filled >= (1 if run["summary"]["pairs"] else 0)


@pytest.mark.parametrize("scores, counts", [
    ([], [0] * 10),
    ([0.0, 0.3, 0.29999, 1.0, 0.999, 1.2, -0.1], [2, 0, 1, 1, 0, 0, 0, 0, 0, 3]),
])
def test_score_histogram_bins(scores, counts):
    bins = score_histogram(scores)
    assert [b.count for b in bins] == counts
    assert bins[3].low == 0.3 and bins[-1].high == 1.0
