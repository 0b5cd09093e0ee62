"""Accounts under attack: confirmation, password rules and resets, no enumeration, rate limits."""
from __future__ import annotations

import re
import socket

import pytest
from sqlalchemy import select

from spread.extensions import db
from spread.models import ApiToken, OutboxMessage, User
from spread.password_rules import password_problems
from tests.conftest import PASSWORD
from tests.html import page as page_text
from tests.mailbox import confirmation_path, latest_mail, link_path

ENGLISH = {"Accept-Language": "en"}
NEW_PASSWORD = "a completely new secret"


def without_csrf(html: str) -> str:
    """The page with its (time-stamped) CSRF token blanked, for comparing two answers."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)


def register(client, email="mette@aarhus.dk", name="Mette Hansen", password=PASSWORD):
    """Submit the registration form in English."""
    return client.post("/register", data={"email": email, "name": name, "password": password},
                       headers=ENGLISH)


def log_in(client, email, password=PASSWORD, **kwargs):
    """Submit the login form (in English unless other headers are given)."""
    kwargs.setdefault("headers", ENGLISH)
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def mails_to(address: str) -> list[OutboxMessage]:
    """Every outbox message to ``address``, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == address)
                                   .order_by(OutboxMessage.id)))


# ------------------------------------------------------------------ sign-up and confirmation

def test_sign_up_needs_the_link_from_the_mail_before_logging_in(client):
    response = register(client)
    assert response.status_code == 200
    assert "Check your inbox" in page_text(response)
    user = db.session.scalar(select(User).where(User.email == "mette@aarhus.dk"))
    assert user is not None and not user.is_confirmed

    refused = log_in(client, "mette@aarhus.dk")
    assert refused.status_code == 422
    assert "Confirm your email address first" in page_text(refused)
    assert client.get("/account").status_code == 302  # not logged in

    response = client.get(confirmation_path("mette@aarhus.dk"), headers=ENGLISH)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    db.session.refresh(user)
    assert user.is_confirmed


def test_a_forged_or_foreign_confirmation_link_does_not_work(client, create_user):
    register(client)
    path = confirmation_path("mette@aarhus.dk")
    forged = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    response = client.get(forged, headers=ENGLISH)
    assert response.status_code == 404 and "The link does not work" in page_text(response)
    assert client.get("/account").status_code == 302


def test_registering_a_taken_address_looks_the_same_and_tells_only_the_owner(client,
                                                                              create_user):
    owner = create_user(email="taken@aarhus.dk", name="Rightful Owner")
    taken = register(client, email="TAKEN@aarhus.dk", name="Some Body")
    fresh = register(client, email="fresh@aarhus.dk", name="Some Body")
    assert taken.status_code == fresh.status_code == 200
    assert without_csrf(page_text(taken)).replace("TAKEN", "fresh") == without_csrf(page_text(fresh))

    db.session.refresh(owner)
    assert owner.name == "Rightful Owner" and log_in(client, owner.email).status_code == 302
    mail = mails_to("taken@aarhus.dk")
    assert len(mail) == 1 and "You already have one" in mail[0].body
    assert "/password/forgot" in mail[0].body and "/confirm/" not in mail[0].body


def test_login_failures_look_the_same_for_unknown_and_known_addresses(client, create_user):
    user = create_user()
    unknown = log_in(client, "nobody@aarhus.dk", "whatever password")
    wrong = log_in(client, user.email, "whatever password")
    assert unknown.status_code == wrong.status_code == 422
    assert (without_csrf(page_text(unknown)).replace("nobody@aarhus.dk", user.email)
            == without_csrf(page_text(wrong)))
    assert "Wrong email or password." in page_text(wrong)


def test_the_outbox_hides_links_from_coordinators(client, create_user, login_en):
    register(client)
    link = confirmation_path("mette@aarhus.dk")
    login_en(create_user(role="coordinator"))
    outbox = client.get("/outbox").get_data(as_text=True)
    assert "mette@aarhus.dk" in outbox and link not in outbox
    assert "only its recipient may read it" in outbox


