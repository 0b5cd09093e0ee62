"""Hostile input everywhere.

Markup and script written into any free-text field is shown escaped on every page; names cannot
inject mail headers; CSV exports neutralise formulas in every cell; bodies over
``MAX_CONTENT_LENGTH`` get 413 and over-long fields 422; Danish letters, combining marks, emoji
and right-to-left text round-trip, and the NUL character (which PostgreSQL cannot store) is
refused with 422 instead of a 500.
"""
from __future__ import annotations

import csv
import importlib
import io
import pkgutil
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_string
from email.policy import default as default_policy
from typing import ClassVar

import pytest
from markupsafe import escape
from marshmallow import ValidationError, fields, validate
from marshmallow.utils import missing
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

import spread.schemas
from spread.extensions import db
from spread.models import (
    AuditEvent,
    Dialogue,
    LogEntry,
    Organisation,
    OutboxMessage,
    Pair,
    Profile,
    Round,
    User,
)
from spread.schemas.base import NUL_MESSAGE, BaseSchema
from spread.services import demo, mail, reminders
from spread.services.csv_writer import FORMULA_PREFIXES
from tests.conftest import PASSWORD
from tests.html import page

EN = {"Accept-Language": "en"}
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>\"'&"
RAW_MARKUP = ("<script>alert(1)", "<img src=x onerror")
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
FORMULAS = ('=HYPERLINK("http://evil")', "+1", "-1", "@SUM(1)")
#: Danish letters, a combining accent, an emoji with skin tone and joiner, Hebrew (RTL).
UNICODE = "æøå ÆØÅ Ærø e\u0301 👩🏽\u200d⚕️ שלום"
#: A line break and a header in a name: must not become a header of a mail.
HEADER_INJECTION = "\r\nBcc: evil@example.com\r\n"


def hostile(tag: str, formula: int = 0, extra: str = "") -> str:
    """A value that starts like a formula, carries markup, a unique tag and Unicode."""
    return f"{FORMULAS[formula % len(FORMULAS)]} {XSS} {tag}{extra} {UNICODE}"


#: Every value the scenario writes, by a short name.
V = {
    "coordinator name": hostile("COORDINATOR-NAME", 0),
    "giver name": hostile("GIVER-NAME", 1, HEADER_INJECTION),
    "taker name": hostile("TAKER-NAME", 2),
    "giver org": hostile("GIVER-ORG", 0, HEADER_INJECTION),
    "taker org": hostile("TAKER-ORG", 1, HEADER_INJECTION),
    "giver title": hostile("GIVER-TITLE", 2),
    "giver description": hostile("GIVER-DESCRIPTION", 3,
                                 " Hverdagsrehabilitering i hjemmeplejen for ældre borgere."),
    "giver problem": hostile("GIVER-PROBLEM", 0),
    "giver outcomes": hostile("GIVER-OUTCOMES", 1),
    "keyword": "+1" + XSS,  # keywords are at most 60 characters
    "keyword unicode": UNICODE,
    "taker title": hostile("TAKER-TITLE", 3),
    "taker description": hostile("TAKER-DESCRIPTION", 0, " Ældrepleje og rehabilitering."),
    "taker problem": hostile("TAKER-PROBLEM", 1),
    "taker hopes": hostile("TAKER-HOPES", 2),
    "taker2 title": hostile("TAKER2-TITLE", 0),
    "round name": hostile("ROUND-NAME", 1, HEADER_INJECTION),
    "round description": hostile("ROUND-DESCRIPTION", 2),
    "transition reason": hostile("TRANSITION-REASON", 3),
    "reject reason": hostile("REJECT-REASON", 3),
    "ban reason": hostile("BAN-REASON", 0),
    "entry note": hostile("ENTRY-NOTE", 1),
    "entry decisions": hostile("ENTRY-DECISIONS", 2),
    "next action": hostile("NEXT-ACTION", 3),
    "api entry note": hostile("API-ENTRY-NOTE", 0),
    "api entry decisions": hostile("API-ENTRY-DECISIONS", 1),
    "api next action": hostile("API-NEXT-ACTION", 2),
    "edited note": hostile("EDITED-NOTE", 3),
    "edited decisions": hostile("EDITED-DECISIONS", 0),
    "poor fit reason": hostile("POOR-FIT-REASON", 1),
    "giver what worked": hostile("GIVER-WHAT-WORKED", 2),
    "giver what did not": hostile("GIVER-WHAT-DID-NOT", 3),
    "taker what worked": hostile("TAKER-WHAT-WORKED", 0),
    "taker what did not": hostile("TAKER-WHAT-DID-NOT", 1),
    "taker follow-up": hostile("TAKER-FOLLOW-UP", 2),
    "giver follow-up": hostile("GIVER-FOLLOW-UP", 3),
    "guide title": hostile("GUIDE-TITLE", 0),
    "guide note": hostile("GUIDE-NOTE", 1),
    "api token name": hostile("API-TOKEN", 2)[:100],
    "web token name": hostile("WEB-TOKEN", 3)[:100],
    "close reason": hostile("CLOSE-REASON", 0),
    "search": hostile("SEARCH", 1),
    "deletion reason": hostile("DELETION-REASON", 3),
    "login email": hostile("LOGIN-EMAIL", 2),
    "model note": hostile("MODEL-NOTE", 1),
}

