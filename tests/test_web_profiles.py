"""Pages: creating, showing, editing, archiving and browsing profiles; language switching."""
import re
from datetime import date

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from spread.extensions import db
from spread.models import Profile, Role
from spread.services.archiving import set_archived
from tests.html import input_value, page, selected


def profile_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Profile.id)))


def reload(profile: Profile) -> Profile:
    profile_id = profile.id
    db.session.expire_all()
    return db.session.get(Profile, profile_id)



def checked(html: str, name: str, value: str) -> bool:
    """Whether the checkbox ``name=value`` is rendered checked."""
    match = re.search(rf'<input type="checkbox" name="{name}" value="{value}"\s*(checked)?\s*>',
                      html)
    assert match, f"no checkbox {name}={value}"
    return match.group(1) is not None




def textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea id="{name}" name="{name}"[^>]*>(.*?)</textarea>', html, re.DOTALL)
    assert match, f"no textarea {name}"
    return match.group(1)


def giver_form(organisation_id: int, /, **changes) -> dict:
    """The fields a browser sends for the giver form (empty selects and inputs included)."""
    form = {
        "csrf_token": "",
        "side": "giver",
        "organisation_id": str(organisation_id),
        "language": "da",
        "title": "Hverdagsrehabilitering på Ærø",
        "description": "Ældre borgere træner dagligdags gøremål i eget hjem.",
        "problem": "For mange mister færdigheder.",
        "outcomes": "30 % færre visiterede timer.",
        "keywords": "rehabilitering, ældrepleje ,  træning,",
        "sectors": ["elderly_care", "health"],
        "target_groups": ["elderly"],
        "facet": "enhancement",
        "level": "municipal",
        "region": "syddanmark",
        "capacity": "2",
        "available_from": "2027-02-01",
        "available_until": "2027-05-31",
    }
    form.update(changes)
    return form


def taker_form(organisation_id: int, /, **changes) -> dict:
    form = {
        "csrf_token": "",
        "side": "taker",
        "organisation_id": str(organisation_id),
        "language": "da",
        "title": "Skolefravær",
        "description": "For mange elever bliver væk fra skolen.",
        "problem": "",
        "hopes": "En afprøvet model.",
        "keywords": "",
        "target_groups": ["children"],
        "level": "",
        "region": "",
        "available_from": "",
        "available_until": "",
    }
    form.update(changes)
    return form


# --- create -----------------------------------------------------------------------------------


def test_new_giver_page_shows_the_giver_form(client, create_user, create_organisation, login_en):
    create_organisation(name="Aarhus Kommune")
    archived = create_organisation(name="Lukket Kommune")
    set_archived(archived, True)
    db.session.commit()
    login_en(create_user())
    html = page(client.get("/profiles/new?side=giver"))
    assert "Offer an innovation" in html
    assert '<input type="hidden" name="side" value="giver">' in html
    assert 'name="capacity"' in html and 'name="outcomes"' in html and 'name="hopes"' not in html
    assert "Aarhus Kommune" in html and "Lukket Kommune" not in html


def test_new_taker_page_shows_the_taker_form(client, create_user, login_en):
    login_en(create_user())
    html = page(client.get("/profiles/new?side=taker"))
    assert "Describe a challenge" in html
    assert '<input type="hidden" name="side" value="taker">' in html
    assert 'name="hopes"' in html
    assert 'name="capacity"' not in html and 'name="outcomes"' not in html


def test_unknown_side_is_404(client, create_user, login_en):
    login_en(create_user())
    assert client.get("/profiles/new?side=both").status_code == 404


