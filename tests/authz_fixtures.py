"""A world of real objects for the authorisation and CSRF tests, and who calls into it.

The world belongs to ``owner``, a participant: the organisation ``org`` (which owner created),
the giver profile ``giver`` (paired with the taker of ``partner`` in the published round, so
it has a dialogue with an entry and a next action), a spare taker profile and enrolments and
interest in an open round. Coordinators' objects sit in rounds of every state: ``draft``,
``open``, ``pairing`` (with a finished run) and ``review`` (with two proposed pairs). There
are a valid password-reset link of the owner and a confirmation link of a newcomer who has
not confirmed the address yet.

The world is built once per test through the services; :func:`snapshot` and :func:`restore`
put every row back as it was, so that a destructive call never changes what the next call
sees.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, insert, select

from spread.extensions import db
from spread.matchmaking.engine import engine
from spread.models import User
from spread.models.matching_state import bump_profiles_version
from spread.services import (
    dialogues,
    organisations,
    pairing_runs,
    profiles,
    rounds,
)
from spread.services.account_links import CONFIRM, RESET, make_link_token
from tests.factories import (
    enrol_profiles,
    make_entry,
    make_interest,
    make_pair,
    make_round,
    publish_round,
)

#: The callers of every row, in the order they call (denied ones before allowed ones).
CALLERS = ("anonymous", "other", "owner", "coordinator", "admin")
ROLES = {"owner": "participant", "partner": "participant", "other": "participant",
         "coordinator": "coordinator", "admin": "admin"}
TEXT = "Hverdagsrehabilitering i hjemmeplejen for ældre borgere med træning i eget hjem."


@dataclass
class Callers:
    """How each caller authenticates: a session cookie for pages, headers for the API."""

    users: dict[str, User]
    cookies: dict[str, str | None]
    headers: dict[str, dict[str, str]]

    def page_client(self, app: Flask, caller: str) -> FlaskClient:
        """A fresh client with the caller's session, so that no call changes the next one's."""
        return client_with_session(app, self.cookies.get(caller))


def client_with_session(app: Flask, cookie: str | None) -> FlaskClient:
    """A fresh test client carrying this session cookie (none: anonymous)."""
    client = app.test_client()
    if cookie:
        client.set_cookie("session", cookie)
    return client


def session_cookie(app: Flask, email: str, password: str) -> str:
    """Log in through the login form (with its CSRF token) and return the session cookie."""
    client = app.test_client()
    token = csrf_token_in(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get_cookie("session").value


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table but the profile counter, as plain mappings."""
    db.session.rollback()
    rows = {table.name: [dict(row._mapping) for row in db.session.execute(
                select(table).order_by(*table.primary_key.columns))]
            for table in db.metadata.sorted_tables if table.name != "matching_state"}
    db.session.rollback()  # no read transaction left open to block another app's writes
    return rows


def restore(rows: dict[str, list[dict]]) -> None:
    """Put the database back to ``rows``; the profile counter grows, so the suggestion
    index is rebuilt from the restored profiles."""
    db.session.rollback()
    engine().wait_for_refit(timeout=60)
    for table in reversed(db.metadata.sorted_tables):
        if table.name in rows:
            db.session.execute(delete(table))
    for table in db.metadata.sorted_tables:
        if rows.get(table.name):
            db.session.execute(insert(table), rows[table.name])
    bump_profiles_version()
    db.session.commit()
    db.session.expire_all()


def _profile(owner: User, org, side: str, title: str, **extra):
    data = {"side": side, "organisation_id": org.id, "title": title, "description": TEXT,
            "language": "da", "available_from": date(2027, 1, 1),
            "available_until": date(2027, 6, 30), **extra}
    if side == "giver":
        data.setdefault("capacity", 3)
    return profiles.create_profile(data, owner)