#: Where the scenario writes every free-text input field of the schemas (the declaring schema
#: and field), so that a new field cannot be forgotten here.
COVERED_FIELDS = {
    "RegisterSchema.name": "giver name (page) and taker name",
    "LoginSchema.email": "login email (page, echoed in the form)",
    "TokenRequestSchema.name": "api token name",
    "OrganisationSchema.name": "giver org (page), taker org (API)",
    "OrganisationQuerySchema.q": "search (organisations page)",
    "ProfileSchema.title": "giver title (page), taker titles (API)",
    "ProfileSchema.description": "giver description (page), taker description (API)",
    "ProfileSchema.problem": "giver problem, taker problem",
    "ProfileSchema.outcomes": "giver outcomes",
    "ProfileSchema.hopes": "taker hopes",
    "ProfileSchema.keywords": "keyword, keyword unicode",
    "ProfileQuerySchema.q": "search (profiles page)",
    "RoundSchema.name": "round name (page)",
    "RoundSchema.description": "round description (page)",
    "TransitionSchema.reason": "transition reason (page)",
    "DecisionSchema.reason": "reject reason (page)",
    "BanSchema.reason": "ban reason (page)",
    "LocalisedTextSchema.da": "guide title (API)",
    "LocalisedTextSchema.en": "guide title (API)",
    "GuideInputSchema.note": "guide note (API)",
    "NextActionInputSchema.description": "next action (page), api next action",
    "EntryInputSchema.note": "entry note (page), api entry note",
    "EntryInputSchema.decisions": "entry decisions (page), api entry decisions",
    "EntryUpdateSchema.note": "edited note (page)",
    "EntryUpdateSchema.decisions": "edited decisions (page)",
    "ReasonSchema.reason": "poor fit reason (page), close reason (page)",
    "EvaluationInputSchema.what_worked": "giver (page) and taker (API) what worked",
    "EvaluationInputSchema.what_did_not": "giver (page) and taker (API) what did not",
    "FollowUpInputSchema.explanation": "taker (page) and giver (API) follow-up",
    "UserSearchSchema.q": "search (admins' account list)",
    "DeleteAccountSchema.reason": "deletion reason (admins' page)",
    "LearnSchema.note": "model note (match model page)",
}


# ------------------------------------------------------------------ the free-text fields

def _schema_classes() -> list[type[BaseSchema]]:
    for module in pkgutil.iter_modules(spread.schemas.__path__):
        importlib.import_module(f"spread.schemas.{module.name}")
    found, todo = set(), list(BaseSchema.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls not in found:
            found.add(cls)
            todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: cls.__name__)


def _takes_input(field_: fields.Field) -> bool:
    """Input fields say what they need (required, a default or validators); answers do not."""
    return not field_.dump_only and (
        field_.required or field_.load_default is not missing or bool(field_.validators))


def _is_free_text(name: str, field_: fields.Field) -> bool:
    if isinstance(field_, fields.List):
        field_ = field_.inner
    if not isinstance(field_, fields.String) or isinstance(field_, (fields.Email, fields.Url)):
        return False
    if field_.dump_only or field_.load_only or "password" in name:
        return False  # answers and secrets
    return not any(isinstance(v, (validate.OneOf, validate.Regexp)) for v in field_.validators)


def free_text_fields() -> dict[str, tuple[type[BaseSchema], str]]:
    """``Schema.field`` of every free-text input field, keyed by the schema that declares it."""
    result = {}
    for cls in _schema_classes():
        declared = cls._declared_fields
        if not any(_takes_input(f) for f in declared.values()):
            continue
        for name, field_ in declared.items():
            inherited = any(getattr(base, "_declared_fields", {}).get(name) is field_
                            for base in cls.__mro__[1:])
            if not inherited and _is_free_text(name, field_):
                result[f"{cls.__name__}.{name}"] = (cls, name)
    return result


FREE_TEXT = free_text_fields()


def test_the_scenario_writes_every_free_text_field():
    """A new free-text field of an input schema must be added to this module's scenario."""
    assert set(FREE_TEXT) - set(COVERED_FIELDS) == set(), "add these fields to COVERED_FIELDS"
    assert set(COVERED_FIELDS) - set(FREE_TEXT) == set(), "these fields are gone"


def test_every_free_text_field_has_a_length_limit():
    """Unlimited text would let one field fill the database; each says its maximum."""
    for key, (cls, name) in FREE_TEXT.items():
        field_ = cls._declared_fields[name]
        inner = field_.inner if isinstance(field_, fields.List) else field_
        limits = [v.max for v in inner.validators if isinstance(v, validate.Length)]
        assert any(limit is not None for limit in limits), key


@pytest.mark.parametrize("key", sorted(FREE_TEXT))
def test_schemas_keep_hostile_text_verbatim_and_refuse_nul(app, key):
    """Loading keeps markup, formulas and Unicode as they are; NUL is a field error."""
    cls, name = FREE_TEXT[key]
    field_ = cls._declared_fields[name]
    value = (XSS + " " + UNICODE)[:50]
    as_input = [value] if isinstance(field_, fields.List) else value
    schema = cls()
    try:
        loaded = schema.load({name: as_input}, partial=True)
    except ValidationError as error:  # another rule of the schema (e.g. side fields) may object
        assert name not in error.messages, error.messages
    else:
        assert loaded[name] == as_input
    with pytest.raises(ValidationError) as refused:
        schema.load({name: [value + "\x00"] if isinstance(field_, fields.List)
                     else value + "\x00"}, partial=True)
    assert refused.value.messages[name] == [NUL_MESSAGE]


# ------------------------------------------------------------------ the scenario

@dataclass
class World:
    """Everything the scenario made, by id, and how to act as each person."""

    users: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)


@pytest.fixture
def app(app):
    """The app, running pairing runs in the request that starts them."""
    app.config["PAIRING_IN_BACKGROUND"] = False
    return app


def ok(response, status=200):
    """Assert the status and return the response."""
    assert response.status_code == status, (response.status_code, field_errors(response))
    return response


def field_errors(response) -> object:
    """The field errors of a page or an API answer, to explain a failed request."""
    if response.is_json:
        return response.json
    html = page(response)
    found = re.findall(r'<ul class="field-errors" id="([^"]+)">(.*?)</ul>', html, re.DOTALL)
    summary = re.findall(r'class="error-summary".*?</div>', html, re.DOTALL)
    return [(name, " ".join(text.split())) for name, text in found] or summary or html[-1500:]


def as_user(client, user):
    """Log ``user`` in through the form (logging out whoever was logged in)."""
    client.post("/logout")
    ok(client.post("/login", data={"email": user.email, "password": PASSWORD}), 302)
    return client


