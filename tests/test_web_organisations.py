"""Pages: listing, creating, editing, archiving and restoring organisations."""
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from spread.extensions import db
from spread.models import Organisation, Role
from tests.html import input_value, page, selected


def organisation_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Organisation.id)))


def reload(organisation: Organisation) -> Organisation:
    organisation_id = organisation.id
    db.session.expire_all()
    return db.session.get(Organisation, organisation_id)





def field_errors(html: str, name: str) -> str:
    match = re.search(rf'<ul class="field-errors" id="{name}-error">(.*?)</ul>', html, re.DOTALL)
    return match.group(1) if match else ""


def listed_names(html: str) -> list[str]:
    return re.findall(r'<td><a href="/organisations/\d+">([^<]*)</a>', html)


def org_form(**changes) -> dict:
    form = {"csrf_token": "", "name": "Ærø Kommune", "kind": "municipality",
            "region": "syddanmark", "country": "DK"}
    form.update(changes)
    return form


# --- list and search --------------------------------------------------------------------------


def test_list_and_search(client, create_user, create_organisation, login_en):
    for name in ("Aarhus Kommune", "Ærø Kommune", "Region Sjælland", "50% Energi"):
        create_organisation(name=name)
    login_en(create_user())
    html = page(client.get("/organisations"))
    assert listed_names(html) == ["50% Energi", "Aarhus Kommune", "Region Sjælland",
                                  "Ærø Kommune"]
    assert "4 organisations" in html
    assert listed_names(page(client.get("/organisations?q=ÆRØ"))) == ["Ærø Kommune"]
    assert listed_names(page(client.get("/organisations?q=sjælland"))) == ["Region Sjælland"]
    assert listed_names(page(client.get("/organisations?q=%25"))) == ["50% Energi"]
    html = page(client.get("/organisations?q=kommune"))
    assert listed_names(html) == ["Aarhus Kommune", "Ærø Kommune"]
    assert 'value="kommune"' in html


def test_archived_are_listed_only_on_request(client, create_user, create_organisation,
                                             login_en):
    create_organisation(name="Aktiv")
    archived = create_organisation(name="Arkiveret")
    coordinator = create_user(Role.COORDINATOR)
    login_en(coordinator)
    client.post(f"/organisations/{archived.id}/archive")
    assert listed_names(page(client.get("/organisations"))) == ["Aktiv"]
    html = page(client.get("/organisations?include_archived=true"))
    assert listed_names(html) == ["Aktiv", "Arkiveret"]
    assert re.search(r'name="include_archived" value="true"\s*checked', html)


def test_list_pages(client, create_user, create_organisation, login_en):
    for n in range(45):
        create_organisation(name=f"Kommune {n:02d}")
    login_en(create_user())
    html = page(client.get("/organisations?per_page=20"))
    assert len(listed_names(html)) == 20 and "Page 1 of 3" in html
    html = page(client.get("/organisations?page=2"))
    assert listed_names(html)[0] == "Kommune 20" and "Page 2 of 3" in html
    assert 'rel="prev"' in html and 'rel="next"' in html


def test_invalid_list_parameters_are_400(client, create_user, login_en):
    login_en(create_user())
    assert client.get("/organisations?page=0").status_code == 400


# --- create -----------------------------------------------------------------------------------


def test_new_organisation_page(client, create_user, login_en):
    login_en(create_user())
    response = client.get("/organisations/new")
    assert response.status_code == 200
    html = page(response)
    assert "New organisation" in html
    assert input_value(html, "country") == "DK" and input_value(html, "name") == ""


def test_create_through_the_form(client, create_user, login_en):
    user = create_user()
    login_en(user)
    response = client.post("/organisations/new", data=org_form())
    assert response.status_code == 302, page(response)
    org = db.session.scalars(select(Organisation)).one()
    assert response.headers["Location"] == f"/organisations/{org.id}"
    assert (org.name, org.kind, org.region, org.country) == (
        "Ærø Kommune", "municipality", "syddanmark", "DK")
    assert org.created_by_id == user.id
    html = page(client.get(response.headers["Location"]))
    assert "Ærø Kommune" in html and "The organisation was saved." in html
    assert f"/organisations/{org.id}/edit" in html


