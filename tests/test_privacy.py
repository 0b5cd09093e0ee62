"""GDPR: a person downloads everything spread holds about them, and deletes their account."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from sqlalchemy import ForeignKey, func, select

from spread.extensions import db
from spread.models import (
    ApiToken,
    AuditEvent,
    Enrolment,
    Evaluation,
    FollowUp,
    LogEntry,
    NextAction,
    OutboxMessage,
    Pair,
    PoorFitFlag,
    Profile,
    User,
)
from spread.schemas.dialogues import (
    EntryUpdateSchema,
    EvaluationInputSchema,
    FollowUpInputSchema,
)
from spread.services import dialogues, privacy, rounds
from spread.services import users as user_service
from tests.conftest import PASSWORD
from tests.factories import (
    enrol_profiles,
    make_entry,
    make_interest,
    make_pair,
    make_round,
    publish_round,
    token_headers,
)
from tests.html import page

API = "/api/v1"
EN = {"Accept-Language": "en"}
NAME = "Birgitte Quornsen"
EMAIL = "birgitte.quornsen@example.dk"
# Free text the person writes; each must be gone from the whole database after deletion.
TEXTS = {
    "title": "Genindlæggelser hos Quornvig",
    "description": "Beskrivelse: borgere i Quornvig genindlægges for tit efter udskrivning.",
    "problem": "Problemet: ingen opfølgning i Quornvigs hjemmepleje.",
    "hopes": "Vi håber at genbruge Quornvig-modellen for opfølgende hjemmebesøg.",
    "second_title": "Quornvigs sundhedsbus",
    "second_description": "En sundhedsbus fra Quornvig kører ud til landsbyerne.",
    "note": "Vi mødtes i Quornvig og aftalte et besøg på plejecentret.",
    "first_note": "Første udkast fra Quornvig om mødet.",
    "decisions": "Beslutning: Quornvig sender to medarbejdere i praktik.",
    "link": "https://quornvig.example.dk/drejebog",
    "action": "Quornvig booker lokale til workshoppen",
    "flag": "Quornvig passer dårligt til deres målgruppe.",
    "worked": "Det virkede at se Quornvig-modellen i brug.",
    "did_not": "Quornvig manglede tid til opfølgningen.",
    "explanation": "Quornvig har tilpasset visitationen efter praktikken.",
    "token": "quornsen-laptop",
}
PARTNER_NOTE = "Giverens egen note om besøget."


def soon(days: int = 14) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


@dataclass
class World:
    """A published round with a full dialogue, and an open round with a pending pair."""

    users: dict
    headers: dict
    round_id: int
    pair_id: int
    dialogue_id: int
    open_round_id: int
    open_pair_id: int
    profiles: dict = field(default_factory=dict)


def build_world(create_user, create_profile, create_organisation) -> World:
    """Everyone and everything that can refer to the person ("taker"), made through the
    services the API calls."""
    users = {"coordinator": create_user(role="coordinator"), "admin": create_user(role="admin"),
             "taker": create_user(name=NAME, email=EMAIL), "giver": create_user(),
             "other": create_user()}
    headers = {who: token_headers(user) for who, user in users.items()}
    person = users["taker"]
    user_service.create_api_token(person, TEXTS["token"])
    own_org = create_organisation(created_by=person)
    giver = create_profile("giver", owner=users["giver"], title="Hverdagsrehabilitering",
                           capacity=2)
    taker = create_profile("taker", owner=person, organisation=own_org,
                           title=TEXTS["title"], description=TEXTS["description"],
                           problem=TEXTS["problem"], hopes=TEXTS["hopes"],
                           keywords=["genindlæggelse"], sectors=["elderly_care"],
                           target_groups=["elderly"])
    second = create_profile("giver", owner=person, organisation=own_org,
                            title=TEXTS["second_title"], description=TEXTS["second_description"],
                            outcomes="Færre akutte indlæggelser i Quornvig.", capacity=1)
    other_taker = create_profile("taker", owner=users["other"], title="Anden tager")
    coordinator = users["coordinator"]

    # Round 1: published, with the taker paired to the giver and a full dialogue.
    first_round = make_round(coordinator, "open", name="Innovationspraktik 2027")
    enrol_profiles(first_round, taker, actor=person)
    enrol_profiles(first_round, giver, actor=users["giver"])
    make_interest(first_round, taker, giver)
    rounds.transition(first_round, "pairing", coordinator)
    pair = make_pair(first_round, taker, giver, approve=True)
    publish_round(first_round)
    dialogue = dialogues.dialogue_of_pair(pair)
    entry = make_entry(dialogue, "taker", note=TEXTS["first_note"],
                       decisions=TEXTS["decisions"], links=[TEXTS["link"]],
                       next_actions=[{"description": TEXTS["action"], "owner": "taker",
                                      "due": soon()}])
    dialogues.update_entry(entry, person, EntryUpdateSchema().load({"note": TEXTS["note"]}))
    make_entry(dialogue, "giver", note=PARTNER_NOTE)
    dialogues.tick(dialogue, "taker", 1, 0, True, person)
    for phase in range(1, 7):
        for side in ("giver", "taker"):
            dialogues.mark_done(dialogue, side, phase, users[side])
        if phase == 2:
            dialogues.flag_poor_fit(dialogue, "taker", person, TEXTS["flag"])
    dialogues.evaluate(dialogue, "taker", person, EvaluationInputSchema().load({
        "satisfaction": 4, "would_recommend": True, "what_worked": TEXTS["worked"],
        "what_did_not": TEXTS["did_not"]}))
    dialogues.evaluate(dialogue, "giver", users["giver"], EvaluationInputSchema().load(
        {"satisfaction": 5, "would_recommend": True}))
    dialogue.followup_due = date.today()
    dialogues.follow_up(dialogue, "taker", person, FollowUpInputSchema().load(
        {"adoption": "adapted", "explanation": TEXTS["explanation"]}))
    dialogues.follow_up(dialogue, "giver", users["giver"], FollowUpInputSchema().load(
        {"improved_original": True}))
    db.session.commit()

    # Round 2: not yet published; the person's second profile is in an approved pair.
    open_round = make_round(coordinator, "open", name="Runde 2028", registration_opens=None,
                            registration_closes=None, internship_start=None,
                            internship_end=None)
    enrol_profiles(open_round, second, actor=person)
    enrol_profiles(open_round, other_taker, actor=users["other"])
    rounds.transition(open_round, "pairing", coordinator)
    open_pair = make_pair(open_round, other_taker, second, approve=True)
    return World(users, headers, first_round.id, pair.id, dialogue.id, open_round.id,
                 open_pair.id, {"taker": taker, "second": second, "giver": giver,
                                "other": other_taker})


@pytest.fixture
def world(create_user, create_profile, create_organisation) -> World:
    return build_world(create_user, create_profile, create_organisation)


def database_dump() -> str:
    """Every value of every row of every table, as one lower-case text."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            parts.append(json.dumps(list(row), default=str, ensure_ascii=False))
    return "\n".join(parts).lower()


