"""API: giver and taker profiles — create, validation, partial updates, permissions,
browse and search with filters and paging, archiving."""
from datetime import date

import pytest
from sqlalchemy import func, select

from spread.extensions import db
from spread.models import Profile, Role


@pytest.fixture(autouse=True)
def english(client):
    """Ask for English messages; the default interface language is Danish."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

URL = "/api/v1/profiles/"


def item_url(profile_id: int) -> str:
    return f"/api/v1/profiles/{profile_id}"


def profile_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Profile.id)))


def reload(profile: Profile) -> Profile:
    """The profile as it is stored now (not as this session remembers it)."""
    profile_id = profile.id
    db.session.expire_all()
    return db.session.get(Profile, profile_id)


def assert_error_shape(response, code: int) -> dict:
    assert response.status_code == code, response.json
    assert set(response.json) == {"code", "message", "errors"}
    assert response.json["code"] == code
    return response.json["errors"]


def giver_payload(organisation_id: int, **changes) -> dict:
    payload = {
        "side": "giver",
        "organisation_id": organisation_id,
        "language": "da",
        "title": "Hverdagsrehabilitering i hjemmeplejen",
        "description": "Ældre borgere træner dagligdags gøremål i eget hjem.",
        "problem": "For mange ældre mister færdigheder og får mere hjælp end nødvendigt.",
        "outcomes": "30 % færre visiterede timer efter et år.",
        "keywords": ["rehabilitering", "ældrepleje", "træning"],
        "sectors": ["elderly_care", "health"],
        "target_groups": ["elderly", "relatives"],
        "facet": "enhancement",
        "level": "municipal",
        "region": "midtjylland",
        "capacity": 3,
        "available_from": "2027-02-01",
        "available_until": "2027-05-31",
    }
    payload.update(changes)
    return payload


def taker_payload(organisation_id: int, **changes) -> dict:
    payload = {
        "side": "taker",
        "organisation_id": organisation_id,
        "language": "en",
        "title": "Too many missed appointments",
        "description": "Patients miss hospital appointments and the slots go unused.",
        "problem": "Reminders by letter arrive too late.",
        "hopes": "A proven reminder system we can copy.",
        "keywords": ["reminders"],
        "sectors": ["health"],
        "target_groups": ["patients"],
        "level": "regional",
        "region": "hovedstaden",
        "available_from": "2027-03-01",
        "available_until": "2027-03-31",
    }
    payload.update(changes)
    return payload


# --- create -----------------------------------------------------------------------------------


def test_create_giver_with_every_field(client, create_user, create_organisation, token_for):
    owner = create_user(name="Mette Hansen")
    org = create_organisation(name="Aarhus Kommune")
    payload = giver_payload(org.id)
    response = client.post(URL, headers=token_for(owner), json=payload)
    assert response.status_code == 201, response.json
    body = response.json
    for key, value in payload.items():
        assert body[key] == value, key
    assert body["owner"] == {"id": owner.id, "name": "Mette Hansen"}
    assert body["organisation"] == {"id": org.id, "name": "Aarhus Kommune",
                                    "kind": "municipality"}
    assert body["archived"] is False and body["hopes"] is None

    stored = db.session.get(Profile, body["id"])
    assert stored.owner_id == owner.id and stored.organisation_id == org.id
    assert stored.sectors == ["elderly_care", "health"]
    assert stored.target_groups == ["elderly", "relatives"]
    assert stored.available_from == date(2027, 2, 1)
    assert stored.available_until == date(2027, 5, 31)


def test_create_taker_with_every_field(client, create_user, create_organisation, token_for):
    owner = create_user()
    org = create_organisation(kind="region", region="hovedstaden")
    payload = taker_payload(org.id)
    response = client.post(URL, headers=token_for(owner), json=payload)
    assert response.status_code == 201, response.json
    body = response.json
    for key, value in payload.items():
        assert body[key] == value, key
    assert body["capacity"] is None and body["outcomes"] is None and body["facet"] is None


def test_minimal_profile_gets_defaults(client, create_user, create_organisation, token_for):
    org = create_organisation()
    response = client.post(URL, headers=token_for(create_user()), json={
        "side": "giver", "organisation_id": org.id, "title": "T", "description": "D"})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["capacity"] == 1
    assert body["language"] == "da" and body["problem"] == ""
    assert body["keywords"] == [] and body["sectors"] == [] and body["target_groups"] == []
    for key in ("facet", "level", "region", "available_from", "available_until", "outcomes"):
        assert body[key] is None, key


@pytest.mark.parametrize("capacity, stored", [(None, 1), (1, 1), (10, 10)])
def test_giver_capacity_defaults_to_one(client, create_user, create_organisation, token_for,
                                        capacity, stored):
    org = create_organisation()
    payload = giver_payload(org.id, capacity=capacity)
    response = client.post(URL, headers=token_for(create_user()), json=payload)
    assert response.status_code == 201, response.json
    assert response.json["capacity"] == stored


def test_clearing_a_givers_capacity_restores_the_default(client, create_user, create_profile,
                                                         token_for):
    owner = create_user()
    profile = create_profile(owner=owner, capacity=4)
    response = client.patch(item_url(profile.id), headers=token_for(owner),
                            json={"capacity": None})
    assert response.status_code == 200, response.json
    assert response.json["capacity"] == 1 and reload(profile).capacity == 1


def test_danish_text_round_trips_unchanged(client, create_user, create_organisation, token_for):
    org = create_organisation(name="Ærø Kommune")
    text = "Ærlig snak om øget trivsel på Ærø – “både” børn & ældre ½ år ✓"
    payload = giver_payload(org.id, title=text, description=text + "\nNy linje.",
                            keywords=["æblemost", "Østerbro", "Å-løb"])
    headers = token_for(create_user())
    created = client.post(URL, headers=headers, json=payload)
    assert created.status_code == 201, created.json
    shown = client.get(item_url(created.json["id"]), headers=headers).json
    assert shown["title"] == text
    assert shown["description"] == text + "\nNy linje."
    assert shown["keywords"] == ["æblemost", "Østerbro", "Å-løb"]
    assert shown["organisation"]["name"] == "Ærø Kommune"


@pytest.mark.parametrize("side, changes, field", [
    ("taker", {"capacity": 2}, "capacity"),
    ("taker", {"outcomes": "Gode resultater"}, "outcomes"),
    ("giver", {"hopes": "Vi håber"}, "hopes"),
    ("giver", {"available_from": "2027-06-01", "available_until": "2027-05-31"},
     "available_until"),
    ("taker", {"available_from": "2027-06-01", "available_until": "2027-01-01"},
     "available_until"),
    ("giver", {"available_from": "1. juni 2027"}, "available_from"),
    ("giver", {"sectors": ["health", "space_travel"]}, "sectors"),
    ("giver", {"sectors": "health"}, "sectors"),
    ("giver", {"target_groups": ["martians"]}, "target_groups"),
    ("giver", {"region": "skåne"}, "region"),
    ("giver", {"level": "galactic"}, "level"),
    ("giver", {"facet": "random"}, "facet"),
    ("giver", {"language": "sv"}, "language"),
    ("giver", {"side": "both"}, "side"),
    ("giver", {"capacity": 0}, "capacity"),
    ("giver", {"capacity": 11}, "capacity"),
    ("giver", {"capacity": "many"}, "capacity"),
    ("giver", {"title": ""}, "title"),
    ("giver", {"title": "   "}, "title"),
    ("giver", {"title": "x" * 201}, "title"),
    ("giver", {"description": ""}, "description"),
    ("giver", {"keywords": ["x" * 61]}, "keywords"),
    ("giver", {"keywords": [f"k{i}" for i in range(31)]}, "keywords"),
    ("giver", {"organisation_id": "abc"}, "organisation_id"),
    ("giver", {"owner_id": 1}, "owner_id"),
    ("giver", {"archived": True}, "archived"),
    ("giver", {"colour": "blue"}, "colour"),
])
def test_invalid_profile_is_422_with_field_error_and_saves_nothing(
        client, create_user, create_organisation, token_for, side, changes, field):
    org = create_organisation()
    base = giver_payload(org.id) if side == "giver" else taker_payload(org.id)
    response = client.post(URL, headers=token_for(create_user()), json={**base, **changes})
    errors = assert_error_shape(response, 422)
    assert field in errors, errors
    assert profile_count() == 0


@pytest.mark.parametrize("missing", ["side", "organisation_id", "title", "description"])
def test_required_fields(client, create_user, create_organisation, token_for, missing):
    payload = giver_payload(create_organisation().id)
    del payload[missing]
    errors = assert_error_shape(
        client.post(URL, headers=token_for(create_user()), json=payload), 422)
    assert errors[missing] == ["Missing data for required field."]
    assert profile_count() == 0


def test_unknown_field_message(client, create_user, create_organisation, token_for):
    payload = giver_payload(create_organisation().id, colour="blue")
    errors = assert_error_shape(
        client.post(URL, headers=token_for(create_user()), json=payload), 422)
    assert errors == {"colour": ["Unknown field."]}


def test_side_specific_messages(client, create_user, create_organisation, token_for):
    org = create_organisation()
    headers = token_for(create_user())
    errors = assert_error_shape(client.post(URL, headers=headers, json=taker_payload(
        org.id, capacity=2, outcomes="x")), 422)
    assert errors == {"capacity": ["Only givers have this field."],
                      "outcomes": ["Only givers have this field."]}
    errors = assert_error_shape(client.post(URL, headers=headers, json=giver_payload(
        org.id, hopes="x")), 422)
    assert errors == {"hopes": ["Only takers have this field."]}


def test_window_may_be_one_day_or_open_ended(client, create_user, create_organisation, token_for):
    org = create_organisation()
    headers = token_for(create_user())
    for window in ({"available_from": "2027-05-01", "available_until": "2027-05-01"},
                   {"available_from": "2027-05-01", "available_until": None},
                   {"available_from": None, "available_until": "2027-05-01"}):
        response = client.post(URL, headers=headers, json=giver_payload(org.id, **window))
        assert response.status_code == 201, (window, response.json)


@pytest.mark.parametrize("archived", [False, True])
def test_unknown_or_archived_organisation_is_422(client, create_user, create_organisation,
                                                token_for, archived):
    from spread.services.archiving import set_archived

    if archived:
        org = create_organisation()
        set_archived(org, True)
        db.session.commit()
        organisation_id = org.id
    else:
        organisation_id = 999999
    response = client.post(URL, headers=token_for(create_user()),
                           json=giver_payload(organisation_id))
    errors = assert_error_shape(response, 422)
    assert list(errors) == ["organisation_id"]
    assert profile_count() == 0


def test_create_needs_login(client, create_organisation):
    response = client.post(URL, json=giver_payload(create_organisation().id))
    assert_error_shape(response, 401)
    assert profile_count() == 0


def test_caller_cannot_choose_another_owner(client, create_user, create_organisation, token_for):
    caller, other = create_user(), create_user()
    response = client.post(URL, headers=token_for(caller),
                           json=giver_payload(create_organisation().id, owner={"id": other.id}))
    assert response.status_code == 422 and "owner" in response.json["errors"]


# --- PATCH ------------------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(client, create_user, create_profile, token_for):
    owner = create_user()
    profile = create_profile(owner=owner, title="Før", sectors=["health"], keywords=["a"],
                             region="sjaelland")
    response = client.patch(item_url(profile.id), headers=token_for(owner),
                            json={"title": "Efter", "sectors": ["education", "daycare"]})
    assert response.status_code == 200, response.json
    stored = reload(profile)
    assert stored.title == "Efter"
    assert stored.sectors == ["daycare", "education"]
    assert stored.keywords == ["a"] and stored.region == "sjaelland"
    assert stored.side == "giver" and stored.capacity == 1


def test_patch_can_clear_optional_fields(client, create_user, create_profile, token_for):
    owner = create_user()
    profile = create_profile(owner=owner, region="sjaelland", level="municipal",
                             sectors=["health"], target_groups=["elderly"])
    response = client.patch(item_url(profile.id), headers=token_for(owner), json={
        "region": None, "level": None, "sectors": [], "target_groups": [],
        "available_from": None, "available_until": None})
    assert response.status_code == 200, response.json
    stored = reload(profile)
    assert stored.region is None and stored.level is None
    assert stored.sectors == [] and stored.target_groups == []
    assert stored.available_from is None and stored.available_until is None


def test_patch_moves_profile_to_another_organisation(client, create_user, create_organisation,
                                                     create_profile, token_for):
    owner = create_user()
    profile = create_profile(owner=owner)
    target = create_organisation(name="Ny Kommune")
    response = client.patch(item_url(profile.id), headers=token_for(owner),
                            json={"organisation_id": target.id})
    assert response.status_code == 200, response.json
    assert response.json["organisation"]["name"] == "Ny Kommune"
    assert reload(profile).organisation_id == target.id


@pytest.mark.parametrize("side", ["giver", "taker"])
def test_side_cannot_change(client, create_user, create_profile, token_for, side):
    owner = create_user()
    profile = create_profile(side=side, owner=owner, title="Uændret")
    other = "taker" if side == "giver" else "giver"
    response = client.patch(item_url(profile.id), headers=token_for(owner),
                            json={"side": other, "title": "Ændret"})
    errors = assert_error_shape(response, 422)
    assert errors == {"side": ["Unknown field."]}
    stored = reload(profile)
    assert stored.side == side and stored.title == "Uændret"


@pytest.mark.parametrize("existing, change", [
    ({"available_from": date(2027, 1, 1), "available_until": date(2027, 6, 30)},
     {"available_until": "2026-12-31"}),
    ({"available_from": date(2027, 1, 1), "available_until": date(2027, 6, 30)},
     {"available_from": "2027-07-01"}),
    ({"available_from": None, "available_until": date(2027, 6, 30)},
     {"available_from": "2027-07-01"}),
    ({"available_from": date(2027, 1, 1), "available_until": None},
     {"available_until": "2026-01-01"}),
])
def test_patch_against_the_stored_window_is_422_and_saves_nothing(
        client, create_user, create_profile, token_for, existing, change):
    owner = create_user()
    profile = create_profile(owner=owner, title="Uændret", **existing)
    response = client.patch(item_url(profile.id), headers=token_for(owner),
                            json={"title": "Ændret", **change})
    errors = assert_error_shape(response, 422)
    assert list(errors) == ["available_until"]
    stored = reload(profile)
    assert stored.title == "Uændret"
    assert (stored.available_from, stored.available_until) == (
        existing["available_from"], existing["available_until"])


def test_patch_widening_the_window_is_fine(client, create_user, create_profile, token_for):
    owner = create_user()
    profile = create_profile(owner=owner)
    response = client.patch(item_url(profile.id), headers=token_for(owner),
                            json={"available_from": "2026-12-01"})
    assert response.status_code == 200, response.json
    assert reload(profile).available_from == date(2026, 12, 1)


@pytest.mark.parametrize("side, change", [
    ("taker", {"capacity": 2}),
    ("taker", {"outcomes": "Resultater"}),
    ("giver", {"hopes": "Håb"}),
])
def test_patch_side_specific_fields_on_the_wrong_side(client, create_user, create_profile,
                                                      token_for, side, change):
    owner = create_user()
    profile = create_profile(side=side, owner=owner, title="Uændret")
    response = client.patch(item_url(profile.id), headers=token_for(owner),
                            json={"title": "Ændret", **change})
    errors = assert_error_shape(response, 422)
    assert list(errors) == list(change)
    assert reload(profile).title == "Uændret"


@pytest.mark.parametrize("archived", [False, True])
def test_patch_to_unknown_or_archived_organisation_saves_nothing(
        client, create_user, create_organisation, create_profile, token_for, archived):
    from spread.services.archiving import set_archived

    owner = create_user()
    profile = create_profile(owner=owner, title="Uændret")
    original_org = profile.organisation_id
    if archived:
        target = create_organisation()
        set_archived(target, True)
        db.session.commit()
        organisation_id = target.id
    else:
        organisation_id = 999999
    response = client.patch(item_url(profile.id), headers=token_for(owner),
                            json={"title": "Ændret", "organisation_id": organisation_id})
    errors = assert_error_shape(response, 422)
    assert list(errors) == ["organisation_id"]
    stored = reload(profile)
    assert stored.title == "Uændret" and stored.organisation_id == original_org


def test_profile_of_an_archived_organisation_stays_editable(
        client, create_user, create_organisation, create_profile, token_for):
    from spread.services.archiving import set_archived

    owner = create_user()
    org = create_organisation()
    profile = create_profile(owner=owner, organisation=org)
    set_archived(org, True)
    db.session.commit()
    headers = token_for(owner)
    response = client.patch(item_url(profile.id), headers=headers, json={"title": "Nyt"})
    assert response.status_code == 200, response.json
    # Sending its current organisation back unchanged (as the edit form does) is fine too.
    response = client.patch(item_url(profile.id), headers=headers,
                            json={"title": "Nyere", "organisation_id": org.id})
    assert response.status_code == 200, response.json
    assert reload(profile).title == "Nyere"


@pytest.mark.parametrize("payload, field", [
    ({"title": ""}, "title"),
    ({"title": None}, "title"),
    ({"sectors": ["unknown"]}, "sectors"),
    ({"capacity": 11}, "capacity"),
    ({"owner_id": 5}, "owner_id"),
    ({"id": 5}, "id"),
])
def test_invalid_patch_saves_nothing(client, create_user, create_profile, token_for,
                                     payload, field):
    owner = create_user()
    profile = create_profile(owner=owner, title="Uændret", sectors=["health"])
    response = client.patch(item_url(profile.id), headers=token_for(owner),
                            json={"description": "Ændret", **payload})
    errors = assert_error_shape(response, 422)
    assert field in errors
    stored = reload(profile)
    assert stored.title == "Uændret" and stored.sectors == ["health"]
    assert stored.description != "Ændret"


# --- permissions ------------------------------------------------------------------------------

ACTORS = ["owner", "other", Role.COORDINATOR, Role.ADMIN, "anonymous"]
MAY_EDIT = {"owner": True, "other": False, Role.COORDINATOR: True, Role.ADMIN: True}


def headers_for(who, owner, create_user, token_for) -> dict:
    if who == "anonymous":
        return {}
    if who == "owner":
        return token_for(owner)
    if who == "other":
        return token_for(create_user())
    return token_for(create_user(who))


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("archived", [False, True])
def test_get_permissions(client, create_user, create_profile, token_for, who, archived):
    owner = create_user()
    profile = create_profile(owner=owner, archived_at=None)
    if archived:
        client.post(f"{item_url(profile.id)}/archive", headers=token_for(owner))
    response = client.get(item_url(profile.id),
                          headers=headers_for(who, owner, create_user, token_for))
    if who == "anonymous":
        assert_error_shape(response, 401)
    else:
        assert response.status_code == 200
        assert response.json["id"] == profile.id and response.json["archived"] is archived


@pytest.mark.parametrize("who", ACTORS)
def test_patch_permissions(client, create_user, create_profile, token_for, who):
    owner = create_user()
    profile = create_profile(owner=owner, title="Original")
    response = client.patch(item_url(profile.id), json={"title": "Changed"},
                            headers=headers_for(who, owner, create_user, token_for))
    if who == "anonymous":
        assert_error_shape(response, 401)
    elif MAY_EDIT[who]:
        assert response.status_code == 200
    else:
        assert_error_shape(response, 403)
    expected = "Changed" if MAY_EDIT.get(who) else "Original"
    stored = reload(profile)
    assert stored.title == expected and stored.owner_id == owner.id


@pytest.mark.parametrize("who", ACTORS)
def test_archive_and_restore_permissions(client, create_user, create_profile, token_for, who):
    owner = create_user()
    profile = create_profile(owner=owner)
    headers = headers_for(who, owner, create_user, token_for)

    response = client.post(f"{item_url(profile.id)}/archive", headers=headers)
    if who == "anonymous":
        assert_error_shape(response, 401)
    elif MAY_EDIT[who]:
        assert response.status_code == 200 and response.json["archived"] is True
    else:
        assert_error_shape(response, 403)
    assert reload(profile).archived is bool(MAY_EDIT.get(who))

    client.post(f"{item_url(profile.id)}/archive", headers=token_for(owner))
    response = client.post(f"{item_url(profile.id)}/restore", headers=headers)
    if who == "anonymous":
        assert_error_shape(response, 401)
    elif MAY_EDIT[who]:
        assert response.status_code == 200 and response.json["archived"] is False
    else:
        assert_error_shape(response, 403)
    assert reload(profile).archived is not bool(MAY_EDIT.get(who))


@pytest.mark.parametrize("method, suffix", [
    ("get", ""), ("patch", ""), ("post", "/archive"), ("post", "/restore")])
def test_unknown_profile_is_404(client, create_user, token_for, method, suffix):
    kwargs = {"json": {"title": "x"}} if method == "patch" else {}
    response = getattr(client, method)(item_url(999999) + suffix,
                                       headers=token_for(create_user(Role.ADMIN)), **kwargs)
    assert_error_shape(response, 404)


def test_coordinator_edit_keeps_the_owner(client, create_user, create_profile, token_for):
    owner = create_user()
    profile = create_profile(owner=owner)
    coordinator = create_user(Role.COORDINATOR)
    client.patch(item_url(profile.id), headers=token_for(coordinator), json={"title": "Rettet"})
    assert reload(profile).owner_id == owner.id


# --- browse and search ------------------------------------------------------------------------


def listing(client, headers, **query) -> dict:
    response = client.get(URL, headers=headers, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def titles(body: dict) -> set[str]:
    return {item["title"] for item in body["items"]}


@pytest.fixture
def catalogue(create_user, create_organisation, create_profile):
    """A small set of profiles to filter, owned by ``me`` and others."""
    me, other = create_user(), create_user()
    aarhus = create_organisation(name="Aarhus Kommune")
    region = create_organisation(name="Region Hovedstaden", kind="region", region="hovedstaden")
    create_profile("giver", owner=me, organisation=aarhus, title="Velfærdsteknologi",
                   description="Robotstøvsugere i ældreplejen.", sectors=["elderly_care"],
                   target_groups=["elderly"], region="midtjylland", level="municipal")
    create_profile("giver", owner=other, organisation=region, title="Digital booking",
                   description="Patienter booker selv tider.", sectors=["health"],
                   target_groups=["patients"], region="hovedstaden", level="regional")
    create_profile("taker", owner=other, organisation=aarhus, title="Skolefravær",
                   description="For mange elever bliver væk fra skolen.",
                   sectors=["education", "children_families"],
                   target_groups=["children", "families"], region="midtjylland",
                   level="municipal", capacity=None)
    create_profile("taker", owner=me, organisation=region, title="Ventetider",
                   description="Lange ventetider på akutmodtagelsen.", sectors=["health"],
                   target_groups=["patients"], region="hovedstaden", level="regional",
                   capacity=None)
    return {"me": me, "other": other, "aarhus": aarhus, "region": region}


@pytest.mark.parametrize("query, expected", [
    ({}, {"Velfærdsteknologi", "Digital booking", "Skolefravær", "Ventetider"}),
    ({"side": "giver"}, {"Velfærdsteknologi", "Digital booking"}),
    ({"side": "taker"}, {"Skolefravær", "Ventetider"}),
    ({"sector": "health"}, {"Digital booking", "Ventetider"}),
    ({"sector": "children_families"}, {"Skolefravær"}),
    ({"sector": "transport"}, set()),
    ({"target_group": "patients"}, {"Digital booking", "Ventetider"}),
    ({"target_group": "families"}, {"Skolefravær"}),
    ({"region": "midtjylland"}, {"Velfærdsteknologi", "Skolefravær"}),
    ({"level": "regional"}, {"Digital booking", "Ventetider"}),
    ({"side": "taker", "sector": "health"}, {"Ventetider"}),
    ({"side": "giver", "region": "hovedstaden", "level": "regional", "sector": "health",
      "target_group": "patients"}, {"Digital booking"}),
    ({"side": "giver", "region": "midtjylland", "sector": "health"}, set()),
])
def test_filters(client, token_for, catalogue, query, expected):
    assert titles(listing(client, token_for(catalogue["me"]), **query)) == expected


def test_filter_by_organisation(client, token_for, catalogue):
    headers = token_for(catalogue["me"])
    body = listing(client, headers, organisation_id=catalogue["aarhus"].id)
    assert titles(body) == {"Velfærdsteknologi", "Skolefravær"}
    assert listing(client, headers, organisation_id=999999)["total"] == 0


def test_mine_filter(client, token_for, catalogue):
    assert titles(listing(client, token_for(catalogue["me"]), mine="true")) == {
        "Velfærdsteknologi", "Ventetider"}
    assert titles(listing(client, token_for(catalogue["other"]), mine="true")) == {
        "Digital booking", "Skolefravær"}
    assert listing(client, token_for(catalogue["me"]), mine="false")["total"] == 4


def test_a_profile_with_several_matching_codes_is_listed_once(client, create_user,
                                                              create_profile, token_for):
    create_profile(sectors=["health", "elderly_care"], target_groups=["elderly", "patients"])
    body = listing(client, token_for(create_user()), sector="health", target_group="patients")
    assert body["total"] == 1 and len(body["items"]) == 1


@pytest.mark.parametrize("query, field", [
    ({"side": "both"}, "side"),
    ({"sector": "space"}, "sector"),
    ({"target_group": "martians"}, "target_group"),
    ({"region": "skåne"}, "region"),
    ({"level": "galactic"}, "level"),
    ({"organisation_id": "abc"}, "organisation_id"),
    ({"mine": "perhaps"}, "mine"),
    ({"page": 0}, "page"),
    ({"per_page": 101}, "per_page"),
    ({"q": "x" * 201}, "q"),
    ({"colour": "red"}, "colour"),
])
def test_bad_filters_are_422(client, create_user, token_for, query, field):
    response = client.get(URL, headers=token_for(create_user()), query_string=query)
    assert field in assert_error_shape(response, 422)


def test_listing_needs_login(client, create_profile):
    create_profile()
    assert_error_shape(client.get(URL), 401)


@pytest.mark.parametrize("q, expected", [
    ("robot", {"Velfærdsteknologi"}),
    ("ROBOTSTØVSUGERE", {"Velfærdsteknologi"}),
    ("velfærd", {"Velfærdsteknologi"}),
    ("VELFÆRD", {"Velfærdsteknologi"}),
    ("ældreplejen", {"Velfærdsteknologi"}),
    ("ÆLDREPLEJEN", {"Velfærdsteknologi"}),
    ("skolefravær", {"Skolefravær"}),
    ("Å-løb", {"Å-løb i byen"}),
    ("å-LØB", {"Å-løb i byen"}),
    ("booking", {"Digital booking"}),
    ("patienter selv", {"Digital booking"}),
    ("selv patienter", {"Digital booking"}),
    ("patienter ældre", set()),
    ("ventetider", {"Ventetider"}),
    ("50%", {"50% færre"}),
    ("%", {"50% færre"}),
    ("_", {"snake_case"}),
    ("e_c", {"snake_case"}),
    ("\\", {"back\\slash"}),
    ("nothing-matches", set()),
    ("   ", {"Velfærdsteknologi", "Digital booking", "Skolefravær", "Ventetider",
             "Å-løb i byen", "50% færre", "50 færre", "snake_case", "snakeXcase",
             "back\\slash"}),
])
def test_text_search(client, create_profile, token_for, catalogue, q, expected):
    for title in ("Å-løb i byen", "50% færre", "50 færre", "snake_case", "snakeXcase",
                  "back\\slash"):
        create_profile(title=title, description="Beskrivelse.")
    body = listing(client, token_for(catalogue["me"]), q=q, per_page=50)
    assert titles(body) == expected


def test_text_search_covers_problem_outcomes_and_hopes(client, create_user, create_profile,
                                                       token_for):
    create_profile("giver", title="A", problem="Særligt ord: kvælstof")
    create_profile("giver", title="B", outcomes="Mindre KVÆLSTOF udledning")
    create_profile("taker", title="C", hopes="Vi håber på kvælstof-løsninger", capacity=None)
    create_profile("giver", title="D")
    assert titles(listing(client, token_for(create_user()), q="kvælstof")) == {"A", "B", "C"}


def test_paging(client, create_user, create_profile, token_for):
    for n in range(7):
        create_profile(title=f"Side {n}")
    headers = token_for(create_user())
    first = listing(client, headers, per_page=3)
    assert (first["total"], first["page"], first["per_page"], first["pages"]) == (7, 1, 3, 3)
    assert len(first["items"]) == 3
    seen = []
    for page in (1, 2, 3):
        seen += [item["title"] for item in listing(client, headers, per_page=3,
                                                   page=page)["items"]]
    assert sorted(seen) == sorted(f"Side {n}" for n in range(7))
    assert len(listing(client, headers, per_page=3, page=3)["items"]) == 1
    assert listing(client, headers, per_page=3, page=4)["items"] == []
    assert listing(client, headers)["per_page"] == 20


def test_newest_changes_first(client, create_user, create_profile, token_for):
    owner = create_user()
    first = create_profile(owner=owner, title="Først")
    create_profile(owner=owner, title="Dernæst")
    headers = token_for(owner)
    client.patch(item_url(first.id), headers=headers, json={"description": "Opdateret"})
    items = listing(client, headers)["items"]
    assert [i["title"] for i in items] == ["Først", "Dernæst"]


def test_archived_hidden_unless_include_archived(client, create_user, create_profile, token_for):
    owner = create_user()
    create_profile(owner=owner, title="Synlig")
    hidden = create_profile(owner=owner, title="Skjult")
    headers = token_for(owner)
    assert client.post(f"{item_url(hidden.id)}/archive", headers=headers).status_code == 200

    assert titles(listing(client, headers)) == {"Synlig"}
    assert titles(listing(client, headers, q="skjult")) == set()
    assert titles(listing(client, headers, mine="true")) == {"Synlig"}
    body = listing(client, headers, include_archived="true")
    assert {(i["title"], i["archived"]) for i in body["items"]} == {
        ("Synlig", False), ("Skjult", True)}
    assert body["total"] == 2

    client.post(f"{item_url(hidden.id)}/restore", headers=headers)
    assert titles(listing(client, headers)) == {"Synlig", "Skjult"}
