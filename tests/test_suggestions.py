"""Partner suggestions in the API, the pages and the command line; the index follows changes."""
import pytest

from spread.matchmaking.engine import engine


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


def test_reasons_match_a_fresh_explanation_of_the_pair(client, token_for, profiles):
    # The service explains with the features the partner was ranked on; same answer as
    # transforming both profiles again.
    from spread.matchmaking.adapter import profile_to_matching

    response = client.get(f"/api/v1/profiles/{profiles['taker'].id}/suggestions",
                          headers=token_for(profiles["owner"]))
    model = engine().index().model
    taker = profile_to_matching(profiles["taker"])
    partners = {p.id: p for p in (profiles["good"], profiles["poor"])}
    assert len(response.json) == 2
    for suggestion in response.json:
        fresh = model.explain(taker, profile_to_matching(partners[suggestion["profile"]["id"]]))
        reasons = suggestion["reasons"]
        numbers = ("score", "text")
        assert {k: reasons[k] for k in numbers} == pytest.approx({k: fresh[k] for k in numbers},
                                                                  abs=1e-4)
        assert reasons["components"] == pytest.approx(fresh["components"], abs=1e-4)
        assert {k: v for k, v in reasons.items() if k not in numbers + ("components",)} == \
            {k: v for k, v in fresh.items() if k not in numbers + ("components",)}
        assert suggestion["score"] == pytest.approx(fresh["score"], abs=1e-4)


def test_token_use_is_recorded_without_holding_a_lock_per_request(app, client, token_for,
                                                                  profiles):
    from sqlalchemy import select

    from spread.extensions import db
    from spread.models import ApiToken

    headers = token_for(profiles["owner"])
    url = f"/api/v1/profiles/{profiles['taker'].id}/suggestions"

    def last_used():
        with db.engine.connect() as connection:  # what other processes see: committed only
            return connection.scalar(select(ApiToken.last_used_at))

    assert last_used() is None
    assert client.get(url, headers=headers).status_code == 200
    first = last_used()
    assert first is not None, "a GET must record the token's use (committed)"
    assert client.get(url, headers=headers).status_code == 200
    assert last_used() == first, "used again within a minute: no write"


@pytest.fixture
def many_profiles(create_profile, create_organisation, create_user):
    """80 profiles of both sides in six organisations, with varied fields."""
    from matching.synthetic import make_profiles

    organisations = [create_organisation() for _ in range(6)]
    owner = create_user()
    regions = ["hovedstaden", "sjaelland", "syddanmark", "midtjylland", "nordjylland", None]
    sectors = [["elderly_care"], ["environment"], ["education"], [], ["elderly_care", "health"]]
    return [create_profile("giver" if i % 3 == 0 else "taker", owner=owner,
                           organisation=organisations[i % 6], title=f"Profil {i}",
                           description=raw["text"], sectors=sectors[i % 5],
                           target_groups=["citizens"] if i % 4 else [], region=regions[i % 6])
            for i, raw in enumerate(make_profiles(80, random_state=11))]


def _same_reasons(reasons, fresh):
    """Equal reasons: rounded numbers within one unit of their last digit, the rest exactly."""
    numbers = ("score", "text", "components")
    assert {k: v for k, v in reasons.items() if k not in numbers} == \
        {k: v for k, v in fresh.items() if k not in numbers}
    assert [reasons["score"], reasons["text"]] == pytest.approx([fresh["score"], fresh["text"]],
                                                                abs=1e-4)
    assert reasons["components"] == pytest.approx(fresh["components"], abs=1e-4)