def test_create_foreign_organisation_without_region(client, create_user, login_en):
    login_en(create_user())
    response = client.post("/organisations/new",
                           data=org_form(name="Göteborgs stad", region="", country="SE"))
    assert response.status_code == 302, page(response)
    org = db.session.scalars(select(Organisation)).one()
    assert org.region is None and org.country == "SE"


@pytest.mark.parametrize("changes, field, message", [
    ({"name": ""}, "name", "Missing data for required field."),
    ({"name": "   "}, "name", "Missing data for required field."),
    ({"kind": ""}, "kind", "Missing data for required field."),
    ({"kind": "village"}, "kind", "Not a valid choice."),
    ({"region": "skåne"}, "region", "Not a valid choice."),
    ({"country": "dk"}, "country", "Use a two-letter country code."),
    ({"country": "DNK"}, "country", "Use a two-letter country code."),
    ({"country": ""}, "country", "Use a two-letter country code."),
])
def test_invalid_form_keeps_input_and_saves_nothing(client, create_user, login_en,
                                                    changes, field, message):
    login_en(create_user())
    form = org_form(**{"name": "Søndre Kommune", "region": "hovedstaden", **changes})
    response = client.post("/organisations/new", data=form)
    assert response.status_code == 422
    html = page(response)
    assert "Please correct the following" in html
    assert message in field_errors(html, field), html
    if field != "name":
        assert input_value(html, "name") == "Søndre Kommune"
    if field != "region":
        assert selected(html, "region") == "hovedstaden"
    assert organisation_count() == 0


@pytest.mark.parametrize("attempt", ["Ærø Kommune", "ærø kommune", "ÆRØ KOMMUNE"])
def test_duplicate_name_is_refused(client, create_user, create_organisation, login_en, attempt):
    create_organisation(name="Ærø Kommune")
    login_en(create_user())
    response = client.post("/organisations/new", data=org_form(name=attempt, kind="region"))
    assert response.status_code == 422
    html = page(response)
    assert "An organisation with this name already exists." in field_errors(html, "name")
    assert input_value(html, "name") == attempt and selected(html, "kind") == "region"
    assert organisation_count() == 1


# --- edit -------------------------------------------------------------------------------------


def test_edit_page_prefills(client, create_user, create_organisation, login_en):
    owner = create_user()
    org = create_organisation(name="Fanø Kommune", kind="municipality", region="syddanmark",
                              created_by=owner)
    login_en(owner)
    response = client.get(f"/organisations/{org.id}/edit")
    assert response.status_code == 200
    html = page(response)
    assert "Edit organisation" in html
    assert input_value(html, "name") == "Fanø Kommune"
    assert selected(html, "kind") == "municipality"
    assert selected(html, "region") == "syddanmark"
    assert input_value(html, "country") == "DK"


def test_edit_saves(client, create_user, create_organisation, login_en):
    owner = create_user()
    org = create_organisation(name="Fanø Kommune", created_by=owner)
    login_en(owner)
    response = client.post(f"/organisations/{org.id}/edit",
                           data=org_form(name="Fanø Kommune (ny)", region=""))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organisations/{org.id}"
    stored = reload(org)
    assert stored.name == "Fanø Kommune (ny)" and stored.region is None


def test_edit_to_a_taken_name_changes_nothing(client, create_user, create_organisation,
                                              login_en):
    owner = create_user()
    create_organisation(name="Taget")
    org = create_organisation(name="Min", region="hovedstaden", created_by=owner)
    login_en(owner)
    response = client.post(f"/organisations/{org.id}/edit",
                           data=org_form(name="TAGET", region="sjaelland"))
    assert response.status_code == 422
    assert "already exists" in field_errors(page(response), "name")
    stored = reload(org)
    assert stored.name == "Min" and stored.region == "hovedstaden"


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_may_edit_and_archive(client, create_user, create_organisation,
                                                      login_en, role):
    org = create_organisation(name="Andres", created_by=create_user())
    login_en(create_user(role))
    assert client.get(f"/organisations/{org.id}/edit").status_code == 200
    assert client.post(f"/organisations/{org.id}/edit",
                       data=org_form(name="Rettet")).status_code == 302
    assert client.post(f"/organisations/{org.id}/archive").status_code == 302
    stored = reload(org)
    assert stored.name == "Rettet" and stored.archived