def user_references() -> list[tuple[str, str, str]]:
    """(table, column, referenced table) of every foreign key to users.id or profiles.id."""
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if isinstance(fk, ForeignKey) and fk.target_fullname in ("users.id", "profiles.id"):
                found.append((table.name, fk.parent.name, fk.column.table.name))
    return found


# --- export -----------------------------------------------------------------------------------

def test_every_reference_to_a_person_is_an_export_section():
    references = user_references()
    assert ("log_entries", "author_id", "users") in references  # the scan finds them
    for table, column, _target in references:
        assert table in privacy.EXPORTED_TABLES + privacy.NESTED_IN_PROFILES, (
            f"{table}.{column} refers to a person: add it to the export")


def test_export_holds_every_row_that_refers_to_the_person(client, world):
    person = world.users["taker"]
    export = client.get(f"{API}/me/data", headers=world.headers["taker"]).json
    profile_ids = {p["id"] for p in export["profiles"]}
    assert profile_ids == {world.profiles["taker"].id, world.profiles["second"].id}
    checked = set()
    for table_name, column, target in user_references():
        table = db.metadata.tables[table_name]
        wanted = [person.id] if target == "users" else sorted(profile_ids)
        rows = list(db.session.execute(select(table).where(table.c[column].in_(wanted))))
        if table_name in privacy.NESTED_IN_PROFILES:
            by_profile = {p["id"]: p for p in export["profiles"]}
            for row in rows:
                nested = by_profile[row.profile_id]
                assert row.code in nested["sectors"] + nested["target_groups"]
        else:
            exported = {row["id"] for row in export[table_name]}
            assert {row.id for row in rows} <= exported, f"{table_name}.{column}"
        if rows:
            checked.add(table_name)
    # The world really fills the person's side of the model.
    assert {"api_tokens", "organisations", "profiles", "profile_sectors", "enrolments",
            "interests", "pairs", "phase_marks", "action_ticks", "log_entries",
            "poor_fit_flags", "evaluations", "follow_ups", "audit_events"} <= checked