@pytest.mark.parametrize("k", [1, 10, 50, 60])
def test_table_gives_the_live_results(app, many_profiles, k):
    # The table of every profile's best partners (built with the index) and the live scoring
    # of a profile (transformed again, scored against every candidate, explained anew) agree:
    # same partners in the same order, same scores and reasons. k=60 is beyond the table.
    from spread.extensions import db
    from spread.matchmaking.adapter import profile_to_matching
    from spread.matchmaking.index import MAX_K
    from spread.matchmaking.suggestions import suggestions_for
    from spread.models import Profile

    index = engine().index()
    assert set(index.table) == {"giver", "taker"}
    assert index.table["taker"][0].shape[1] == min(MAX_K + 5, len(index.ids["giver"]))
    for original in many_profiles:
        profile = db.session.get(Profile, original.id)
        fast = suggestions_for(profile, k=k)
        again = suggestions_for(profile, k=k)  # reasons from the cache this time
        live = suggestions_for(profile, k=k, live=True)
        assert fast, "every profile has partners in other organisations"
        assert [s.profile.id for s in fast] == [s.profile.id for s in again] == \
            [s.profile.id for s in live]
        assert [s.score for s in fast] == pytest.approx([s.score for s in live], abs=1e-6)
        assert [s.reasons for s in fast] == [s.reasons for s in again]
        for s, other in zip(fast, live):
            _same_reasons(s.reasons, other.reasons)
            assert s.profile.organisation_id != profile.organisation_id
        # ... and a fresh explanation of the pair, from the two profiles alone
        query, partner = profile_to_matching(profile), profile_to_matching(fast[0].profile)
        pair = (partner, query) if profile.is_giver else (query, partner)
        _same_reasons(fast[0].reasons, index.model.explain(*pair))


def test_api_serves_table_prefixes(client, token_for, many_profiles):
    headers = token_for(many_profiles[0].owner)
    for profile in many_profiles[:10]:
        url = f"/api/v1/profiles/{profile.id}/suggestions"
        top = client.get(f"{url}?k=50", headers=headers).json
        for k in (1, 3, 10):
            assert client.get(f"{url}?k={k}", headers=headers).json == top[:k]


def test_suggestions_change_at_once_after_the_profile_is_edited(client, token_for, profiles):
    headers = token_for(profiles["owner"])
    url = f"/api/v1/profiles/{profiles['taker'].id}/suggestions"
    before = client.get(url, headers=headers).json
    assert [s["profile"]["id"] for s in before] == [profiles["good"].id, profiles["poor"].id]
    response = client.patch(f"/api/v1/profiles/{profiles['taker'].id}",
                            json={"title": "Skybrud",
                                  "description": "Klimatilpasning: regnvandsbede mod skybrud.",
                                  "sectors": ["environment"]},
                            headers=headers)
    assert response.status_code == 200
    after = client.get(url, headers=headers).json
    assert [s["profile"]["id"] for s in after] == [profiles["poor"].id, profiles["good"].id]
    assert "environment" in after[0]["reasons"]["shared_sectors"]
    assert after[0]["reasons"] != before[1]["reasons"]


def test_stale_index_scores_an_edited_profile_live(app, client, token_for, profiles):
    # While a large index refits in the background, the old table must not answer for a
    # profile that changed since: it is transformed again and scored live.
    app.config["SUGGESTIONS_SYNC_REFIT_LIMIT"] = 0
    headers = token_for(profiles["owner"])
    url = f"/api/v1/profiles/{profiles['taker'].id}/suggestions"
    client.get(url, headers=headers)
    stale = engine().index()
    engine()._refit_in_background = lambda version: None  # keep the stale index in use
    client.patch(f"/api/v1/profiles/{profiles['taker'].id}",
                 json={"description": "Klimatilpasning: regnvandsbede mod skybrud.",
                       "sectors": ["environment"]}, headers=headers)
    after = client.get(url, headers=headers).json
    assert engine().index() is stale
    assert [s["profile"]["id"] for s in after] == [profiles["poor"].id, profiles["good"].id]


def test_two_queries_per_request_for_the_suggestions(app, client, token_for, profiles):
    # The token with its user; the profile with the profiles version and the partners the
    # table ranks, with their organisation. Nothing is loaded lazily while serialising.
    from sqlalchemy import event

    from spread.extensions import db

    headers = token_for(profiles["owner"])
    url = f"/api/v1/profiles/{profiles['taker'].id}/suggestions"
    client.get(url, headers=headers)  # the index, the token's use
    statements = []
    listener = lambda *args: statements.append(args[2])
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url, headers=headers).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) <= 2, statements


def test_reasons_are_dumped_as_the_reasons_schema_would(client, token_for, profiles):
    from spread.schemas.suggestions import ReasonsSchema

    response = client.get(f"/api/v1/profiles/{profiles['taker'].id}/suggestions",
                          headers=token_for(profiles["owner"]))
    assert response.json
    for suggestion in response.json:
        assert suggestion["reasons"] == ReasonsSchema().dump(suggestion["reasons"])
        assert set(suggestion["reasons"]) == set(ReasonsSchema._declared_fields)
