"""Registrations imported from the coordinators' spreadsheet; pairs exported for Excel."""
import csv
import io

import pytest
from sqlalchemy import func, select

from spread.extensions import db
from spread.models import Enrolment, Profile
from tests.rounds_helpers import move

ROUND = {"name": "Innovationspraktik 2027", "min_fit": 0.0}
HEADER = "email;side;title;organisation;description;sectors;target_groups;region;level;" \
         "capacity;available_from;available_until"


@pytest.fixture
def setup(client, create_user, create_organisation, create_profile, token_for):
    """An open round, a coordinator, two participants, organisations and one existing profile."""
    coordinator = create_user(role="coordinator")
    headers = token_for(coordinator)
    response = client.post("/api/v1/rounds/", json=ROUND, headers=headers)
    round_id = response.json["id"]
    move(client, headers, round_id, "open")
    anna = create_user(email="anna@aarhus.dk", name="Anna Ø")
    bo = create_user(email="bo@kk.dk")
    aarhus = create_organisation(name="Aarhus Kommune")
    create_organisation(name="Københavns Kommune")
    existing = create_profile("giver", owner=anna, organisation=aarhus,
                              title="Hverdagsrehabilitering", capacity=2)
    return {"round_id": round_id, "headers": headers, "coordinator": coordinator,
            "anna": anna, "bo": bo, "existing": existing,
            "participant": token_for(bo)}


def post_csv(client, setup, text, dry_run=True, encoding="utf-8", as_body=False, headers=None):
    raw = text.encode(encoding) if isinstance(text, str) else text
    url = f"/api/v1/rounds/{setup['round_id']}/import?dry_run={'true' if dry_run else 'false'}"
    headers = {**(setup["headers"] if headers is None else headers), "Accept-Language": "en"}
    if as_body:
        return client.post(url, data=raw, headers={**headers, "Content-Type": "text/csv"})
    return client.post(url, data={"file": (io.BytesIO(raw), "registrations.csv")},
                       headers=headers, content_type="multipart/form-data")


def good_csv() -> str:
    return "\n".join([
        HEADER,
        "Anna@Aarhus.dk;giver;hverdagsrehabilitering;;;;;;;;;",
        ("bo@kk.dk;tager;Skybrud i byen;Københavns Kommune;Vi søger klimatilpasning, "
         "gerne med regnvandsbede.;environment|Urban planning and housing;citizens;"
         "Capital Region of Denmark;municipal;;01-03-2027;2027-06-30"),
    ]) + "\n"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_preview_shows_what_would_happen_and_saves_nothing(client, setup):
    profiles_before = count(Profile)
    response = post_csv(client, setup, "\ufeff" + good_csv())
    assert response.status_code == 200, response.json
    body = response.json
    assert body["errors"] == [] and body["dry_run"] is True
    assert [(r["line"], r["action"]) for r in body["rows"]] == [(2, "enrol"), (3, "create")]
    assert body["rows"][0]["profile_id"] == setup["existing"].id
    assert body["rows"][1]["organisation"] == "Københavns Kommune"
    assert (body["created"], body["enrolled"]) == (1, 2)
    assert count(Profile) == profiles_before and count(Enrolment) == 0


def test_import_creates_and_enrols_every_row(client, setup):
    response = post_csv(client, setup, good_csv(), dry_run=False)
    assert response.status_code == 200, response.json
    assert (response.json["created"], response.json["enrolled"]) == (1, 2)
    created = db.session.scalar(select(Profile).where(Profile.title == "Skybrud i byen"))
    assert created.side == "taker" and created.owner_id == setup["bo"].id
    assert created.sectors == ["environment", "urban_planning"]
    assert created.target_groups == ["citizens"] and created.region == "hovedstaden"
    assert str(created.available_from) == "2027-03-01"
    enrolled = set(db.session.scalars(select(Enrolment.profile_id)))
    assert enrolled == {setup["existing"].id, created.id}
    giver = db.session.scalar(select(Enrolment).where(
        Enrolment.profile_id == setup["existing"].id))
    assert giver.capacity == 2


def test_commas_and_a_text_csv_body_work_too(client, setup):
    text = good_csv().replace(";", ",").replace("klimatilpasning, gerne", "klimatilpasning gerne")
    response = post_csv(client, setup, text, dry_run=False, as_body=True)
    assert response.status_code == 200, response.json
    assert response.json["enrolled"] == 2