def test_export_is_complete_and_keeps_no_secrets(client, world):
    person = world.users["taker"]
    response = client.get(f"{API}/me/data", headers=world.headers["taker"])
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert f"user-{person.id}" in response.headers["Content-Disposition"]
    export = response.json
    assert set(privacy.EXPORTED_TABLES) <= set(export)
    assert export["account"]["email"] == EMAIL and export["account"]["name"] == NAME
    text = json.dumps(export, ensure_ascii=False)
    assert "password_hash" not in text and "token_hash" not in text
    for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == person.id)):
        assert token.token_hash not in text
    assert TEXTS["token"] in {t["name"] for t in export["api_tokens"]}
    taker = next(p for p in export["profiles"] if p["side"] == "taker")
    assert (taker["title"], taker["problem"], taker["hopes"]) == (
        TEXTS["title"], TEXTS["problem"], TEXTS["hopes"])
    assert taker["sectors"] == ["elderly_care"] and taker["keywords"] == ["genindlæggelse"]
    assert {e["round_id"] for e in export["enrolments"]} == {world.round_id, world.open_round_id}
    assert {p["id"] for p in export["pairs"]} == {world.pair_id, world.open_pair_id}
    assert [d["id"] for d in export["dialogues"]] == [world.dialogue_id]
    notes = {e["note"] for e in export["log_entries"]}
    assert notes == {TEXTS["note"], PARTNER_NOTE}  # the partner's entries concern the pair too
    assert [r["note"] for r in export["log_entry_revisions"]] == [TEXTS["first_note"]]
    assert [a["description"] for a in export["next_actions"]] == [TEXTS["action"]]
    assert [f["reason"] for f in export["poor_fit_flags"]] == [TEXTS["flag"]]
    assert {e["side"]: e["satisfaction"] for e in export["evaluations"]} == {
        "taker": 4, "giver": 5}
    assert {f["side"]: f["adoption"] for f in export["follow_ups"]} == {
        "taker": "adapted", "giver": None}
    assert len(export["phase_marks"]) == 12 and len(export["action_ticks"]) == 1
    assert {"enrolment.created"} <= {e["action"] for e in export["audit_events"]}
    assert all(m["to"] == EMAIL for m in export["outbox_messages"])
    assert any(m["kind"] == "pair_published" for m in export["outbox_messages"])
    assert {r["id"] for r in export["rounds"]} == {world.round_id, world.open_round_id}


def test_coordinators_find_their_decisions_in_their_export(client, world):
    export = client.get(f"{API}/me/data", headers=world.headers["coordinator"]).json
    assert {r["id"] for r in export["rounds"]} == {world.round_id, world.open_round_id}
    assert {p["id"] for p in export["pairs"]} == {world.pair_id, world.open_pair_id}
    assert "round.state" in {e["action"] for e in export["audit_events"]}
    assert export["profiles"] == [] and export["dialogues"] == []