@pytest.mark.parametrize("creator_exists", [True, False])
def test_other_participant_gets_403(client, create_user, create_organisation, login_en,
                                    creator_exists):
    creator = create_user() if creator_exists else None
    org = create_organisation(name="Ikke din", created_by=creator)
    login_en(create_user())
    html = page(client.get(f"/organisations/{org.id}"))
    assert "/edit" not in html and "/archive" not in html
    assert client.get(f"/organisations/{org.id}/edit").status_code == 403
    assert client.post(f"/organisations/{org.id}/edit",
                       data=org_form(name="Kapret")).status_code == 403
    assert client.post(f"/organisations/{org.id}/archive").status_code == 403
    stored = reload(org)
    assert stored.name == "Ikke din" and stored.archived_at is None


def test_unknown_organisation_is_404(client, create_user, login_en):
    login_en(create_user(Role.ADMIN))
    assert client.get("/organisations/999999").status_code == 404
    assert client.get("/organisations/999999/edit").status_code == 404
    assert client.post("/organisations/999999/archive").status_code == 404


# --- archive and restore ----------------------------------------------------------------------


def test_creator_archives_and_restores(client, create_user, create_organisation, login_en):
    owner = create_user()
    org = create_organisation(name="Midlertidig", created_by=owner)
    login_en(owner)
    response = client.post(f"/organisations/{org.id}/archive")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organisations/{org.id}"
    assert reload(org).archived
    html = page(client.get(f"/organisations/{org.id}"))
    assert "The organisation was archived." in html
    assert '<input type="hidden" name="restore" value="1">' in html
    # An archived organisation is no longer offered for new profiles.
    assert "Midlertidig" not in page(client.get("/profiles/new?side=giver"))

    client.post(f"/organisations/{org.id}/archive", data={"restore": "1"})
    assert not reload(org).archived
    assert "The organisation was restored." in page(client.get(f"/organisations/{org.id}"))
    assert "Midlertidig" in page(client.get("/profiles/new?side=giver"))


def test_show_lists_only_active_profiles(client, create_user, create_organisation,
                                         create_profile, login_en):
    org = create_organisation(name="Vejle Kommune")
    create_profile(organisation=org, title="Aktiv profil")
    create_profile(organisation=org, title="Gammel profil",
                   archived_at=datetime(2026, 1, 1, tzinfo=UTC))
    login_en(create_user())
    html = page(client.get(f"/organisations/{org.id}"))
    assert "Aktiv profil" in html and "Gammel profil" not in html


# --- anonymous --------------------------------------------------------------------------------


@pytest.mark.parametrize("method, path", [
    ("get", "/organisations"),
    ("get", "/organisations/new"),
    ("post", "/organisations/new"),
    ("get", "/organisations/{id}"),
    ("get", "/organisations/{id}/edit"),
    ("post", "/organisations/{id}/edit"),
    ("post", "/organisations/{id}/archive"),
])
def test_anonymous_is_sent_to_login(client, create_organisation, method, path):
    org = create_organisation(name="Uændret")
    path = path.format(id=org.id)
    response = getattr(client, method)(path, data=org_form() if method == "post" else None)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/login?next=")
    assert parse_qs(urlsplit(location).query)["next"] == [path]
    assert organisation_count() == 1
    stored = reload(org)
    assert stored.name == "Uændret" and stored.archived_at is None


def test_danish_organisation_pages(client, create_user, login):
    login(create_user())
    client.get("/language/da")
    html = page(client.get("/organisations"))
    assert '<html lang="da">' in html
    assert "Søg efter navn" in html and "Medtag arkiverede" in html and "Ny organisation" in html
    client.get("/language/en")
    html = page(client.get("/organisations"))
    assert "Search by name" in html and "Include archived" in html
