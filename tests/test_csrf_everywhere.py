"""CSRF protection on every state-changing route, with WTF_CSRF_ENABLED on as in production.

The routes come from ``app.url_map``, so a new POST page or API write is covered as soon as it
exists; the request each one gets (URL, body, and who may call it) is the row of the
authorisation table in :mod:`tests.test_authorisation_matrix`.
"""
from __future__ import annotations

import pytest
from flask import Flask

from tests.authz_fixtures import (
    CALLERS,
    ROLES,
    build_world,
    client_with_session,
    csrf_token_in,
    forms_of,
    restore,
    session_cookie,
    snapshot,
)
from tests.conftest import PASSWORD
from tests.html import page
from tests.test_authorisation_matrix import DENIED, ROWS, Row, route_keys

CSRF_MESSAGE = "The form expired or was sent from elsewhere. Reload the page and try again."
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
ROW_OF = {(r.rule, r.method): r for r in ROWS}


@pytest.fixture
def csrf_app(make_app) -> Flask:
    """The app with CSRF protection on (the tests' default app has it off)."""
    return make_app(WTF_CSRF_ENABLED=True, PAIRING_IN_BACKGROUND=False)


@pytest.fixture
def world(app, create_user) -> dict:
    """The world of the authorisation matrix, with its accounts under ``users``."""
    users = {name: create_user(role=role, email=f"{name}@example.dk")
             for name, role in ROLES.items()}
    world = build_world(users)
    world["users"] = users
    return world


@pytest.fixture
def sessions(csrf_app, world) -> dict[str, dict]:
    """Per caller: the session cookie of a login on the CSRF app and the page's CSRF token."""
    result = {"anonymous": {"cookie": None, "token": None}}
    for name in CALLERS[1:]:
        cookie = session_cookie(csrf_app, f"{name}@example.dk", PASSWORD)
        client = client_with_session(csrf_app, cookie)
        token = csrf_token_in(page(client.get("/account")))
        result[name] = {"cookie": cookie, "token": token}
    return result


def row_for(rule: str, method: str) -> Row:
    """The authorisation table's row of a route (which knows its URL, body and callers)."""
    assert (rule, method) in ROW_OF, (
        f"{method} {rule} has no row in the authorisation table; add one there first")
    return ROW_OF[(rule, method)]


def allowed_caller(table_row: Row) -> str:
    """The first logged-in caller the table lets through; a refused request then proves that
    the CSRF check, not the authorisation, stopped it."""
    for caller in ("owner", "coordinator", "admin"):
        if table_row.expected[caller] not in DENIED:
            return caller
    return "admin"


def write_routes(app: Flask, api: bool) -> list[tuple[str, str]]:
    """Every state-changing (rule, method) of the pages or of the API."""
    return sorted((rule, method) for rule, method in route_keys(app)
                  if method in WRITES and rule.startswith("/api/") == api)


def send(app: Flask, table_row: Row, world: dict, cookie: str | None, headers: dict,
         csrf_token: str | None = None):
    """Send the row's request; ``csrf_token`` goes into the form of a page request."""
    body = table_row.body(world)
    if csrf_token is not None:
        body = {"data": {**body.get("data", {}), "csrf_token": csrf_token}}
    return client_with_session(app, cookie).open(table_row.url(world), method=table_row.method,
                                       headers={"Accept-Language": "en", **headers}, **body)


def test_every_page_post_needs_a_valid_csrf_token(app, csrf_app, world, sessions):
    """Without a token, or with another session's token, a POST is refused with the error page
    and writes nothing, even for a caller who may do it; with the page's token it goes
    through as the authorisation table says."""
    routes = write_routes(csrf_app, api=False)
    assert ("/logout", "POST") in routes and len(routes) > 30
    baseline = snapshot()
    problems = []
    for rule, method in routes:
        table_row = row_for(rule, method)
        caller = allowed_caller(table_row)
        session = sessions[caller]
        foreign = sessions["other" if caller != "other" else "owner"]["token"]
        for label, token in (("no token", None), ("another session's token", foreign)):
            response = send(csrf_app, table_row, world, session["cookie"], {}, token)
            if response.status_code != 400 or CSRF_MESSAGE not in page(response):
                problems.append(f"{method} {rule} as {caller} with {label}: "
                                f"{response.status_code}")
            elif snapshot() != baseline:
                problems.append(f"{method} {rule} as {caller} with {label}: data changed")
        response = send(csrf_app, table_row, world, session["cookie"], {}, session["token"])
        expected = table_row.expected[caller]
        got = response.status_code
        if expected == "login" or got != expected:
            problems.append(f"{method} {rule} as {caller} with the page's token: expected "
                            f"{expected}, got {got}")
        restore(baseline)
    assert not problems, "\n".join(problems)


