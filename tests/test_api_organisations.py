"""API: organisations — create, list, search, show, patch, archive, restore; validation;
permissions; nothing half-saved when a request fails."""
import pytest
from sqlalchemy import func, select

from spread.extensions import db
from spread.models import Organisation, Role


@pytest.fixture(autouse=True)
def english(client):
    """Ask for English messages; the default interface language is Danish."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

URL = "/api/v1/organisations/"


def item_url(organisation_id: int) -> str:
    return f"/api/v1/organisations/{organisation_id}"


def organisation_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Organisation.id)))


def reload(organisation: Organisation) -> Organisation:
    """The organisation as it is stored now (not as this session remembers it)."""
    organisation_id = organisation.id
    db.session.expire_all()
    return db.session.get(Organisation, organisation_id)


def assert_error_shape(response, code: int) -> dict:
    assert response.status_code == code, response.json
    assert set(response.json) == {"code", "message", "errors"}
    assert response.json["code"] == code
    assert isinstance(response.json["message"], str) and response.json["message"]
    return response.json["errors"]


# --- create ------------------------------------------------------------------------------------


def test_create_returns_the_organisation_and_records_its_creator(client, create_user, token_for):
    user = create_user()
    response = client.post(URL, headers=token_for(user), json={
        "name": "  Aarhus Kommune  ", "kind": "municipality", "region": "midtjylland",
        "country": "DK"})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["name"] == "Aarhus Kommune"
    assert body["kind"] == "municipality" and body["region"] == "midtjylland"
    assert body["country"] == "DK" and body["archived"] is False
    assert {"id", "created_at", "updated_at"} <= set(body)
    stored = db.session.get(Organisation, body["id"])
    assert stored.created_by_id == user.id and stored.name == "Aarhus Kommune"


def test_create_defaults_country_to_dk_and_region_to_none(client, create_user, token_for):
    response = client.post(URL, headers=token_for(create_user()),
                           json={"name": "Digitaliseringsstyrelsen", "kind": "state_agency"})
    assert response.status_code == 201, response.json
    assert response.json["country"] == "DK" and response.json["region"] is None


def test_create_foreign_organisation_without_region(client, create_user, token_for):
    response = client.post(URL, headers=token_for(create_user()), json={
        "name": "Malmö stad", "kind": "municipality", "region": None, "country": "SE"})
    assert response.status_code == 201, response.json
    assert response.json["region"] is None and response.json["country"] == "SE"


def test_danish_names_round_trip_unchanged(client, create_user, token_for):
    name = "Ærø Kommune – Søndergade & Åboulevarden"
    response = client.post(URL, headers=token_for(create_user()),
                           json={"name": name, "kind": "municipality", "region": "syddanmark"})
    assert response.status_code == 201, response.json
    assert response.json["name"] == name
    shown = client.get(item_url(response.json["id"]), headers=token_for(create_user()))
    assert shown.json["name"] == name


@pytest.mark.parametrize("payload, field", [
    ({"name": "X Kommune", "kind": "village"}, "kind"),
    ({"name": "X Kommune", "kind": ""}, "kind"),
    ({"name": "X Kommune", "kind": "municipality", "region": "skåne"}, "region"),
    ({"name": "X Kommune", "kind": "municipality", "country": "dk"}, "country"),
    ({"name": "X Kommune", "kind": "municipality", "country": "DNK"}, "country"),
    ({"name": "X Kommune", "kind": "municipality", "country": "D"}, "country"),
    ({"name": "X Kommune", "kind": "municipality", "country": "D1"}, "country"),
    ({"name": "X Kommune", "kind": "municipality", "homepage": "https://x.dk"}, "homepage"),
    ({"name": "X Kommune", "kind": "municipality", "id": 5}, "id"),
    ({"name": "X Kommune", "kind": "municipality", "archived": True}, "archived"),
    ({"name": "", "kind": "municipality"}, "name"),
    ({"name": "   ", "kind": "municipality"}, "name"),
    ({"name": "x" * 201, "kind": "municipality"}, "name"),
    ({"kind": "municipality"}, "name"),
    ({"name": "X Kommune"}, "kind"),
    ({"name": None, "kind": "municipality"}, "name"),
    ({"name": 42, "kind": "municipality"}, "name"),
])
def test_invalid_input_is_422_with_field_errors_and_saves_nothing(
        client, create_user, token_for, payload, field):
    headers = token_for(create_user())
    response = client.post(URL, headers=headers, json=payload)
    errors = assert_error_shape(response, 422)
    assert field in errors, errors
    assert isinstance(errors[field], list) and all(isinstance(m, str) for m in errors[field])
    assert organisation_count() == 0


def test_several_bad_fields_are_all_reported_at_once(client, create_user, token_for):
    response = client.post(URL, headers=token_for(create_user()), json={
        "name": "", "kind": "village", "region": "nowhere", "country": "dk", "extra": 1})
    errors = assert_error_shape(response, 422)
    assert {"name", "kind", "region", "country", "extra"} <= set(errors)
    assert errors["extra"] == ["Unknown field."]


@pytest.mark.parametrize("existing, attempt", [
    ("Aarhus Kommune", "Aarhus Kommune"),
    ("Aarhus Kommune", "aarhus kommune"),
    ("Aarhus Kommune", "AARHUS KOMMUNE"),
    ("Aarhus Kommune", "  Aarhus Kommune "),
    ("Ærø Kommune", "ærø kommune"),
    ("Ærø Kommune", "ÆRØ KOMMUNE"),
    ("Region Sjælland", "REGION SJÆLLAND"),
])
def test_duplicate_name_is_rejected_case_insensitively(
        client, create_user, create_organisation, token_for, existing, attempt):
    create_organisation(name=existing)
    response = client.post(URL, headers=token_for(create_user()),
                           json={"name": attempt, "kind": "municipality"})
    errors = assert_error_shape(response, 422)
    assert list(errors) == ["name"]
    assert "already exists" in errors["name"][0]
    assert organisation_count() == 1


def test_archived_organisation_names_stay_taken(client, create_user, create_organisation,
                                                token_for):
    org = create_organisation(name="Gammel Kommune")
    headers = token_for(create_user(Role.COORDINATOR))
    assert client.post(f"{item_url(org.id)}/archive", headers=headers).status_code == 200
    response = client.post(URL, headers=headers,
                           json={"name": "gammel kommune", "kind": "municipality"})
    assert response.status_code == 422 and "name" in response.json["errors"]


def test_create_needs_login(client):
    response = client.post(URL, json={"name": "Anonym Kommune", "kind": "municipality"})
    assert_error_shape(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert organisation_count() == 0


def test_create_with_forged_token_is_401(client):
    response = client.post(URL, headers={"Authorization": "Bearer forged"},
                           json={"name": "Anonym Kommune", "kind": "municipality"})
    assert response.status_code == 401
    assert organisation_count() == 0


# --- list, search, show -----------------------------------------------------------------------


def test_list_needs_login(client, create_organisation):
    create_organisation()
    assert_error_shape(client.get(URL), 401)


def test_list_is_sorted_by_name_and_paged(client, create_user, create_organisation, token_for):
    for name in ("Odense Kommune", "Aalborg Kommune", "Horsens Kommune", "Esbjerg Kommune",
                 "Billund Kommune"):
        create_organisation(name=name)
    headers = token_for(create_user())
    first = client.get(URL, headers=headers, query_string={"per_page": 2}).json
    assert [o["name"] for o in first["items"]] == ["Aalborg Kommune", "Billund Kommune"]
    assert (first["total"], first["page"], first["per_page"], first["pages"]) == (5, 1, 2, 3)
    last = client.get(URL, headers=headers, query_string={"per_page": 2, "page": 3}).json
    assert [o["name"] for o in last["items"]] == ["Odense Kommune"]
    beyond = client.get(URL, headers=headers, query_string={"per_page": 2, "page": 9}).json
    assert beyond["items"] == [] and beyond["total"] == 5


def test_empty_list_has_one_page(client, create_user, token_for):
    body = client.get(URL, headers=token_for(create_user())).json
    assert body == {"items": [], "total": 0, "page": 1, "per_page": 20, "pages": 1}


@pytest.mark.parametrize("query, field", [
    ({"page": 0}, "page"),
    ({"page": "x"}, "page"),
    ({"per_page": 0}, "per_page"),
    ({"per_page": 101}, "per_page"),
    ({"include_archived": "maybe"}, "include_archived"),
    ({"q": "x" * 201}, "q"),
    ({"colour": "red"}, "colour"),
])
def test_bad_listing_parameters_are_422(client, create_user, token_for, query, field):
    response = client.get(URL, headers=token_for(create_user()), query_string=query)
    errors = assert_error_shape(response, 422)
    assert field in errors


@pytest.mark.parametrize("q, expected", [
    ("kommune", ["Aarhus Kommune", "Ærø Kommune"]),
    ("KOMMUNE", ["Aarhus Kommune", "Ærø Kommune"]),
    ("ærø", ["Ærø Kommune"]),
    ("ÆRØ", ["Ærø Kommune"]),
    ("sjælland", ["Region Sjælland"]),
    ("SJÆLLAND", ["Region Sjælland"]),
    ("100%", ["100% Grøn Forsyning"]),
    ("%", ["100% Grøn Forsyning"]),
    ("_", ["Styrelse_for_IT"]),
    ("e_f", ["Styrelse_for_IT"]),
    ("nowhere", []),
])
def test_search_by_name(client, create_user, create_organisation, token_for, q, expected):
    for name in ("Aarhus Kommune", "Ærø Kommune", "Region Sjælland", "100% Grøn Forsyning",
                 "Styrelse_for_IT", "StyrelseXforXIT"):
        create_organisation(name=name)
    body = client.get(URL, headers=token_for(create_user()), query_string={"q": q}).json
    assert sorted(o["name"] for o in body["items"]) == sorted(expected)
    assert body["total"] == len(expected)


def test_archived_hidden_unless_include_archived(client, create_user, create_organisation,
                                                 token_for):
    create_organisation(name="Aktiv Kommune")
    archived = create_organisation(name="Arkiveret Kommune")
    headers = token_for(create_user(Role.ADMIN))
    client.post(f"{item_url(archived.id)}/archive", headers=headers)

    names = [o["name"] for o in client.get(URL, headers=headers).json["items"]]
    assert names == ["Aktiv Kommune"]
    body = client.get(URL, headers=headers, query_string={"include_archived": "true"}).json
    assert [(o["name"], o["archived"]) for o in body["items"]] == [
        ("Aktiv Kommune", False), ("Arkiveret Kommune", True)]
    searched = client.get(URL, headers=headers,
                          query_string={"q": "arkiveret", "include_archived": "true"}).json
    assert searched["total"] == 1
    assert client.get(URL, headers=headers, query_string={"q": "arkiveret"}).json["total"] == 0


def test_show_one(client, create_user, create_organisation, token_for):
    org = create_organisation(name="Region Nordjylland", kind="region", region="nordjylland")
    response = client.get(item_url(org.id), headers=token_for(create_user()))
    assert response.status_code == 200
    assert response.json["id"] == org.id and response.json["name"] == "Region Nordjylland"
    assert response.json["kind"] == "region" and response.json["region"] == "nordjylland"


def test_archived_organisation_can_still_be_shown(client, create_user, create_organisation,
                                                  token_for):
    owner = create_user()
    org = create_organisation(created_by=owner)
    headers = token_for(owner)
    client.post(f"{item_url(org.id)}/archive", headers=headers)
    response = client.get(item_url(org.id), headers=token_for(create_user()))
    assert response.status_code == 200 and response.json["archived"] is True


@pytest.mark.parametrize("method, suffix", [
    ("get", ""), ("patch", ""), ("post", "/archive"), ("post", "/restore")])
def test_unknown_id_is_404(client, create_user, token_for, method, suffix):
    headers = token_for(create_user(Role.ADMIN))
    kwargs = {"json": {"name": "Ny"}} if method == "patch" else {}
    response = getattr(client, method)(item_url(999999) + suffix, headers=headers, **kwargs)
    assert_error_shape(response, 404)


@pytest.mark.parametrize("method, suffix", [
    ("get", ""), ("patch", ""), ("post", "/archive"), ("post", "/restore")])
def test_anonymous_is_401_even_for_unknown_ids(client, create_organisation, method, suffix):
    org = create_organisation()
    for organisation_id in (org.id, 999999):
        kwargs = {"json": {"name": "Ny"}} if method == "patch" else {}
        response = getattr(client, method)(item_url(organisation_id) + suffix, **kwargs)
        assert_error_shape(response, 401)
    assert reload(org).archived_at is None


# --- patch ------------------------------------------------------------------------------------


def test_patch_is_partial(client, create_user, create_organisation, token_for):
    owner = create_user()
    org = create_organisation(name="Viborg Kommune", region="midtjylland", created_by=owner)
    response = client.patch(item_url(org.id), headers=token_for(owner),
                            json={"region": "nordjylland"})
    assert response.status_code == 200, response.json
    assert response.json["region"] == "nordjylland" and response.json["name"] == "Viborg Kommune"
    stored = reload(org)
    assert (stored.name, stored.kind, stored.region, stored.country) == (
        "Viborg Kommune", "municipality", "nordjylland", "DK")


def test_patch_can_clear_region_and_change_country(client, create_user, create_organisation,
                                                   token_for):
    owner = create_user()
    org = create_organisation(created_by=owner)
    response = client.patch(item_url(org.id), headers=token_for(owner),
                            json={"region": None, "country": "NO"})
    assert response.status_code == 200, response.json
    stored = reload(org)
    assert stored.region is None and stored.country == "NO"


def test_patch_may_change_only_the_case_of_its_own_name(client, create_user, create_organisation,
                                                        token_for):
    owner = create_user()
    org = create_organisation(name="silkeborg kommune", created_by=owner)
    response = client.patch(item_url(org.id), headers=token_for(owner),
                            json={"name": "Silkeborg Kommune"})
    assert response.status_code == 200, response.json
    assert reload(org).name == "Silkeborg Kommune"


def test_patch_to_another_organisations_name_is_422_and_changes_nothing(
        client, create_user, create_organisation, token_for):
    owner = create_user()
    create_organisation(name="Skive Kommune")
    org = create_organisation(name="Lemvig Kommune", region="midtjylland", created_by=owner)
    response = client.patch(item_url(org.id), headers=token_for(owner),
                            json={"name": "SKIVE kommune", "region": "nordjylland"})
    errors = assert_error_shape(response, 422)
    assert list(errors) == ["name"]
    stored = reload(org)
    assert stored.name == "Lemvig Kommune" and stored.region == "midtjylland"


@pytest.mark.parametrize("payload, field", [
    ({"kind": "village"}, "kind"),
    ({"region": "skåne"}, "region"),
    ({"country": "se"}, "country"),
    ({"country": "SWE"}, "country"),
    ({"name": ""}, "name"),
    ({"name": None}, "name"),
    ({"kind": None}, "kind"),
    ({"website": "x"}, "website"),
    ({"archived": True}, "archived"),
    ({"created_by_id": 1}, "created_by_id"),
])
def test_invalid_patch_is_422_and_changes_nothing(client, create_user, create_organisation,
                                                  token_for, payload, field):
    owner = create_user()
    org = create_organisation(name="Struer Kommune", created_by=owner)
    response = client.patch(item_url(org.id), headers=token_for(owner),
                            json={**payload, "region": "nordjylland"} if "region" not in payload
                            else payload)
    errors = assert_error_shape(response, 422)
    assert field in errors
    stored = reload(org)
    assert (stored.name, stored.kind, stored.region, stored.country, stored.archived_at) == (
        "Struer Kommune", "municipality", "midtjylland", "DK", None)


# --- permissions ------------------------------------------------------------------------------

EDITORS = ["creator", Role.COORDINATOR, Role.ADMIN]


def actor(create_user, who, creator):
    return creator if who == "creator" else create_user(who)


@pytest.mark.parametrize("who", EDITORS)
def test_creator_coordinator_and_admin_may_patch(client, create_user, create_organisation,
                                                 token_for, who):
    creator = create_user()
    org = create_organisation(name="Før", created_by=creator)
    response = client.patch(item_url(org.id), headers=token_for(actor(create_user, who, creator)),
                            json={"name": "Efter"})
    assert response.status_code == 200, response.json
    assert reload(org).name == "Efter"


@pytest.mark.parametrize("who", EDITORS)
def test_creator_coordinator_and_admin_may_archive_and_restore(
        client, create_user, create_organisation, token_for, who):
    creator = create_user()
    org = create_organisation(created_by=creator)
    headers = token_for(actor(create_user, who, creator))
    response = client.post(f"{item_url(org.id)}/archive", headers=headers)
    assert response.status_code == 200 and response.json["archived"] is True
    assert reload(org).archived_at is not None
    response = client.post(f"{item_url(org.id)}/restore", headers=headers)
    assert response.status_code == 200 and response.json["archived"] is False
    assert reload(org).archived_at is None


def test_archive_and_restore_are_idempotent(client, create_user, create_organisation, token_for):
    creator = create_user()
    org = create_organisation(created_by=creator)
    headers = token_for(creator)
    for _ in range(2):
        assert client.post(f"{item_url(org.id)}/archive", headers=headers).json["archived"]
    for _ in range(2):
        assert not client.post(f"{item_url(org.id)}/restore", headers=headers).json["archived"]


@pytest.mark.parametrize("creator_exists", [True, False])
def test_other_participants_may_not_patch_archive_or_restore(
        client, create_user, create_organisation, token_for, creator_exists):
    creator = create_user() if creator_exists else None
    org = create_organisation(name="Fremmed Kommune", created_by=creator)
    headers = token_for(create_user())
    assert_error_shape(client.patch(item_url(org.id), headers=headers, json={"name": "Min"}), 403)
    assert_error_shape(client.post(f"{item_url(org.id)}/archive", headers=headers), 403)
    assert reload(org).name == "Fremmed Kommune" and reload(org).archived_at is None

    coordinator = token_for(create_user(Role.COORDINATOR))
    client.post(f"{item_url(org.id)}/archive", headers=coordinator)
    assert_error_shape(client.post(f"{item_url(org.id)}/restore", headers=headers), 403)
    assert reload(org).archived_at is not None


def test_forbidden_patch_with_invalid_body_is_still_422_first(client, create_user,
                                                             create_organisation, token_for):
    """The body is validated before permissions; either way nothing changes."""
    org = create_organisation(name="Urørt Kommune")
    response = client.patch(item_url(org.id), headers=token_for(create_user()),
                            json={"kind": "village"})
    assert response.status_code in (403, 422)
    assert reload(org).kind == "municipality"


def test_session_login_works_for_the_api(client, create_user, login):
    user = create_user()
    login(user)
    response = client.post(URL, json={"name": "Session Kommune", "kind": "municipality"})
    assert response.status_code == 201, response.json
    assert db.session.get(Organisation, response.json["id"]).created_by_id == user.id