def test_create_giver_through_the_form(client, create_user, create_organisation, login_en):
    owner = create_user()
    org = create_organisation(name="Ærø Kommune")
    login_en(owner)
    response = client.post("/profiles/new", data=giver_form(org.id))
    assert response.status_code == 302, page(response)
    profile = db.session.scalars(select(Profile)).one()
    assert response.headers["Location"] == f"/profiles/{profile.id}"
    assert profile.side == "giver" and profile.owner_id == owner.id
    assert profile.organisation_id == org.id
    assert profile.title == "Hverdagsrehabilitering på Ærø"
    assert profile.keywords == ["rehabilitering", "ældrepleje", "træning"]
    assert profile.sectors == ["elderly_care", "health"]
    assert profile.target_groups == ["elderly"]
    assert (profile.facet, profile.level, profile.region) == ("enhancement", "municipal",
                                                               "syddanmark")
    assert profile.capacity == 2 and profile.hopes is None
    assert profile.available_from == date(2027, 2, 1)
    assert profile.available_until == date(2027, 5, 31)

    shown = client.get(response.headers["Location"])
    assert shown.status_code == 200
    html = page(shown)
    assert "Hverdagsrehabilitering på Ærø" in html
    assert "The profile was saved." in html
    assert "Ærø Kommune" in html and "rehabilitering, ældrepleje, træning" in html


def test_create_giver_with_blank_optional_fields(client, create_user, create_organisation,
                                                 login_en):
    org = create_organisation()
    login_en(create_user())
    response = client.post("/profiles/new", data=giver_form(
        org.id, problem="", outcomes="", keywords="", sectors=[], target_groups=[], facet="",
        level="", region="", capacity="", available_from="", available_until=""))
    assert response.status_code == 302, page(response)
    profile = db.session.scalars(select(Profile)).one()
    assert profile.capacity == 1
    assert profile.keywords == [] and profile.sectors == [] and profile.target_groups == []
    assert profile.facet is None and profile.region is None and profile.available_from is None
    assert profile.outcomes is None and profile.problem == ""


def test_create_taker_through_the_form(client, create_user, create_organisation, login_en):
    org = create_organisation()
    login_en(create_user())
    response = client.post("/profiles/new", data=taker_form(org.id))
    assert response.status_code == 302, page(response)
    profile = db.session.scalars(select(Profile)).one()
    assert profile.side == "taker" and profile.capacity is None
    assert profile.hopes == "En afprøvet model." and profile.target_groups == ["children"]
    assert "Skolefravær" in page(client.get(response.headers["Location"]))


def test_invalid_form_keeps_the_input_shows_the_messages_and_saves_nothing(
        client, create_user, create_organisation, login_en):
    org = create_organisation()
    login_en(create_user())
    description = 'Borgere på "Ærø" & <Østerbro> får hjælp.\nAnden linje.'
    response = client.post("/profiles/new", data=giver_form(
        org.id, title="   ", description=description, sectors=["health", "transport"],
        target_groups=["elderly", "patients"], region="hovedstaden", capacity="4",
        keywords="én, to", available_from="2027-06-01", available_until="2027-05-01"))
    assert response.status_code == 422
    html = page(response)
    assert "Please correct the following" in html
    assert "Missing data for required field." in html
    assert "The end of the window must not be before its start." in html
    assert 'id="title-error"' in html and 'id="available_until-error"' in html

    assert textarea(html, "description") == str(escape(description))
    assert checked(html, "sectors", "health") and checked(html, "sectors", "transport")
    assert not checked(html, "sectors", "education")
    assert checked(html, "target_groups", "elderly") and checked(html, "target_groups", "patients")
    assert selected(html, "region") == "hovedstaden"
    assert selected(html, "organisation_id") == str(org.id)
    assert input_value(html, "capacity") == "4"
    assert input_value(html, "keywords") == "én, to"
    assert input_value(html, "available_from") == "2027-06-01"
    assert input_value(html, "available_until") == "2027-05-01"
    assert '<input type="hidden" name="side" value="giver">' in html
    assert profile_count() == 0