def test_session_api_writes_need_the_csrf_header_and_tokens_do_not(app, csrf_app, world,
                                                                   sessions, token_for):
    """A browser session writing to the API must send X-CSRFToken (400 and nothing written
    without it); the same write with the header, or with a bearer token and no session, goes
    through as the authorisation table says."""
    routes = write_routes(csrf_app, api=True)
    assert ("/api/v1/organisations/", "POST") in routes and len(routes) > 30
    bearer = {name: token_for(world["users"][name]) for name in CALLERS[1:]}
    baseline = snapshot()  # with the tokens
    problems = []
    for rule, method in routes:
        table_row = row_for(rule, method)
        caller = allowed_caller(table_row)
        session = sessions[caller]
        expected = table_row.expected[caller]
        response = send(csrf_app, table_row, world, session["cookie"], {})
        if response.status_code != 400 or response.json.get("code") != 400:
            problems.append(f"{method} {rule} as {caller}'s session without X-CSRFToken: "
                            f"{response.status_code}")
        elif snapshot() != baseline:
            problems.append(f"{method} {rule} as {caller}'s session without X-CSRFToken: "
                            "data changed")
        attempts = (("session with X-CSRFToken", session["cookie"],
                     {"X-CSRFToken": session["token"]}),
                    ("bearer token", None, bearer[caller]))
        for label, cookie, headers in attempts:
            response = send(csrf_app, table_row, world, cookie, headers)
            if response.status_code != expected:
                problems.append(f"{method} {rule} as {caller} with {label}: expected "
                                f"{expected}, got {response.status_code}")
            restore(baseline)
    assert not problems, "\n".join(problems)


def test_the_csrf_error_page_is_clear(csrf_app, world, sessions):
    """The refusal is the app's error page with the reason, in the user's language."""
    client = client_with_session(csrf_app, sessions["owner"]["cookie"])
    response = client.post("/organisations/new", data={"name": "Vejle Kommune"},
                           headers={"Accept-Language": "da"})
    assert response.status_code == 400
    assert "<h1>Formularen er udløbet eller blev sendt fra et andet sted. Genindlæs siden, og " \
           "prøv igen.</h1>" in page(response)


def test_every_post_form_on_the_pages_carries_a_csrf_token(csrf_app, world, sessions):
    """Every <form method="post"> on every page a caller can open has the hidden token."""
    problems = []
    checked = 0
    for rule, method in sorted(route_keys(csrf_app)):
        if method != "GET" or rule.startswith("/api/"):
            continue
        table_row = row_for(rule, method)
        for caller in CALLERS:
            if table_row.expected[caller] != 200:
                continue
            client = client_with_session(csrf_app, sessions[caller]["cookie"])
            response = client.get(table_row.url(world), headers={"Accept-Language": "en"})
            if response.mimetype != "text/html":
                continue
            for form in forms_of(page(response)):
                if form["method"] != "post":
                    continue
                checked += 1
                tokens = [f.get("value") for f in form["inputs"]
                          if f.get("name") == "csrf_token" and f.get("type") == "hidden"]
                if len(tokens) != 1 or not tokens[0]:
                    problems.append(f"{rule} as {caller}: form to {form['action']!r} has "
                                    f"{len(tokens)} csrf_token inputs")
    assert checked > 50, f"only {checked} POST forms found: is the parser broken?"
    assert not problems, "\n".join(problems)


def test_a_remembered_login_writing_to_the_api_needs_the_csrf_header(csrf_app, world):
    """A browser that comes back with only its "remember me" cookie is logged in again by it;
    its API writes need the CSRF header exactly like those of a fresh session."""
    client = csrf_app.test_client()
    token = csrf_token_in(page(client.get("/login")))
    response = client.post("/login", data={"email": "owner@example.dk", "password": PASSWORD,
                                           "remember": "1", "csrf_token": token})
    assert response.status_code == 302
    remembered = client.get_cookie("remember_token")
    assert remembered is not None

    returning = csrf_app.test_client()
    returning.set_cookie("remember_token", remembered.value)
    body = {"name": "Vejle Kommune", "kind": "municipality"}
    before = snapshot()
    refused = returning.post("/api/v1/organisations/", json=body)
    assert refused.status_code == 400, refused.json
    assert snapshot() == before

    token = csrf_token_in(page(returning.get("/account")))
    accepted = returning.post("/api/v1/organisations/", json=body,
                              headers={"X-CSRFToken": token})
    assert accepted.status_code == 201, accepted.json