def build_world(users: dict[str, User]) -> dict:
    """Create the world (see the module docstring), commit, and return the ids by name."""
    owner, partner, coordinator = users["owner"], users["partner"], users["coordinator"]
    org = organisations.create_organisation(
        {"name": "Aarhus Kommune", "kind": "municipality", "region": "midtjylland",
         "country": "DK"}, owner)
    org_b = organisations.create_organisation(
        {"name": "Odense Kommune", "kind": "municipality", "region": "syddanmark",
         "country": "DK"}, partner)
    org_c = organisations.create_organisation(
        {"name": "Region Hovedstaden", "kind": "region", "region": "hovedstaden",
         "country": "DK"}, coordinator)
    giver = _profile(owner, org, "giver", "Hverdagsrehabilitering")
    spare = _profile(owner, org, "taker", "Træning i eget hjem")
    taker = _profile(partner, org_b, "taker", "Ældrepleje i hjemmet")
    taker_2 = _profile(partner, org_b, "taker", "Rehabilitering efter udskrivning")
    giver_c = _profile(partner, org_c, "giver", "Digital genoptræning")

    # The published round: the owner's giver paired with the partner's taker, in dialogue.
    published = make_round(coordinator, "open", name="Praktik 2027")
    enrol_profiles(published, giver, taker)
    rounds.transition(published, "pairing", coordinator)
    approved = make_pair(published, taker, giver, approve=True)
    publish_round(published)
    dialogue = dialogues.dialogue_of_pair(approved)
    entry = make_entry(dialogue, "giver", next_actions=[
        {"description": "Send materialet", "owner": "giver", "due": "2099-01-01"}])

    # The open round: the owner's giver enrolled with interest in the partner's taker.
    open_round = make_round(coordinator, "open", name="Praktik 2028")
    enrol_profiles(open_round, giver, taker, taker_2)
    interest = make_interest(open_round, giver, taker)

    # The pairing round, with one finished run.
    pairing = make_round(coordinator, "open", name="Praktik 2029")
    enrol_profiles(pairing, giver, taker)
    rounds.transition(pairing, "pairing", coordinator)
    run = pairing_runs.start_run(pairing, "optimal", coordinator)
    db.session.commit()
    pairing_runs.execute_run(run)

    # The review round: two proposed pairs (to approve, reject and swap) and room for more.
    review = make_round(coordinator, "open", name="Praktik 2030")
    enrol_profiles(review, giver, giver_c, taker, taker_2, spare)
    rounds.transition(review, "pairing", coordinator)
    proposed = make_pair(review, taker, giver)
    proposed_2 = make_pair(review, taker_2, giver_c)
    rounds.transition(review, "review", coordinator)

    draft = make_round(coordinator, name="Praktik 2031")

    # Someone who signed up but has not yet followed the link in the confirmation mail.
    newcomer = User(email="newcomer@example.dk", name="Ny Bruger", role="participant")
    newcomer.set_password("a long new password")
    db.session.add(newcomer)
    db.session.commit()
    return {
        "owner_id": owner.id, "owner_email": owner.email,
        "confirm_token": make_link_token(newcomer, CONFIRM),
        "reset_token": make_link_token(owner, RESET),
        "org": org.id, "org_b": org_b.id, "giver": giver.id, "spare": spare.id,
        "taker": taker.id, "taker_2": taker_2.id, "giver_c": giver_c.id,
        "published": published.id, "approved_pair": approved.id, "dialogue": dialogue.id,
        "entry": entry.id, "next_action": entry.next_actions[0].id,
        "open": open_round.id, "interest": interest.id,
        "pairing": pairing.id, "run": run.id,
        "review": review.id, "proposed": proposed.id, "proposed_2": proposed_2.id,
        "draft": draft.id,
    }


class _FormParser(HTMLParser):
    """Collects every form: its method, action and the name and value of its inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (values.get("method") or "get").lower(),
                               "action": values.get("action") or "", "inputs": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"].append(values)


def forms_of(html: str) -> list[dict]:
    """The forms of a page (method lower-case, action, inputs as attribute mappings)."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def csrf_token_in(html: str) -> str:
    """The CSRF token of the first POST form of a page."""
    for form in forms_of(html):
        for field in form["inputs"]:
            if form["method"] == "post" and field.get("name") == "csrf_token":
                return field.get("value") or ""
    raise AssertionError("no POST form with a csrf_token on the page")