@pytest.mark.parametrize("changes, field, message", [
    ({"title": ""}, "title", "Missing data for required field."),
    ({"description": ""}, "description", "Missing data for required field."),
    ({"organisation_id": ""}, "organisation_id", "Missing data for required field."),
    ({"organisation_id": "999999"}, "organisation_id", "No such organisation"),
    ({"available_until": "2027-01-01"}, "available_until", "must not be before its start"),
    ({"available_from": "01-02-2027"}, "available_from", "Not a valid date."),
    ({"capacity": "11"}, "capacity", "Must be between 1 and 10."),
    ({"capacity": "nul"}, "capacity", "Not a valid integer."),
    ({"sectors": ["health", "made_up"]}, "sectors", "Not a valid choice."),
    ({"region": "skåne"}, "region", "Not a valid choice."),
    ({"title": "x" * 201}, "title", "Use between 1 and 200 characters."),
])
def test_invalid_giver_forms(client, create_user, create_organisation, login_en,
                             changes, field, message):
    org = create_organisation()
    login_en(create_user())
    response = client.post("/profiles/new", data=giver_form(org.id, **changes))
    assert response.status_code == 422
    html = page(response)
    errors = re.search(rf'<ul class="field-errors" id="{field}-error">(.*?)</ul>', html, re.DOTALL)
    assert errors and message in errors.group(1), html
    assert profile_count() == 0


def test_archived_organisation_cannot_be_chosen(client, create_user, create_organisation, login_en):
    org = create_organisation()
    set_archived(org, True)
    db.session.commit()
    login_en(create_user())
    response = client.post("/profiles/new", data=giver_form(org.id))
    assert response.status_code == 422
    assert "No such organisation, or it is archived." in page(response)
    assert profile_count() == 0


def test_taker_form_cannot_smuggle_giver_fields(client, create_user, create_organisation, login_en):
    org = create_organisation()
    login_en(create_user())
    response = client.post("/profiles/new", data=taker_form(org.id, capacity="3",
                                                            outcomes="Snyd"))
    assert response.status_code == 422
    assert profile_count() == 0


# --- show, edit -------------------------------------------------------------------------------


def test_show_page(client, create_user, create_profile, login_en):
    owner = create_user(name="Mette Hansen")
    profile = create_profile(owner=owner, title="Robotter i plejen", keywords=["robot", "pleje"],
                             sectors=["elderly_care"], capacity=3)
    login_en(create_user())
    html = page(client.get(f"/profiles/{profile.id}"))
    assert "Robotter i plejen" in html and "Mette Hansen" in html
    assert "robot, pleje" in html and "Elderly care" in html and "3 takers" in html
    assert "/edit" not in html  # others see no edit button


def test_show_unknown_profile_is_404(client, create_user, login_en):
    login_en(create_user())
    assert client.get("/profiles/999999").status_code == 404


def test_edit_page_prefills_the_stored_values(client, create_user, create_profile, login_en):
    owner = create_user()
    profile = create_profile(owner=owner, title="Gammel titel",
                             description="Beskrivelse med æøå", keywords=["et", "to"],
                             sectors=["health", "education"], target_groups=["children"],
                             region="nordjylland", level="municipal", facet="adaptive",
                             capacity=4, outcomes="Gode resultater")
    login_en(owner)
    response = client.get(f"/profiles/{profile.id}/edit")
    assert response.status_code == 200
    html = page(response)
    assert "Edit profile" in html
    assert 'name="side"' not in html
    assert input_value(html, "title") == "Gammel titel"
    assert textarea(html, "description") == "Beskrivelse med æøå"
    assert textarea(html, "outcomes") == "Gode resultater"
    assert input_value(html, "keywords") == "et, to"
    assert input_value(html, "capacity") == "4"
    assert input_value(html, "available_from") == "2027-01-01"
    assert input_value(html, "available_until") == "2027-06-30"
    assert checked(html, "sectors", "health") and checked(html, "sectors", "education")
    assert not checked(html, "sectors", "transport")
    assert checked(html, "target_groups", "children")
    assert selected(html, "region") == "nordjylland"
    assert selected(html, "level") == "municipal"
    assert selected(html, "facet") == "adaptive"
    assert selected(html, "organisation_id") == str(profile.organisation_id)
    assert selected(html, "language") == "da"