def one(model, *where):
    """The only row of ``model`` matching ``where``."""
    return db.session.scalars(select(model).where(*where)).one()


def sign_up_through_the_page(client, name: str, email: str) -> User:
    """Register on /register and confirm the address through the mailed link."""
    response = ok(client.post("/register", headers=EN,
                              data={"name": name, "email": email, "password": PASSWORD}))
    assert escaping_problems(page(response)) == []
    user = one(User, User.email == email)
    assert user.name == name
    body = one(OutboxMessage, OutboxMessage.to == email).body
    assert name in body  # a plain-text mail: the name as written, not as HTML
    ok(client.get(re.search(r"/confirm/\S+", body).group(0)), 302)
    client.post("/logout")
    return user


def build_world(client, create_user, token_for) -> World:
    """Write a hostile value into every free-text field, through pages and the API."""
    # Pages go through ``client`` (logged in as someone); API calls through a client without a
    # session, since a session login would take precedence over the bearer token.
    w = World()
    api = client.application.test_client()
    w.users["coordinator"] = create_user(role="coordinator", name=V["coordinator name"])
    w.users["admin"] = create_user(role="admin", name=hostile("ADMIN-NAME"))
    w.users["giver"] = sign_up_through_the_page(client, V["giver name"], "=giver@example.dk")
    w.users["taker"] = create_user(name=V["taker name"], email="+taker@example.dk")
    w.headers = {who: token_for(user) for who, user in w.users.items()}
    H, ids = w.headers, w.ids

    ok(api.post("/api/v1/auth/tokens", json={"email": "=giver@example.dk",
                                                "password": PASSWORD,
                                                "name": V["api token name"]}), 201)
    as_user(client, w.users["taker"])
    ok(client.post("/account/tokens", data={"name": V["web token name"] + "\x00"}), 302)

    # Organisations: one through the page, one through the API.
    as_user(client, w.users["giver"])
    ok(client.post("/organisations/new", data={"name": V["giver org"], "kind": "municipality",
                                               "region": "midtjylland", "country": "DK"}), 302)
    ids["giver org"] = one(Organisation, Organisation.name == V["giver org"]).id
    ids["taker org"] = ok(api.post("/api/v1/organisations/", headers=H["taker"], json={
        "name": V["taker org"], "kind": "municipality", "region": "hovedstaden"}), 201).json["id"]

    # Profiles: the giver's through the page, the takers' through the API.
    ok(client.post("/profiles/new?side=giver", data={"side": "giver",
        "organisation_id": ids["giver org"], "language": "da", "title": V["giver title"],
        "description": V["giver description"], "problem": V["giver problem"],
        "outcomes": V["giver outcomes"], "keywords": f"{V['keyword']}, {V['keyword unicode']}",
        "sectors": "elderly_care", "capacity": "2", "available_from": "2027-01-01",
        "available_until": "2027-12-31"}), 302)
    ids["giver"] = one(Profile, Profile.title == V["giver title"]).id
    for key, title, extra in (("taker", V["taker title"], {"hopes": V["taker hopes"],
                                                            "problem": V["taker problem"]}),
                              ("taker2", V["taker2 title"], {})):
        ids[key] = ok(api.post("/api/v1/profiles/", headers=H["taker"], json={
            "side": "taker", "organisation_id": ids["taker org"], "title": title,
            "description": V["taker description"], "keywords": [V["keyword"]],
            "sectors": ["elderly_care"], "available_from": "2027-01-01",
            "available_until": "2027-12-31", **extra}), 201).json["id"]

    # The round through the pages: created, opened with a reason.
    as_user(client, w.users["coordinator"])
    ok(client.post("/rounds/new", data={
        "name": V["round name"], "description": V["round description"],
        "registration_opens": "2027-01-01", "registration_closes": "2027-02-01",
        "internship_start": "2027-03-01", "internship_end": "2027-03-31", "min_fit": "0"}), 302)
    ids["round"] = round_id = one(Round, Round.name == V["round name"]).id
    ok(client.post(f"/rounds/{round_id}/state", data={"state": "open",
                                                      "reason": V["transition reason"]}), 302)
    for key, who in (("giver", "giver"), ("taker", "taker"), ("taker2", "taker")):
        ok(api.post(f"/api/v1/rounds/{round_id}/enrolments", headers=H[who],
                       json={"profile_id": ids[key]}), 201)
    ok(api.post(f"/api/v1/rounds/{round_id}/interests", headers=H["taker"],
                   json={"from_profile_id": ids["taker"], "to_profile_id": ids["giver"]}), 201)
    transition(api, H["coordinator"], round_id, "pairing")

    # Review: approve one pair, reject and ban the other through the review page.
    ids["pair"] = ok(api.post(f"/api/v1/rounds/{round_id}/pairs", headers=H["coordinator"],
                                 json={"taker_id": ids["taker"], "giver_id": ids["giver"]}),
                     201).json["id"]
    ok(api.post(f"/api/v1/pairs/{ids['pair']}/approve", json={}, headers=H["coordinator"]))
    ids["rejected pair"] = ok(client.post(
        f"/api/v1/rounds/{round_id}/pairs", headers=H["coordinator"],
        json={"taker_id": ids["taker2"], "giver_id": ids["giver"]}), 201).json["id"]
    ok(client.post(f"/pairs/{ids['rejected pair']}/reject",
                   data={"reason": V["reject reason"]}), 302)
    ok(client.post(f"/rounds/{round_id}/bans", data={
        "taker_id": ids["taker2"], "giver_id": ids["giver"], "reason": V["ban reason"]}), 302)
    ids["run"] = ok(api.post(f"/api/v1/rounds/{round_id}/runs", headers=H["coordinator"],
                                json={"method": "optimal", "only_unpaired": True}), 202).json["id"]
    if db.session.get(Round, round_id).state != "review":  # a finished run moves it there
        transition(api, H["coordinator"], round_id, "review")
    transition(api, H["coordinator"], round_id, "published")

    # The dialogue: entries through the page and the API, an edit, all phases, a poor fit.
    ids["dialogue"] = dialogue_id = one(Dialogue, Dialogue.pair_id == ids["pair"]).id
    soon = (date.today() + timedelta(days=14)).isoformat()
    as_user(client, w.users["giver"])
    ok(client.post(f"/dialogues/{dialogue_id}/entries", data={
        "phase": "1", "note": V["entry note"], "decisions": V["entry decisions"],
        "links": "https://example.dk/æøå", "na-0-description": V["next action"],
        "na-0-owner": "taker", "na-0-due": soon}), 302)
    ids["entry"] = one(LogEntry, LogEntry.note == V["entry note"]).id
    ok(api.post(f"/api/v1/dialogues/{dialogue_id}/entries", headers=H["taker"], json={
        "phase": 1, "note": V["api entry note"], "decisions": V["api entry decisions"],
        "next_actions": [{"description": V["api next action"], "owner": "giver",
                          "due": soon}]}), 201)
    ok(client.post(f"/dialogues/entries/{ids['entry']}/edit", data={
        "note": V["edited note"], "decisions": V["edited decisions"], "links": ""}), 302)
    for phase in range(1, 7):
        for who in ("giver", "taker"):
            ok(api.post(f"/api/v1/dialogues/{dialogue_id}/phases/{phase}/done",
                           headers=H[who]))
    ok(client.post(f"/dialogues/{dialogue_id}/evaluation", data={
        "satisfaction": "4", "would_recommend": "true", "what_worked": V["giver what worked"],
        "what_did_not": V["giver what did not"]}), 302)
    ok(api.post(f"/api/v1/dialogues/{dialogue_id}/evaluation", headers=H["taker"], json={
        "satisfaction": 2, "would_recommend": False, "what_worked": V["taker what worked"],
        "what_did_not": V["taker what did not"]}), 201)
    db.session.get(Dialogue, dialogue_id).followup_due = date.today()
    db.session.commit()
    ok(api.post(f"/api/v1/dialogues/{dialogue_id}/follow-up", headers=H["giver"], json={
        "improved_original": True, "explanation": V["giver follow-up"]}), 201)
    as_user(client, w.users["taker"])
    ok(client.post(f"/dialogues/{dialogue_id}/follow-up", data={
        "adoption": "not_adopted", "explanation": V["taker follow-up"]}), 302)
    ok(client.post(f"/dialogues/{dialogue_id}/poor-fit", data={"reason": V["poor fit reason"]}),
       302)
    reminders.send_reminders(today=date.today() + timedelta(days=60))
    db.session.commit()

    # A new version of the phase guide with a hostile title and note.
    guide = ok(api.get("/api/v1/phase-guides", headers=H["admin"])).json["current"]
    phases = guide["phases"]
    phases[0]["title"] = {"da": V["guide title"], "en": V["guide title"]}
    ok(api.post("/api/v1/phase-guides", headers=H["admin"],
                   json={"phases": phases, "note": V["guide note"]}), 201)
    client.post("/logout")
    return w