def test_one_bad_row_means_nothing_is_imported(client, setup):
    text = good_csv() + "nobody@example.dk;giver;Noget;Aarhus Kommune;Tekst;;;;;;;\n"
    response = post_csv(client, setup, text, dry_run=False)
    assert response.status_code == 422
    assert response.json["errors"] == [
        {"line": 4, "field": "email", "message": "No account with the email nobody@example.dk."}]
    assert response.json["created"] == 0 and response.json["enrolled"] == 0
    assert count(Enrolment) == 0
    assert db.session.scalar(select(Profile).where(Profile.title == "Skybrud i byen")) is None


BAD_ROWS = [
    ("ghost@example.dk;giver;X;Aarhus Kommune;Tekst;;;;;;;", "email", "No account"),
    ("bo@kk.dk;giver;Ny;Odense Kommune;Tekst;;;;;;;", "organisation", "No organisation named"),
    ("bo@kk.dk;giver;Ny;;Tekst;;;;;;;", "organisation", "Give the organisation"),
    ("bo@kk.dk;giver;Ny;Aarhus Kommune;;;;;;;;", "description", "Give a description"),
    ("bo@kk.dk;giver;Ny;Aarhus Kommune;Tekst;;;;;;31-02-2027;", "available_from", "not a date"),
    ("bo@kk.dk;giver;Ny;Aarhus Kommune;Tekst;space travel;;;;;;", "sectors", "Unknown sector"),
    ("bo@kk.dk;giver;Ny;Aarhus Kommune;Tekst;;pets;;;;;", "target_groups", "Unknown target"),
    ("bo@kk.dk;giver;Ny;Aarhus Kommune;Tekst;;;Skåne;;;;", "region", "Unknown region"),
    ("bo@kk.dk;modtager;Ny;Aarhus Kommune;Tekst;;;;;;;", "side", "not a side"),
    ("bo@kk.dk;taker;Ny;Aarhus Kommune;Tekst;;;;;3;;", "capacity", "Only givers"),
    ("bo@kk.dk;giver;Ny;Aarhus Kommune;Tekst;;;;;many;;", "capacity", "Not a valid integer"),
    ("bo@kk.dk;giver;Ny;Aarhus Kommune;Tekst;;;;;;2027-06-01;2027-01-01", "available_until",
     "must not be before"),
    (";giver;Ny;Aarhus Kommune;Tekst;;;;;;;", "email", "required"),
    ("bo@kk.dk;giver;Ny;Aarhus Kommune;Tekst;;;;;;;;extra", None, "cells"),
]


@pytest.mark.parametrize("row, field, message", BAD_ROWS)
def test_each_kind_of_bad_row_is_reported_with_its_line(client, setup, row, field, message):
    text = "\n".join([HEADER, "anna@aarhus.dk;giver;Hverdagsrehabilitering;;;;;;;;;", row])
    response = post_csv(client, setup, text)
    assert response.status_code == 200
    errors = response.json["errors"]
    assert len(errors) == 1, errors
    assert errors[0]["line"] == 3 and errors[0]["field"] == field
    assert message in errors[0]["message"]
    assert response.json["rows"][0]["action"] == "enrol"


def test_duplicates_and_already_enrolled_are_reported(client, setup):
    line = "anna@aarhus.dk;giver;Hverdagsrehabilitering;;;;;;;;;"
    response = post_csv(client, setup, "\n".join([HEADER, line, line.upper()]))
    assert response.json["errors"] == [
        {"line": 3, "field": None, "message": "The same registration as line 2."}]
    assert post_csv(client, setup, "\n".join([HEADER, line]), dry_run=False).status_code == 200
    response = post_csv(client, setup, "\n".join([HEADER, line]))
    assert response.json["errors"][0]["line"] == 2
    assert "already enrolled" in response.json["errors"][0]["message"]


def test_missing_and_unknown_columns_are_reported_on_the_header_line(client, setup):
    response = post_csv(client, setup, "email;titel;sektor\nanna@aarhus.dk;X;health\n")
    messages = [(e["line"], e["message"]) for e in response.json["errors"]]
    assert messages[0][0] == 1 and "Missing column(s): side" in messages[0][1]
    assert "Unknown column(s): sektor" in messages[1][1]
    assert response.json["rows"] == []