def test_edit_saves_and_can_uncheck_every_sector(client, create_user, create_profile, login_en):
    owner = create_user()
    profile = create_profile(owner=owner, sectors=["health"], target_groups=["children"])
    login_en(owner)
    form = giver_form(profile.organisation_id, title="Ny titel", sectors=[], target_groups=[],
                      keywords="")
    del form["side"]
    response = client.post(f"/profiles/{profile.id}/edit", data=form)
    assert response.status_code == 302, page(response)
    assert response.headers["Location"] == f"/profiles/{profile.id}"
    stored = reload(profile)
    assert stored.title == "Ny titel" and stored.side == "giver"
    assert stored.sectors == [] and stored.target_groups == [] and stored.keywords == []


def test_blanking_capacity_on_edit_restores_the_default(client, create_user, create_profile,
                                                        login_en):
    owner = create_user()
    profile = create_profile(owner=owner, capacity=5)
    login_en(owner)
    form = giver_form(profile.organisation_id, capacity="")
    del form["side"]
    assert client.post(f"/profiles/{profile.id}/edit", data=form).status_code == 302
    assert reload(profile).capacity == 1


def test_invalid_edit_keeps_input_and_changes_nothing(client, create_user, create_profile,
                                                      login_en):
    owner = create_user()
    profile = create_profile(owner=owner, title="Uændret", description="Gammel beskrivelse")
    login_en(owner)
    form = giver_form(profile.organisation_id, title="Ny titel", description="Ny beskrivelse",
                      available_from="2027-09-01", available_until="2027-08-01")
    del form["side"]
    response = client.post(f"/profiles/{profile.id}/edit", data=form)
    assert response.status_code == 422
    html = page(response)
    assert "The end of the window must not be before its start." in html
    assert input_value(html, "title") == "Ny titel"
    assert textarea(html, "description") == "Ny beskrivelse"
    stored = reload(profile)
    assert stored.title == "Uændret" and stored.description == "Gammel beskrivelse"


def test_edit_of_a_profile_whose_organisation_was_archived(client, create_user,
                                                           create_organisation,
                                                           create_profile, login_en):
    owner = create_user()
    org = create_organisation(name="Nedlagt Kommune")
    profile = create_profile(owner=owner, organisation=org)
    set_archived(org, True)
    db.session.commit()
    login_en(owner)
    html = page(client.get(f"/profiles/{profile.id}/edit"))
    assert selected(html, "organisation_id") == str(org.id)
    form = giver_form(org.id, title="Stadig her")
    del form["side"]
    response = client.post(f"/profiles/{profile.id}/edit", data=form)
    assert response.status_code == 302, page(response)
    assert reload(profile).title == "Stadig her"


def test_posted_side_is_ignored_on_edit(client, create_user, create_profile, login_en):
    owner = create_user()
    profile = create_profile(owner=owner)
    login_en(owner)
    form = giver_form(profile.organisation_id, side="taker")
    response = client.post(f"/profiles/{profile.id}/edit", data=form)
    assert response.status_code == 302, page(response)
    assert reload(profile).side == "giver"


# --- permissions ------------------------------------------------------------------------------