def transition(client, headers, round_id, state):
    """Move the round over the API."""
    ok(client.post(f"/api/v1/rounds/{round_id}/transitions", json={"state": state},
                   headers=headers))


@pytest.fixture
def world(client, create_user, token_for) -> World:
    """The scenario, built once per test."""
    return build_world(client, create_user, token_for)


def escaping_problems(html: str, *keys: str) -> list[str]:
    """Raw markup from the payload, and named values missing in their escaped form."""
    problems = [f"raw {marker!r} near {html[max(html.find(marker) - 200, 0):html.find(marker)]!r}"
                for marker in RAW_MARKUP if marker in html]
    return problems + [f"{key} missing" for key in keys if str(escape(V[key])) not in html]


def test_scenario_stores_every_value_verbatim(world):
    """Form → database and API → database keep markup, formulas and Unicode exactly."""
    ids = world.ids
    giver = db.session.get(Profile, ids["giver"])
    assert (giver.title, giver.description, giver.problem, giver.outcomes) == (
        V["giver title"], V["giver description"], V["giver problem"], V["giver outcomes"])
    assert giver.keywords == [V["keyword"], V["keyword unicode"]]
    taker = db.session.get(Profile, ids["taker"])
    assert (taker.title, taker.hopes) == (V["taker title"], V["taker hopes"])
    assert db.session.get(Organisation, ids["giver org"]).name == V["giver org"]
    assert world.users["giver"].name == V["giver name"]
    round_ = db.session.get(Round, ids["round"])
    assert (round_.name, round_.description) == (V["round name"], V["round description"])
    assert db.session.get(Pair, ids["rejected pair"]).decision_reason == V["reject reason"]
    assert db.session.get(LogEntry, ids["entry"]).note == V["edited note"]
    names = {token.name for token in world.users["giver"].tokens + world.users["taker"].tokens}
    assert {V["api token name"], V["web token name"]} <= names