def test_your_data_page_offers_the_download(client, create_user, create_profile, login_en):
    person = create_user(name=NAME, email=EMAIL)
    create_profile("taker", owner=person, title=TEXTS["title"])
    login_en(person)
    me = page(client.get("/account"))
    assert 'href="/account/data"' in me and "Your data and account deletion" in me
    html = page(client.get("/account/data"))
    assert "Download my data (JSON)" in html and 'href="/account/data.json"' in html
    assert 'href="/account/delete"' in html
    response = client.get("/account/data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.json["profiles"][0]["title"] == TEXTS["title"]


def test_export_needs_login(client):
    assert client.get(f"{API}/me/data").status_code == 401
    response = client.get("/account/data.json")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- deletion ---------------------------------------------------------------------------------

def _figures(client, world) -> dict:
    """What coordinators see of the rounds, without the texts deletion is meant to change."""

    def numbers(value):
        if isinstance(value, dict):
            return {k: numbers(v) for k, v in value.items() if k not in ("title", "reason")}
        if isinstance(value, list):
            return [numbers(v) for v in value]
        return value

    coordinator = world.headers["coordinator"]
    return {
        "progress": numbers(client.get(f"{API}/rounds/{world.round_id}/progress",
                                       headers=coordinator).json),
        "dashboard": numbers(client.get(f"{API}/rounds/{world.round_id}/dashboard",
                                        headers=coordinator).json),
    }


def test_deletion_erases_the_person_but_keeps_the_statistics(client, world):
    person = world.users["taker"]
    person_id = person.id
    before = _figures(client, world)
    assert before["progress"]["dialogues"]["total"] == 1
    assert before["progress"]["funnel"][5]["completed"] == 1
    dump = database_dump()
    for text in (NAME, EMAIL, *TEXTS.values()):
        assert text.lower() in dump, text  # the check below can fail

    response = client.delete(f"{API}/me", json={"password": PASSWORD},
                             headers=world.headers["taker"])
    assert response.status_code == 204, response.json

    dump = database_dump()
    for text in (NAME, EMAIL, *TEXTS.values()):
        assert text.lower() not in dump, text
    assert "quorn" not in dump
    assert _figures(client, world) == before

    db.session.expire_all()
    tombstone = db.session.get(User, person_id)
    assert tombstone.name == "Deleted user" and tombstone.email == f"deleted-{person_id}@invalid"
    assert tombstone.deleted_at is not None and not tombstone.is_active
    assert tombstone.locale is None and not tombstone.check_password(PASSWORD)
    assert db.session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == person_id)) == 0
    for profile in db.session.scalars(select(Profile).where(Profile.owner_id == person_id)):
        assert profile.archived and profile.title == "Deleted profile"
        assert profile.description == "" and profile.hopes is None
    taker = db.session.get(Profile, world.profiles["taker"].id)
    assert taker.sectors == ["elderly_care"] and taker.target_groups == ["elderly"]  # they stay
    # Facts stay: marks, ratings, adoption; the texts are empty.
    evaluation = db.session.scalar(select(Evaluation).where(Evaluation.author_id == person_id))
    assert (evaluation.satisfaction, evaluation.would_recommend, evaluation.what_worked) == (
        4, True, "")
    report = db.session.scalar(select(FollowUp).where(FollowUp.author_id == person_id))
    assert (report.adoption, report.explanation) == ("adapted", "")
    flag = db.session.scalar(select(PoorFitFlag).where(PoorFitFlag.raised_by_id == person_id))
    assert flag.reason == "" and flag.resolved_at is None
    entry = db.session.scalar(select(LogEntry).where(LogEntry.author_id == person_id))
    assert (entry.note, entry.decisions, entry.links, entry.revisions) == ("", "", [], [])
    action = db.session.scalar(select(NextAction).where(NextAction.entry_id == entry.id))
    assert action.description == "" and action.owner == "taker" and action.due is not None
    assert db.session.scalar(select(LogEntry.note).where(
        LogEntry.author_id == world.users["giver"].id)) == PARTNER_NOTE
    # Mails to the person are gone; the partner's mail no longer names them.
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.to.in_((EMAIL, tombstone.email)))) == 0
    partner_mail = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.to == world.users["giver"].email, OutboxMessage.kind == "pair_published"))
    assert "[deleted]" in partner_mail.body
    # The audit log keeps the person's actions, now by the tombstone.
    actions = set(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_id == person_id)))
    assert {"enrolment.created", "account.deleted"} <= actions