def test_other_participant_gets_403_on_edit_and_archive(client, create_user, create_profile,
                                                        login_en):
    profile = create_profile(title="Ikke din")
    login_en(create_user())
    assert client.get(f"/profiles/{profile.id}/edit").status_code == 403
    form = giver_form(profile.organisation_id, title="Kapret")
    del form["side"]
    assert client.post(f"/profiles/{profile.id}/edit", data=form).status_code == 403
    assert client.post(f"/profiles/{profile.id}/archive").status_code == 403
    assert client.post(f"/profiles/{profile.id}/archive", data={"restore": "1"}).status_code == 403
    stored = reload(profile)
    assert stored.title == "Ikke din" and stored.archived_at is None


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_may_edit_any_profile(client, create_user, create_profile, login_en,
                                                      role):
    profile = create_profile(title="Før")
    login_en(create_user(role))
    html = page(client.get(f"/profiles/{profile.id}"))
    assert f"/profiles/{profile.id}/edit" in html
    form = giver_form(profile.organisation_id, title="Efter")
    del form["side"]
    assert client.post(f"/profiles/{profile.id}/edit", data=form).status_code == 302
    assert reload(profile).title == "Efter"


def test_owner_archives_and_restores(client, create_user, create_profile, login_en):
    owner = create_user()
    profile = create_profile(owner=owner, title="Arkivér mig")
    login_en(owner)
    response = client.post(f"/profiles/{profile.id}/archive")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/profiles/{profile.id}"
    assert reload(profile).archived
    html = page(client.get(f"/profiles/{profile.id}"))
    assert "The profile was archived." in html and "archived" in html
    assert '<input type="hidden" name="restore" value="1">' in html
    assert "Arkivér mig" not in page(client.get("/profiles"))

    client.post(f"/profiles/{profile.id}/archive", data={"restore": "1"})
    assert not reload(profile).archived
    assert "Arkivér mig" in page(client.get("/profiles"))


@pytest.mark.parametrize("method, path", [
    ("get", "/profiles"),
    ("get", "/profiles/new?side=taker"),
    ("post", "/profiles/new"),
    ("get", "/profiles/{id}"),
    ("get", "/profiles/{id}/edit"),
    ("post", "/profiles/{id}/edit"),
    ("post", "/profiles/{id}/archive"),
])
def test_anonymous_is_sent_to_login(client, create_profile, method, path):
    profile = create_profile(title="Uændret")
    path = path.format(id=profile.id)
    response = getattr(client, method)(path, data={"title": "x"} if method == "post" else None)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/login?next=")
    from urllib.parse import parse_qs, urlsplit
    assert parse_qs(urlsplit(location).query)["next"] == [path]
    stored = reload(profile)
    assert stored.title == "Uændret" and stored.archived_at is None