# ------------------------------------------------------------------ password rules

@pytest.mark.parametrize("password, problem", [
    ("short", "at least 10"),
    ("1234567890", "too common"),
    ("Adgangskode123", "too common"),
    ("aaaaaaaaaaaa", "repeated"),
    ("abcdefghijkl", "repeated"),
    ("mette hansen 2027", "your name"),
    ("my mail is mette@aarhus.dk", "your name"),
])
def test_weak_passwords_are_refused_with_the_reason(client, password, problem):
    response = register(client, password=password)
    assert response.status_code == 422
    assert problem in page_text(response).lower() or problem in page_text(response)
    assert db.session.scalar(select(User).where(User.email == "mette@aarhus.dk")) is None


def test_good_passwords_pass_the_rules():
    assert password_problems("correct horse battery", "mette@aarhus.dk", "Mette Hansen") == []
    assert password_problems("blåbærgrød med fløde", "jo@x.dk", "Jo Ek") == []


def test_the_api_applies_the_same_password_rules(client):
    response = client.post("/api/v1/auth/register", headers=ENGLISH, json={
        "email": "mette@aarhus.dk", "name": "Mette Hansen", "password": "qwertyuiop"})
    assert response.status_code == 422 and "password" in response.json["errors"]


# ------------------------------------------------------------------ password reset

def test_password_reset_works_once_and_revokes_api_tokens(app, client, create_user, token_for):
    user = create_user(email="jens@odense.dk", name="Jens Jensen")
    token = token_for(user)
    response = client.post("/password/forgot", data={"email": "Jens@Odense.dk"}, headers=ENGLISH)
    assert response.status_code == 200 and "If Jens@Odense.dk belongs" in page_text(response)
    path = link_path(latest_mail("jens@odense.dk").body, "/password/reset/")

    weak = client.post(path, data={"password": "jens jensen 1"}, headers=ENGLISH)
    assert weak.status_code == 422 and "your name" in page_text(weak)
    response = client.post(path, data={"password": NEW_PASSWORD}, headers=ENGLISH)
    assert response.status_code == 302 and client.get("/account").status_code == 200

    assert client.get(path, headers=ENGLISH).status_code == 404  # used up
    assert app.test_client().get("/api/v1/me", headers=token).status_code == 401
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id)) is None
    client.post("/logout")
    assert log_in(client, user.email).status_code == 422
    assert log_in(client, user.email, NEW_PASSWORD).status_code == 302


def test_asking_to_reset_an_unknown_address_looks_the_same_and_sends_nothing(client,
                                                                           create_user):
    create_user(email="known@odense.dk")
    known = client.post("/password/forgot", data={"email": "known@odense.dk"}, headers=ENGLISH)
    unknown = client.post("/password/forgot", data={"email": "ghost@odense.dk"},
                          headers=ENGLISH)
    assert known.status_code == unknown.status_code == 200
    assert (without_csrf(page_text(known)).replace("known", "ghost")
            == without_csrf(page_text(unknown)))
    assert len(mails_to("known@odense.dk")) == 1 and mails_to("ghost@odense.dk") == []


def test_a_deactivated_account_loses_its_session(client, create_user, login):
    user = create_user()
    login(user)
    assert client.get("/account").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/account").status_code == 302


# ------------------------------------------------------------------ rate limits

@pytest.fixture
def limited(make_app):
    """An app with rate limits on, tight enough to hit in a test."""
    return make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="4 per minute",
                    ACCOUNT_LOGIN_RATE_LIMIT="3 per minute", MAIL_RATE_LIMIT="2 per minute")