def test_line_numbers_count_physical_lines_and_skip_blank_rows(client, setup):
    text = (HEADER + "\n"
            'bo@kk.dk;giver;Ny;Aarhus Kommune;"Første linje\nanden linje";;;;;;;\n'
            ";;;;;;;;;;;\n"
            "ghost@example.dk;giver;X;Aarhus Kommune;Tekst;;;;;;;\n")
    response = post_csv(client, setup, text)
    assert [r["line"] for r in response.json["rows"]] == [2, 5]
    assert response.json["errors"][0]["line"] == 5


def test_windows_1252_is_read_with_a_note(client, setup):
    text = "\n".join([HEADER, "bo@kk.dk;giver;Ældre på øen;Københavns Kommune;Tekst;;;;;;;"])
    response = post_csv(client, setup, text, encoding="cp1252", dry_run=False)
    assert response.status_code == 200, response.json
    assert "Windows-1252" in response.json["notes"][0]
    assert response.json["rows"][0]["title"] == "Ældre på øen"
    assert db.session.scalar(select(Profile).where(Profile.title == "Ældre på øen")) is not None


@pytest.mark.parametrize("raw, message, line", [
    (b"PK\x03\x04\x14\x00\x06\x00binary workbook", "not a CSV text file", None),
    (b"email;side;title\nx\x81\x8d\xff;giver;t\n", "not UTF-8", 2),
    (b"email;side;title\nbo@kk.dk;giver;\x01\x02\x03\n", "control characters", 2),
    (b"", "empty", None),
    (b"email;side;title\n", "no registrations", None),
])
def test_garbage_and_undecodable_files_are_refused(client, setup, raw, message, line):
    response = post_csv(client, setup, raw, dry_run=False)
    assert response.status_code == 422
    error = response.json["errors"][0]
    assert message in error["message"] and error["line"] == line


def test_a_round_that_is_not_open_takes_no_registrations(client, setup):
    move(client, setup["headers"], setup["round_id"], "draft")
    response = post_csv(client, setup, good_csv())
    assert "not open for registration" in response.json["errors"][0]["message"]


def test_only_coordinators_import_export_and_see_the_dashboard(client, setup):
    round_id = setup["round_id"]
    paths = [f"/api/v1/rounds/{round_id}/export.csv", f"/api/v1/rounds/{round_id}/dashboard"]
    for path in paths:
        assert client.get(path).status_code == 401
        assert client.get(path, headers=setup["participant"]).status_code == 403
    assert post_csv(client, setup, good_csv(), headers={}).status_code == 401
    assert post_csv(client, setup, good_csv(), headers=setup["participant"]).status_code == 403
    assert post_csv(client, setup, good_csv(), dry_run=False,
                    headers=setup["participant"]).status_code == 403
    assert count(Enrolment) == 0


def test_pages_are_for_coordinators(client, setup, login):
    round_id = setup["round_id"]
    pages = [f"/rounds/{round_id}/import", f"/rounds/{round_id}/export.csv",
             f"/rounds/{round_id}/dashboard"]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(setup["bo"])
    for page in pages:
        assert client.get(page).status_code == 403