def pages_of(world: World) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Who looks at which page, and which values the page must show (escaped)."""
    i = world.ids
    r, d = i["round"], i["dialogue"]
    profile_values = ("giver title", "giver description", "giver problem", "giver outcomes",
                      "giver org", "giver name", "keyword", "keyword unicode")
    dialogue_values = ("giver title", "taker title", "giver org", "taker org", "round name",
                       "edited note", "edited decisions", "entry note", "entry decisions",
                       "next action", "api entry note", "api entry decisions",
                       "api next action", "poor fit reason", "giver name", "taker name")
    return {
        "coordinator": [
            ("/", ()),
            ("/profiles", ("giver title", "taker title", "giver org", "taker org")),
            (f"/profiles/{i['giver']}", profile_values + ("taker title",)),
            (f"/profiles/{i['taker']}", ("taker title", "taker description", "taker problem",
                                         "taker hopes", "taker org", "taker name",
                                         "giver title")),
            (f"/profiles/{i['giver']}/edit", ("giver title", "giver description",
                                              "giver problem", "giver outcomes")),
            ("/organisations", ("giver org", "taker org")),
            (f"/organisations/{i['giver org']}", ("giver org", "giver title")),
            (f"/organisations/{i['giver org']}/edit", ("giver org",)),
            ("/rounds", ("round name",)),
            (f"/rounds/{r}", ("round name", "round description")),
            (f"/rounds/{r}/edit", ("round name", "round description")),
            (f"/rounds/{r}/pairs", ("giver title", "taker title", "taker2 title",
                                    "giver org", "taker org", "reject reason")),
            (f"/pairs/{i['pair']}", ("round name", "giver title", "taker title",
                                     "coordinator name")),
            (f"/pairs/{i['rejected pair']}", ("reject reason", "taker2 title")),
            (f"/rounds/{r}/audit", ("round name", "transition reason", "reject reason",
                                    "ban reason", "coordinator name")),
            (f"/rounds/{r}/dashboard", ("round name", "taker2 title")),
            (f"/rounds/{r}/run", ("round name",)),
            (f"/rounds/{r}/runs/{i['run']}", ("round name", "taker2 title")),
            (f"/rounds/{r}/progress", ("round name", "giver title", "taker title",
                                       "poor fit reason")),
            (f"/rounds/{r}/import", ("round name",)),
            ("/outbox", ("giver name", "taker name", "giver title", "taker title",
                         "poor fit reason", "next action", "api next action")),
            (f"/dialogues/{d}", dialogue_values),
        ],
        "giver": [
            ("/account", ("giver name", "giver title", "taker title", "round name",
                          "taker org", "taker name", "api token name")),
            (f"/dialogues/{d}", dialogue_values + ("giver what worked", "giver what did not",
                                                   "giver follow-up")),
            (f"/dialogues/entries/{i['entry']}/edit", ("edited note", "edited decisions",
                                                       "entry note")),
            (f"/rounds/{r}", ("round name", "round description", "giver title",
                              "taker title")),
        ],
        "taker": [
            ("/account", ("taker name", "taker title", "giver title", "round name",
                          "giver org", "giver name", "web token name")),
            (f"/dialogues/{d}", dialogue_values + ("taker what worked", "taker what did not",
                                                   "taker follow-up")),
            (f"/rounds/{r}", ("round name", "taker title", "taker2 title", "giver title")),
        ],
        "admin": [
            ("/admin/phase-guide", ("guide title", "guide note")),
        ],
    }


def test_every_page_shows_the_payload_escaped(client, world):
    """Every page where the values appear shows them escaped, in Danish and in English."""
    problems: list[str] = []
    for who, pages in pages_of(world).items():
        as_user(client, world.users[who])
        for url, keys in pages:
            for language in ("da", "en"):
                response = client.get(url, headers={"Accept-Language": language})
                assert response.status_code == 200, (who, url, response.status_code)
                problems.extend(f"{who} {url} [{language}]: {problem}"
                                for problem in escaping_problems(page(response), *keys))
    assert problems == []


def test_closing_reason_is_shown_escaped(client, world):
    """The coordinator's reason for closing a pairing, on the workspace and the pair's page."""
    as_user(client, world.users["coordinator"])
    d = world.ids["dialogue"]
    ok(client.post(f"/dialogues/{d}/close", data={"reason": V["close reason"]}), 302)
    assert db.session.get(Dialogue, d).closed_reason == V["close reason"]
    for url in (f"/dialogues/{d}", f"/pairs/{world.ids['pair']}"):
        html = page(ok(client.get(url, headers=EN)))
        assert escaping_problems(html, "close reason") == [], url


def test_rejected_input_is_echoed_escaped(client, create_user, create_organisation):
    """A form shown again with errors puts the user's input back escaped, in every field."""
    user = create_user()
    org = create_organisation()
    response = client.post("/login", data={"email": V["login email"], "password": "x" * 12},
                           headers=EN)
    assert response.status_code in (401, 422)
    assert escaping_problems(page(response), "login email") == []
    as_user(client, user)
    form = {"side": "giver", "organisation_id": org.id, "title": V["giver title"],
            "description": "x" * 5001, "problem": V["giver problem"],
            "outcomes": V["giver outcomes"], "keywords": V["keyword"]}
    response = client.post("/profiles/new?side=giver", data=form, headers=EN)
    assert response.status_code == 422
    html = page(response)
    assert "and 5000 characters." in html
    assert escaping_problems(html, "giver title", "giver problem", "giver outcomes",
                             "keyword") == []
    response = client.post("/organisations/new", data={"name": V["giver org"], "kind": "?"},
                           headers=EN)
    assert response.status_code == 422
    assert escaping_problems(page(response), "giver org") == []
    assert db.session.scalar(select(func.count(Profile.id))) == 0


def test_search_terms_are_echoed_escaped(client, create_user):
    """The search box shows what was searched for, escaped; so do the API's answers."""
    as_user(client, create_user())
    for url in ("/profiles", "/organisations"):
        response = ok(client.get(url, query_string={"q": V["search"]}, headers=EN))
        assert escaping_problems(page(response), "search") == [], url


class RecordingSMTP:
    """Stands in for :class:`smtplib.SMTP`: keeps what would have been sent."""

    sent: ClassVar[list[str]] = []

    def __init__(self, host, port, timeout=None):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        """Pretend to start TLS."""

    def login(self, username, password):
        """Pretend to log in."""

    def send_message(self, message):
        """Keep the message as it would go on the wire."""
        RecordingSMTP.sent.append(message.as_string())