def test_failed_logins_are_limited_per_account_with_a_clear_message(limited, create_user):
    user = create_user()
    client = limited.test_client()
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):  # one account, several addresses
        response = log_in(client, user.email, "guess", environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 422
    blocked = log_in(client, user.email, PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.4"})
    assert blocked.status_code == 429
    assert "Too many failed login attempts" in page_text(blocked)
    assert int(blocked.headers["Retry-After"]) > 0
    other = create_user()
    assert log_in(client, other.email, environ_base={"REMOTE_ADDR": "10.0.0.4"}).status_code == 302


def test_failed_logins_are_limited_per_address_and_successes_do_not_count(limited,
                                                                          create_user):
    users = [create_user() for _ in range(6)]
    client = limited.test_client()
    for user in users[:5]:  # successful logins never lock anybody out
        assert log_in(client, user.email).status_code == 302
        client.post("/logout")
    for user in users[:4]:  # one guess on each of many accounts
        assert log_in(client, user.email, "guess").status_code == 422
    assert log_in(client, users[5].email).status_code == 429


def test_the_api_token_endpoint_is_limited_too(limited, create_user):
    user = create_user()
    client = limited.test_client()
    for _ in range(3):
        response = client.post("/api/v1/auth/tokens", headers=ENGLISH,
                               json={"email": user.email, "password": "guess"})
        assert response.status_code == 401
    response = client.post("/api/v1/auth/tokens", headers=ENGLISH,
                           json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert set(response.json) == {"code", "message", "errors"}
    assert "Too many failed login attempts" in response.json["message"]


def test_registration_and_reset_requests_are_limited(app, limited):
    client = limited.test_client()
    for n in range(2):
        assert register(client, email=f"p{n}@aarhus.dk").status_code == 200
    response = register(client, email="p3@aarhus.dk")
    assert response.status_code == 429 and "Too many requests" in page_text(response)
    assert db.session.scalar(select(User).where(User.email == "p3@aarhus.dk")) is None


def redis_answers() -> bool:
    """Whether a Redis server listens on the default local port."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_answers(), reason="no Redis server on 127.0.0.1:6379")
def test_workers_share_the_counters_through_redis(make_app, create_user):
    prefix = f"spread-test-{create_user().id}-{id(make_app)}"
    config = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
              "RATELIMIT_KEY_PREFIX": prefix, "ACCOUNT_LOGIN_RATE_LIMIT": "2 per minute"}
    first, second = make_app(**config), make_app(**config)  # two workers
    user = create_user()
    assert log_in(first.test_client(), user.email, "guess").status_code == 422
    assert log_in(second.test_client(), user.email, "guess").status_code == 422
    assert log_in(first.test_client(), user.email).status_code == 429


def test_behind_a_proxy_the_limits_count_the_forwarded_client_address(make_app, create_user):
    app = make_app(RATELIMIT_ENABLED=True, PROXY_COUNT=1, LOGIN_RATE_LIMIT="2 per minute",
                   ACCOUNT_LOGIN_RATE_LIMIT="100 per minute")
    client = app.test_client()
    user = create_user()
    for _ in range(2):
        response = log_in(client, user.email, "guess",
                          headers={**ENGLISH, "X-Forwarded-For": "192.0.2.1"})
        assert response.status_code == 422
    blocked = log_in(client, user.email, headers={**ENGLISH, "X-Forwarded-For": "192.0.2.1"})
    assert blocked.status_code == 429
    other = log_in(client, user.email, headers={**ENGLISH, "X-Forwarded-For": "192.0.2.2"})
    assert other.status_code == 302


def test_a_bearer_token_acts_as_its_owner_even_in_a_logged_in_browser(client, create_user,
                                                                       login, token_for):
    coordinator, participant = create_user(role="coordinator"), create_user()
    headers = token_for(participant)
    login(coordinator)
    assert client.get("/api/v1/me").json["id"] == coordinator.id
    assert client.get("/api/v1/me", headers=headers).json["id"] == participant.id
    forged = client.get("/api/v1/me", headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401
