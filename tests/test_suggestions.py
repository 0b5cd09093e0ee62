"""Partner suggestions in the API, the pages and the command line; the index follows changes."""
import pytest

from spread.services.suggestions import engine


@pytest.fixture
def profiles(create_profile, create_organisation, create_user):
    home, away, third = create_organisation(), create_organisation(), create_organisation()
    owner = create_user()
    return {
        "taker": create_profile("taker", owner=owner, organisation=home, title="Ældrepleje",
                                description="Vi vil styrke pleje af ældre og hjælp i hjemmet.",
                                sectors=["elderly_care"], region="midtjylland"),
        "colleague": create_profile("giver", organisation=home, title="Egen hjemmehjælp",
                                    description="Hjemmehjælp og ældrepleje med træning.",
                                    sectors=["elderly_care"]),
        "good": create_profile("giver", organisation=away, title="Hverdagsrehabilitering",
                               description="Ældrepleje: hjemmehjælp med træning i eget hjem.",
                               sectors=["elderly_care"], region="midtjylland"),
        "poor": create_profile("giver", organisation=third, title="Regnvandsbede",
                               description="Klimatilpasning med regnvandsbede mod skybrud.",
                               sectors=["environment"]),
        "owner": owner,
    }


def test_api_suggestions_rank_with_reasons_and_skip_own_organisation(client, token_for, profiles):
    response = client.get(f"/api/v1/profiles/{profiles['taker'].id}/suggestions?k=5",
                          headers=token_for(profiles["owner"]))
    assert response.status_code == 200
    ids = [s["profile"]["id"] for s in response.json]
    assert ids == [profiles["good"].id, profiles["poor"].id]
    best = response.json[0]
    assert best["score"] > response.json[1]["score"]
    assert "elderly_care" in best["reasons"]["shared_sectors"]
    assert best["reasons"]["same_region"] is True
    assert {"ældre", "pleje"} & set(best["reasons"]["shared_terms"])


@pytest.mark.parametrize("query", ["k=0", "k=51", "k=x", "other=1"])
def test_bad_suggestion_queries_are_422(client, token_for, profiles, query):
    response = client.get(f"/api/v1/profiles/{profiles['taker'].id}/suggestions?{query}",
                          headers=token_for(profiles["owner"]))
    assert response.status_code == 422


def test_suggestions_need_login_and_an_existing_profile(client, token_for, profiles):
    assert client.get(f"/api/v1/profiles/{profiles['taker'].id}/suggestions").status_code == 401
    response = client.get("/api/v1/profiles/999999/suggestions",
                          headers=token_for(profiles["owner"]))
    assert response.status_code == 404


def test_profile_page_shows_suggestions(client, login, profiles):
    login(profiles["owner"])
    page = client.get(f"/profiles/{profiles['taker'].id}",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Suggested givers" in page
    assert page.index("Hverdagsrehabilitering") < page.index("Regnvandsbede")
    assert "Egen hjemmehjælp" not in page


def test_command_line_prints_the_same(runner, profiles):
    result = runner.invoke(args=["suggestions", "--profile", str(profiles["taker"].id)])
    assert result.exit_code == 0, result.output
    assert "Hverdagsrehabilitering" in result.output and "Egen hjemmehjælp" not in result.output
    assert runner.invoke(args=["suggestions", "--profile", "999999"]).exit_code != 0


def test_index_is_reused_and_follows_changes(client, token_for, profiles, create_profile,
                                             create_organisation):
    headers = token_for(profiles["owner"])
    url = f"/api/v1/profiles/{profiles['taker'].id}/suggestions"
    client.get(url, headers=headers)
    first = engine().index()
    client.get(url, headers=headers)
    assert engine().index() is first, "an unchanged database must not refit"

    response = client.patch(f"/api/v1/profiles/{profiles['poor'].id}",
                            json={"title": "Hjemmehjælp til ældre",
                                  "description": "Ældrepleje og hjælp i hjemmet, pleje af ældre.",
                                  "sectors": ["elderly_care"]},
                            headers=token_for(profiles["poor"].owner))
    assert response.status_code == 200
    ranked = [s["profile"]["id"] for s in client.get(url, headers=headers).json]
    assert engine().index() is not first
    assert ranked[0] in (profiles["good"].id, profiles["poor"].id)
    assert profiles["poor"].id in ranked[:2]

    client.post(f"/api/v1/profiles/{profiles['good'].id}/archive",
                headers=token_for(profiles["good"].owner))
    ranked = [s["profile"]["id"] for s in client.get(url, headers=headers).json]
    assert profiles["good"].id not in ranked


def test_large_indexes_refit_in_the_background(app, client, token_for, profiles):
    app.config["SUGGESTIONS_SYNC_REFIT_LIMIT"] = 0
    headers = token_for(profiles["owner"])
    url = f"/api/v1/profiles/{profiles['taker'].id}/suggestions"
    client.get(url, headers=headers)
    stale = engine().index()
    client.post(f"/api/v1/profiles/{profiles['poor'].id}/archive",
                headers=token_for(profiles["poor"].owner))
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    # The stale index answered, but archived partners are filtered out all the same.
    assert profiles["poor"].id not in [s["profile"]["id"] for s in response.json]
    engine().wait_for_refit(timeout=30)
    assert engine().index() is not stale