def test_import_page_previews_then_imports_the_same_content(client, setup, login):
    login(setup["coordinator"])
    client.get("/language/en")
    url = f"/rounds/{setup['round_id']}/import"
    page = client.get(url)
    assert page.status_code == 200 and 'type="file"' in page.get_data(as_text=True)
    response = client.post(url, data={"file": (io.BytesIO(good_csv().encode("cp1252")),
                                                "r.csv")}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Create the profile and enrol it" in html and "Enrol the existing profile" in html
    assert "Windows-1252" in html and 'name="content"' in html
    assert count(Enrolment) == 0
    content = html.split('name="content" hidden>\n', 1)[1].split("</textarea>", 1)[0]
    content = content.replace("&amp;", "&").replace("&#39;", "'").replace("&#34;", '"')
    response = client.post(url, data={"confirm": "1", "content": content})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/rounds/{setup['round_id']}/dashboard")
    assert count(Enrolment) == 2
    assert db.session.scalar(select(Profile).where(Profile.title == "Skybrud i byen"))


def test_import_page_shows_errors_by_line(client, setup, login):
    login(setup["coordinator"])
    client.get("/language/en")
    url = f"/rounds/{setup['round_id']}/import"
    text = good_csv() + "ghost@example.dk;giver;X;Aarhus Kommune;Tekst;;;;;;;\n"
    response = client.post(url, data={"file": (io.BytesIO(text.encode()), "r.csv")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#line-4"' in html and 'id="line-4"' in html
    assert "No account with the email ghost@example.dk." in html
    assert 'name="confirm"' not in html
    # a tampered confirm is checked again in full: nothing is imported
    response = client.post(url, data={"confirm": "1", "content": text})
    assert response.status_code == 422 and count(Enrolment) == 0
    assert client.post(url, data={}).status_code == 422


# -- export -------------------------------------------------------------------------------------

@pytest.fixture
def decided_round(client, setup, create_profile, create_organisation, create_user):
    """The round in review with one approved and one rejected pair with tricky text."""
    headers, round_id = setup["headers"], setup["round_id"]
    other = create_organisation(name="+45 Odense")
    taker_owner = create_user(email="=cmd@odense.dk")
    taker = create_profile("taker", owner=taker_owner, organisation=other,
                           title="=HYPERLINK(\"http://evil\")")
    taker2 = create_profile("taker", owner=taker_owner, organisation=other,
                            title="Ældrepleje på Ærø")
    for profile in (setup["existing"], taker, taker2):
        r = client.post(f"/api/v1/rounds/{round_id}/enrolments",
                        json={"profile_id": profile.id}, headers=headers)
        assert r.status_code == 201, r.json
    move(client, headers, round_id, "pairing")
    first = client.post(f"/api/v1/rounds/{round_id}/pairs",
                        json={"taker_id": taker.id, "giver_id": setup["existing"].id},
                        headers=headers).json
    second = client.post(f"/api/v1/rounds/{round_id}/pairs",
                         json={"taker_id": taker2.id, "giver_id": setup["existing"].id},
                         headers=headers).json
    assert client.post(f"/api/v1/pairs/{first['id']}/approve", json={},
                       headers=headers).status_code == 200
    assert client.post(f"/api/v1/pairs/{second['id']}/reject",
                       json={"reason": "-for langt væk; @ærgerligt"},
                       headers=headers).status_code == 200
    return {"first": first, "second": second}


def test_export_is_excel_friendly_and_safe(client, setup, decided_round):
    response = client.get(f"/api/v1/rounds/{setup['round_id']}/export.csv",
                          headers=setup["headers"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["pair id", "status", "score", "taker title", "taker organisation",
                       "taker contact email", "giver title", "giver organisation",
                       "giver contact email", "mutual interest", "decision reason",
                       "decided at"]
    by_id = {int(r[0]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    approved = by_id[decided_round["first"]["id"]]
    assert approved["status"] == "approved"
    assert approved["taker title"] == "'=HYPERLINK(\"http://evil\")"
    assert approved["taker organisation"] == "'+45 Odense"
    assert approved["taker contact email"] == "'=cmd@odense.dk"
    assert approved["giver title"] == "Hverdagsrehabilitering"
    assert approved["giver contact email"] == "anna@aarhus.dk"
    assert approved["mutual interest"] == "no" and approved["decided at"]
    assert "," in approved["score"] or approved["score"] == ""
    rejected = by_id[decided_round["second"]["id"]]
    assert rejected["taker title"] == "Ældrepleje på Ærø"  # Danish letters survive
    assert rejected["decision reason"] == "'-for langt væk; @ærgerligt"


def test_export_page_downloads_the_same_file(client, setup, decided_round, login):
    login(setup["coordinator"])
    page = client.get(f"/rounds/{setup['round_id']}/export.csv")
    api = client.get(f"/api/v1/rounds/{setup['round_id']}/export.csv", headers=setup["headers"])
    assert page.status_code == 200 and page.data == api.data


def test_a_file_over_the_size_limit_is_refused(client, setup, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    response = post_csv(client, setup, good_csv() * 40, dry_run=False)
    assert response.status_code == 413 and count(Enrolment) == 0