def test_mails_keep_names_out_of_headers_and_text_plain(app, world, monkeypatch):
    """Names with line breaks cannot add headers; bodies carry the text as written."""
    messages = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    kinds = {m.kind for m in messages}
    assert {"pair_published", "poor_fit", "reminder_overdue"} <= kinds, kinds
    one_line = " ".join(V["round name"].split())
    for message in messages:
        assert not re.search(r"[\x00-\x1f\x7f]", message.subject), message.subject
        assert len(message.subject) <= 300
    published = [m for m in messages if m.kind == "pair_published"]
    assert all(one_line in m.subject for m in published)
    assert any(V["taker title"] in m.body and V["giver org"] in m.body for m in published)
    flagged = [m for m in messages if m.kind == "poor_fit"]
    assert flagged and all(V["poor fit reason"] in m.body and "&lt;" not in m.body
                           for m in flagged)
    overdue = [m for m in messages if m.kind == "reminder_overdue"]
    assert any(" ".join(V["giver org"].split()) in m.subject for m in overdue)

    RecordingSMTP.sent = []
    monkeypatch.setattr(mail.smtplib, "SMTP", RecordingSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.invalid")
    for message in messages:
        assert mail.deliver(message) is True
        wire = message_from_string(RecordingSMTP.sent[-1], policy=default_policy)
        assert "Bcc" not in wire and len(wire.get_all("Subject")) == 1
        # Python's encoder may drop a space between two RFC 2047 encoded words; nothing else.
        assert wire["Subject"].replace(" ", "") == message.subject.replace(" ", "")
        assert wire["To"] == message.to
        assert wire.get_content().splitlines() == message.body.splitlines()


def test_a_subject_never_has_a_line_break(app):
    """The mail service itself makes a subject one line, whatever it is given."""
    message = mail.send_mail("a@example.dk", "Runde\r\nBcc: evil@example.com\n" + "x" * 400,
                             "Hej")
    assert message.subject.startswith("Runde Bcc: evil@example.com x")
    assert len(message.subject) == 300 and "\n" not in message.subject
    db.session.rollback()


def read_csv(response) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a CSV download (UTF-8 with BOM, ``;``)."""
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
    return rows[0], rows[1:]


def neutralised(value: str) -> str:
    """How a text cell that a spreadsheet would take for a formula is exported."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def test_csv_exports_neutralise_formulas_in_every_cell(client, world):
    """No exported cell starts with = + - @ (or tab, CR); the text is kept after an apostrophe."""
    as_user(client, world.users["coordinator"])
    r = world.ids["round"]
    expected_pairs = {
        "taker title": {neutralised(V["taker title"]), neutralised(V["taker2 title"])},
        "taker organisation": {neutralised(V["taker org"])},
        "taker contact email": {"'+taker@example.dk"},
        "giver title": {neutralised(V["giver title"])},
        "giver organisation": {neutralised(V["giver org"])},
        "giver contact email": {"'=giver@example.dk"},
        "decision reason": {"", neutralised(V["reject reason"])},
    }
    for url in (f"/rounds/{r}/export.csv", f"/api/v1/rounds/{r}/export.csv"):
        header, rows = read_csv(ok(client.get(url, headers=EN)))
        assert len(rows) == 2
        for row in rows:
            for column, cell in zip(header, row, strict=True):
                assert not cell.startswith(FORMULA_PREFIXES), (url, column, cell)
        columns = {name: {row[index] for row in rows} for index, name in enumerate(header)}
        for column, values in expected_pairs.items():
            assert columns[column] == values, (url, column)

    header, rows = read_csv(ok(client.get(f"/rounds/{r}/progress.csv", headers=EN)))
    assert len(rows) == 1
    for column, cell in zip(header, rows[0], strict=True):
        assert not cell.startswith(FORMULA_PREFIXES), (column, cell)
    exported = dict(zip(header, rows[0]))
    assert exported["Taker"] == neutralised(V["taker title"])
    assert exported["Taker organisation"] == neutralised(V["taker org"])
    assert exported["Giver"] == neutralised(V["giver title"])
    assert exported["Giver organisation"] == neutralised(V["giver org"])
    assert exported["Open poor-fit flag"] == neutralised(V["poor fit reason"])
    assert exported["Explanation"] == neutralised(V["taker follow-up"])


def test_api_returns_the_text_verbatim_as_json(client, world):
    """The API answers JSON (never HTML) with the strings exactly as written."""
    i, H = world.ids, world.headers

    def get(url, who="coordinator"):
        """GET as ``who``: JSON, not sniffable as anything else."""
        response = ok(client.get(url, headers=H[who]))
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        return response.json

    giver = get(f"/api/v1/profiles/{i['giver']}")
    assert (giver["title"], giver["description"], giver["problem"], giver["outcomes"]) == (
        V["giver title"], V["giver description"], V["giver problem"], V["giver outcomes"])
    assert giver["keywords"] == [V["keyword"], V["keyword unicode"]]
    assert giver["owner"]["name"] == V["giver name"]
    assert giver["organisation"]["name"] == V["giver org"]
    assert get(f"/api/v1/profiles/{i['taker']}")["hopes"] == V["taker hopes"]
    assert get(f"/api/v1/organisations/{i['taker org']}")["name"] == V["taker org"]
    round_ = get(f"/api/v1/rounds/{i['round']}")
    assert (round_["name"], round_["description"]) == (V["round name"],
                                                       V["round description"])
    pairs = get(f"/api/v1/rounds/{i['round']}/pairs")
    assert V["reject reason"] in {p["decision_reason"] for p in pairs}
    reasons = {e["reason"] for e in get(f"/api/v1/rounds/{i['round']}/audit")}
    assert {V["transition reason"], V["reject reason"], V["ban reason"]} <= reasons
    workspace = get(f"/api/v1/dialogues/{i['dialogue']}", "taker")
    notes = {e["note"] for e in workspace["entries"]}
    assert {V["edited note"], V["api entry note"]} <= notes
    actions = {a["description"] for e in workspace["entries"] for a in e["next_actions"]}
    assert actions == {V["next action"], V["api next action"]}
    assert workspace["poor_fit_flags"][0]["reason"] == V["poor fit reason"]
    assert workspace["evaluations"]["taker"]["what_did_not"] == V["taker what did not"]
    assert workspace["follow_ups"]["taker"]["explanation"] == V["taker follow-up"]
    progress = get(f"/api/v1/rounds/{i['round']}/progress")
    assert progress["poor_fit_flags"][0]["reason"] == V["poor fit reason"]
    guides = get("/api/v1/phase-guides", "admin")
    assert guides["current"]["note"] == V["guide note"]
    assert guides["current"]["phases"][0]["title"]["da"] == V["guide title"]
    assert get("/api/v1/me", "taker")["name"] == V["taker name"]
    found = get("/api/v1/profiles/?" + "q=" + "GIVER-TITLE")
    assert [p["title"] for p in found["items"]] == [V["giver title"]]


# ------------------------------------------------------------------ oversized bodies

def too_big(app) -> int:
    """One byte more than the app accepts."""
    return app.config["MAX_CONTENT_LENGTH"] + 1


def assert_413_page(response) -> None:
    """The app's error page for a body that is too large."""
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "The request is too large." in page(response)


def assert_413_json(response) -> None:
    """The API's error shape for a body that is too large."""
    assert response.status_code == 413
    assert response.mimetype == "application/json"
    assert response.json == {"code": 413, "message": "The request is too large.", "errors": {}}


def test_oversized_bodies_get_413_and_nothing_is_written(app, client, create_user):
    """A form, the JSON API and the CSV import refuse bodies over MAX_CONTENT_LENGTH."""
    coordinator = create_user(role="coordinator")
    headers = {"Authorization": "Bearer " + ok(client.post("/api/v1/auth/tokens", json={
        "email": coordinator.email, "password": PASSWORD}), 201).json["token"], **EN}
    round_id = ok(client.post("/api/v1/rounds/", json={"name": "Runde"}, headers=headers),
                  201).json["id"]
    transition(client, headers, round_id, "open")
    size = too_big(app)

    assert_413_json(client.post("/api/v1/organisations/", headers=headers, json={
        "name": "x" * size, "kind": "municipality"}))
    assert_413_json(client.post(f"/api/v1/rounds/{round_id}/import?dry_run=false",
                                data=b"email;side;title\n" + b"a" * size, headers={
                                    **headers, "Content-Type": "text/csv"}))
    as_user(client, coordinator)
    assert_413_page(client.post("/organisations/new", headers=EN, data={
        "name": "x" * size, "kind": "municipality"}))
    # Encoded here: the test client would spool a big upload to a file it never closes.
    boundary, body = encode_multipart(MultiDict({"file": FileStorage(
        io.BytesIO(b"email;side;title\n" + b"a" * size), "big.csv")}))
    assert_413_page(client.post(f"/rounds/{round_id}/import", headers=EN, data=body,
                                content_type=f"multipart/form-data; boundary={boundary}"))
    assert_413_page(client.post(f"/rounds/{round_id}/import", headers=EN, data={
        "confirm": "1", "content": "email;side;title\n" + "a" * size}))
    assert db.session.scalar(select(func.count(Organisation.id))) == 0
    assert db.session.scalar(select(func.count(Profile.id))) == 0


def test_oversized_bodies_get_413_with_csrf_on(make_app):
    """With CSRF protection on (production), the size check still answers first, with 413."""
    production = make_app(WTF_CSRF_ENABLED=True)
    client = production.test_client()
    size = too_big(production)
    assert_413_page(client.post("/login", headers=EN, data={"email": "a" * size}))
    assert_413_json(client.post("/api/v1/auth/tokens", headers=EN,
                                json={"email": "a" * size, "password": "x"}))


@pytest.mark.parametrize("length", [201, 100_000])
def test_very_long_fields_get_a_field_error(client, create_user, token_for, length):
    """A field far over its limit (but in a body of allowed size) is a 422 field error."""
    user = create_user()
    response = client.post("/api/v1/organisations/", headers=token_for(user),
                           json={"name": "æ" * length, "kind": "municipality"})
    assert response.status_code == 422
    assert response.json["errors"] == {"name": ["Use between 1 and 200 characters."]}
    as_user(client, user)
    response = client.post("/organisations/new", headers=EN,
                           data={"name": "ø" * length, "kind": "municipality"})
    assert response.status_code == 422
    assert "Use between 1 and 200 characters." in page(response)
    assert db.session.scalar(select(func.count(Organisation.id))) == 0


# ------------------------------------------------------------------ NUL and Unicode

def test_nul_is_refused_with_422_everywhere(client, create_user, token_for,
                                            create_organisation):
    """NUL in a form, a JSON body, a query string or an import is a 422, never a 500."""
    user = create_user(role="coordinator")
    headers = token_for(user)
    org = create_organisation()
    response = client.post("/api/v1/organisations/", headers=headers,
                           json={"name": "Kommune\x00", "kind": "municipality"})
    assert response.status_code == 422
    assert response.json["errors"] == {"name": [NUL_MESSAGE]}
    response = client.post("/api/v1/profiles/", headers=headers, json={
        "side": "taker", "organisation_id": org.id, "title": "Æ", "description": "Ø",
        "keywords": ["ok", "n\x00l"]})
    assert response.status_code == 422 and "keywords" in response.json["errors"]
    for url in ("/api/v1/profiles/?q=a%00b", "/api/v1/organisations/?q=a%00b"):
        response = client.get(url, headers=headers)
        assert response.status_code == 422
        assert response.json["errors"] == {"q": [NUL_MESSAGE]}
    round_id = ok(client.post("/api/v1/rounds/", json={"name": "Runde"}, headers=headers),
                  201).json["id"]
    transition(client, headers, round_id, "open")
    response = client.post(f"/api/v1/rounds/{round_id}/import", headers={
        **headers, "Content-Type": "text/csv"},
        data=f"email;side;title\n{user.email};taker;N\x00L\n".encode())
    assert response.status_code == 200 and "not a CSV text file" in \
        response.json["errors"][0]["message"]

    response = client.post("/login", data={"email": "a\x00@example.dk", "password": "x" * 12},
                           headers=EN)
    assert response.status_code == 422
    assert "Remove the invisible NUL character from the text." in page(response)
    as_user(client, user)
    response = client.post("/organisations/new", data={"name": "Kommune\x00",
                                                       "kind": "municipality"}, headers=EN)
    assert response.status_code == 422
    assert "Remove the invisible NUL character from the text." in page(response)
    assert client.get("/profiles?q=%00", headers=EN).status_code in (200, 422)
    assert client.get("/organisations?q=%00", headers=EN).status_code in (400, 422)
    response = client.post(f"/rounds/{round_id}/import", headers=EN, data={
        "confirm": "1", "content": f"email;side;title\n{user.email};taker;N\x00L\n"})
    assert response.status_code == 422
    assert "control characters" in page(response)
    ok(client.post("/account/tokens", data={"name": "to\x00ken"}), 302)
    assert "token" in {t.name for t in db.session.get(User, user.id).tokens}
    assert db.session.scalar(select(func.count(Organisation.id))) == 1
    assert db.session.scalar(select(func.count(Profile.id))) == 0


def test_unicode_round_trips_through_csv_export_and_import(client, world):
    """Exported titles and names read back exactly, and an import of them finds the profiles."""
    as_user(client, world.users["coordinator"])
    header, rows = read_csv(ok(client.get(f"/rounds/{world.ids['round']}/export.csv")))
    exported = dict(zip(header, rows[0]))
    assert exported["taker title"].removeprefix("'") == V["taker title"]
    assert exported["giver organisation"].removeprefix("'") == V["giver org"]

    # A new round imports the exported registration: the profile is found by its title.
    H = world.headers
    round_id = ok(client.post("/api/v1/rounds/", json={"name": "Runde to: æøå"},
                              headers=H["coordinator"]), 201).json["id"]
    transition(client, H["coordinator"], round_id, "open")
    title = exported["taker title"].removeprefix("'")
    new_title = "Ældre borgeres hverdag på Ærø e\u0301 👩🏽\u200d⚕️ שלום"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["email", "side", "title", "organisation", "description"])
    writer.writerow([exported["taker contact email"].removeprefix("'"), "taker", title, "", ""])
    writer.writerow(["+taker@example.dk", "tager", new_title, V["taker org"], UNICODE])
    for encoding in ("utf-8-sig", "utf-8"):
        response = client.post(f"/api/v1/rounds/{round_id}/import",
                               headers={**H["coordinator"], "Content-Type": "text/csv"},
                               data=buffer.getvalue().encode(encoding))
        assert response.json["errors"] == []
        assert [row["action"] for row in response.json["rows"]] == ["enrol", "create"]
        assert response.json["rows"][0]["profile_id"] == world.ids["taker"]
    response = client.post(f"/api/v1/rounds/{round_id}/import?dry_run=false",
                           headers={**H["coordinator"], "Content-Type": "text/csv"},
                           data=buffer.getvalue().encode("utf-8-sig"))
    assert response.status_code == 200, response.json
    created = one(Profile, Profile.title == new_title)
    assert created.description == UNICODE
    assert str(escape(new_title)) in page(ok(client.get(f"/profiles/{created.id}")))

    # Windows-1252 (Excel's "CSV" in Denmark) reads æøå right, with a note.
    danish = "email;side;title\n+taker@example.dk;taker;Æblegrød\n"
    response = client.post(f"/api/v1/rounds/{round_id}/import",
                           headers={**H["coordinator"], "Content-Type": "text/csv"},
                           data=danish.encode("cp1252"))
    assert response.json["rows"][0]["title"] == "Æblegrød"
    assert response.json["notes"]


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: evil=1", "/\\evil.example",
                                    "//evil.example", "/ok\x00"])