def test_deletion_withdraws_from_rounds_not_yet_published(client, world):
    client.delete(f"{API}/me", json={"password": PASSWORD}, headers=world.headers["taker"])
    db.session.expire_all()
    second = world.profiles["second"]
    enrolment = db.session.scalar(select(Enrolment).where(
        Enrolment.round_id == world.open_round_id, Enrolment.profile_id == second.id))
    assert enrolment.withdrawn_at is not None and enrolment.approved == 0
    pair = db.session.get(Pair, world.open_pair_id)
    assert pair.status == "rejected" and pair.decision_reason == "account deleted"
    partner = db.session.scalar(select(Enrolment).where(
        Enrolment.round_id == world.open_round_id,
        Enrolment.profile_id == world.profiles["other"].id))
    assert partner.withdrawn_at is None and partner.approved == 0  # free to be paired again
    # The published round keeps its approved pair and enrolment.
    assert db.session.get(Pair, world.pair_id).status == "approved"
    board = client.get(f"{API}/rounds/{world.open_round_id}/dashboard",
                       headers=world.headers["coordinator"]).json
    assert board["enrolments"] == {"giver": 0, "taker": 1}


def test_after_deletion_nothing_logs_in(client, make_app, create_user, token_for):
    person = create_user(email=EMAIL, name=NAME)
    headers = token_for(person)
    browser = make_app().test_client()
    assert browser.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 302
    assert browser.get("/account").status_code == 200
    wrong = client.delete(f"{API}/me", json={"password": "not my password"}, headers=headers)
    assert wrong.status_code == 422 and "password" in wrong.json["errors"]
    assert client.delete(f"{API}/me", json={}, headers=headers).status_code == 422
    assert client.delete(f"{API}/me", json={"password": PASSWORD}).status_code == 401
    assert client.delete(f"{API}/me", json={"password": PASSWORD},
                         headers=headers).status_code == 204
    assert client.get(f"{API}/me", headers=headers).status_code == 401  # the token is dead
    assert client.delete(f"{API}/me", json={"password": PASSWORD},
                         headers=headers).status_code == 401
    response = browser.get("/account")  # the other session ended too
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert browser.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 422
    assert client.post(f"{API}/auth/tokens",
                       json={"email": EMAIL, "password": PASSWORD}).status_code == 401


def test_delete_page_confirms_with_the_password(client, create_user, create_profile, login_en):
    person = create_user(email=EMAIL, name=NAME)
    create_profile("giver", owner=person, title=TEXTS["title"])
    login_en(person)
    html = page(client.get("/account/delete"))
    assert "cannot be undone" in html and 'type="password"' in html
    assert "Anonymous facts stay" in html
    response = client.post("/account/delete", data={"password": "wrong password"})
    assert response.status_code == 422 and "Wrong password." in page(response)
    assert db.session.get(User, person.id).deleted_at is None
    response = client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Your account is deleted." in page(client.get("/"))
    assert client.get("/account").status_code == 302  # logged out
    db.session.expire_all()
    assert db.session.get(User, person.id).deleted_at is not None


def test_the_last_admin_cannot_delete_themself(client, create_user, token_for):
    admin = create_user(role="admin")
    headers = token_for(admin)
    response = client.delete(f"{API}/me", json={"password": PASSWORD}, headers=headers)
    assert response.status_code == 422
    assert "last admin" in response.json["errors"]["_schema"][0]
    assert db.session.get(User, admin.id).deleted_at is None
    create_user(role="admin")
    assert client.delete(f"{API}/me", json={"password": PASSWORD},
                         headers=headers).status_code == 204


def test_deleting_twice_changes_nothing(app, create_user, create_profile):
    person = create_user(email=EMAIL, name=NAME)
    create_profile("taker", owner=person)
    privacy.delete_account(person, person)
    db.session.commit()
    first = (person.email, person.name, person.deleted_at, person.password_hash)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    privacy.delete_account(person, person)
    db.session.commit()
    assert (person.email, person.name, person.deleted_at, person.password_hash) == first
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