def test_login_returns_to_the_requested_page(client, create_user):
    from tests.conftest import PASSWORD

    user = create_user()
    location = client.get("/profiles/new?side=taker").headers["Location"]
    response = client.post(location, data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/profiles/new?side=taker"


# --- browse -----------------------------------------------------------------------------------


@pytest.fixture
def browse_data(create_user, create_organisation, create_profile):
    me = create_user()
    org = create_organisation(name="Aalborg Kommune")
    create_profile("giver", owner=me, organisation=org, title="Ældrerobot",
                   description="Robotter i ældreplejen.", sectors=["elderly_care"],
                   target_groups=["elderly"], region="nordjylland", level="municipal")
    create_profile("giver", title="Sundhedsapp", description="App til patienter.",
                   sectors=["health"], target_groups=["patients"], region="hovedstaden",
                   level="regional")
    create_profile("taker", title="Fravær i skolen", description="Elever bliver væk.",
                   sectors=["education"], target_groups=["children"], region="nordjylland",
                   level="municipal", capacity=None)
    return me


def card_titles(html: str) -> set[str]:
    return set(re.findall(r'<h3><a href="/profiles/\d+" lang="[a-z]+">([^<]*)</a></h3>', html))


@pytest.mark.parametrize("query, expected", [
    ("", {"Ældrerobot", "Sundhedsapp", "Fravær i skolen"}),
    ("?side=giver", {"Ældrerobot", "Sundhedsapp"}),
    ("?side=taker", {"Fravær i skolen"}),
    ("?sector=health", {"Sundhedsapp"}),
    ("?target_group=children", {"Fravær i skolen"}),
    ("?region=nordjylland", {"Ældrerobot", "Fravær i skolen"}),
    ("?level=regional", {"Sundhedsapp"}),
    ("?q=ÆLDREPLEJEN", {"Ældrerobot"}),
    ("?q=fravær", {"Fravær i skolen"}),
    ("?mine=true", {"Ældrerobot"}),
    ("?side=giver&region=nordjylland", {"Ældrerobot"}),
    # What a browser sends when the filter form is submitted with "All" everywhere.
    ("?q=&side=&sector=&target_group=&region=&level=", {"Ældrerobot", "Sundhedsapp",
                                                         "Fravær i skolen"}),
    ("?q=&side=taker&sector=&target_group=&region=&level=", {"Fravær i skolen"}),
])
def test_browse_filters(client, login_en, browse_data, query, expected):
    login_en(browse_data)
    response = client.get("/profiles" + query)
    assert response.status_code == 200
    html = page(response)
    assert card_titles(html) == expected
    assert f"{len(expected)} profile" in html


def test_browse_keeps_the_chosen_filters(client, login_en, browse_data):
    login_en(browse_data)
    html = page(client.get("/profiles?side=giver&sector=health&q=app&mine=true"))
    assert selected(html, "filter-side") == "giver"
    assert selected(html, "filter-sector") == "health"
    assert 'value="app"' in html
    assert re.search(r'name="mine" value="true"\s*checked', html)


def test_browse_with_invalid_filter_says_so(client, login_en, browse_data):
    login_en(browse_data)
    response = client.get("/profiles?side=both")
    assert response.status_code == 200
    html = page(response)
    assert "Some filters were not valid and were ignored." in html
    assert card_titles(html) == {"Ældrerobot", "Sundhedsapp", "Fravær i skolen"}


def test_browse_pages(client, create_user, create_profile, login_en):
    for n in range(25):
        create_profile(title=f"Profil {n:02d}")
    login_en(create_user())
    html = page(client.get("/profiles"))
    assert len(card_titles(html)) == 20
    assert "Page 1 of 2" in html and 'rel="next"' in html
    html = page(client.get("/profiles?page=2"))
    assert len(card_titles(html)) == 5
    assert "Page 2 of 2" in html and 'rel="prev"' in html


# --- language ---------------------------------------------------------------------------------


def test_language_switch_to_english(client, create_user, login):
    login(create_user())
    response = client.get("/language/en?next=/profiles")
    assert response.status_code == 302 and response.headers["Location"] == "/profiles"
    html = page(client.get("/profiles"))
    assert '<html lang="en">' in html
    assert "Only mine" in html and "Log out" in html
    assert re.search(r'hreflang="en"\s*aria-current="true"', html)


def test_language_switch_to_danish(client, create_user, login):
    login(create_user(locale="en"))
    assert '<html lang="en">' in page(client.get("/profiles"))
    client.get("/language/da")
    html = page(client.get("/profiles"))
    assert '<html lang="da">' in html
    assert re.search(r'hreflang="da"\s*aria-current="true"', html)


def test_danish_interface_text(client, create_user, login):
    login(create_user(locale="en"))
    client.get("/language/da")
    html = page(client.get("/profiles"))
    assert "Log ud" in html and "Kun mine" in html and "Profiler" in html
    assert "Log out" not in html and "Only mine" not in html


def test_unknown_language_is_ignored_and_next_must_be_local(client, create_user, login):
    login(create_user())
    client.get("/language/en")
    response = client.get("/language/xx?next=https://evil.example/")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert '<html lang="en">' in page(client.get("/profiles"))
    response = client.get("/language/da?next=//evil.example/")
    assert response.headers["Location"] == "/"


def test_account_locale_is_used_until_the_visitor_chooses(client, create_user, login):
    login(create_user(locale="en"))
    assert '<html lang="en">' in page(client.get("/"))
    client.get("/language/da")
    assert '<html lang="da">' in page(client.get("/"))