def test_next_cannot_inject_headers_or_leave_the_site(client, create_user, target):
    """A hostile ``next`` after switching language or logging in goes to the front page."""
    response = client.get("/language/en", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "evil" not in response.headers.get("Set-Cookie", "")
    user = create_user()
    response = client.post("/login", query_string={"next": target},
                           data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_admin_account_pages_escape_names_searches_and_reasons(client, world):
    """The admins' account list, search, account page and deletion reason stay escaped."""
    admin, giver = world.users["admin"], world.users["giver"]
    as_user(client, admin)
    checks = [("/admin/users", {}, ("giver name", "taker name", "coordinator name")),
              ("/admin/users", {"q": V["search"]}, ("search",)),
              (f"/admin/users/{giver.id}", {}, ("giver name",)),
              (f"/admin/users/{giver.id}/delete", {}, ("giver name",))]
    for url, query, keys in checks:
        html = page(ok(client.get(url, query_string=query, headers=EN)))
        assert escaping_problems(html, *keys) == [], url
    response = client.post(f"/admin/users/{giver.id}/delete", headers=EN,
                           data={"reason": V["deletion reason"] + "\x00"})
    assert response.status_code == 422
    assert escaping_problems(page(response), "deletion reason") == []
    ok(client.post(f"/admin/users/{giver.id}/delete", data={"reason": V["deletion reason"]}),
       302)
    assert V["deletion reason"] in {e.reason for e in db.session.scalars(select(AuditEvent))}
    html = page(ok(client.get(f"/admin/users/{giver.id}", headers=EN)))
    assert escaping_problems(html) == []


def test_personal_data_download_is_json(client, world):
    """The download of one's own data is JSON with the texts as written."""
    as_user(client, world.users["taker"])
    response = ok(client.get("/account/data.json"))
    assert response.mimetype == "application/json"
    assert response.json["account"]["name"] == V["taker name"]


def test_the_match_model_page_escapes_the_note_of_a_version(client, world):
    """A candidate's note is shown escaped in the list of versions."""
    demo.load_demo_data()  # decided pairs to learn from
    db.session.commit()
    as_user(client, world.users["coordinator"])
    ok(client.post("/model/learn", data={"note": V["model note"]}), 302)
    html = page(ok(client.get("/model", headers=EN)))
    assert escaping_problems(html, "model note") == []
