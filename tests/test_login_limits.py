"""Login limits hold under parallel attack, across the API and the pages, across processes
(Redis), and count only real wrong passwords: a 503 during a database outage costs nothing."""
from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import event

from spread.extensions import db
from tests.conftest import PASSWORD
from tests.queue_support import answers, call, fire_at_once, serving

ENGLISH = {"Accept-Language": "en"}
LIMITS = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "100 per minute",
          "ACCOUNT_LOGIN_RATE_LIMIT": "5 per minute"}
REDIS = "redis://127.0.0.1:6379"


def token(base_url: str, email: str, password: str) -> int:
    """Ask a real server for an API token; the status."""
    return call(base_url, "POST", "/api/v1/auth/tokens", {"email": email, "password": password})[0]


def log_in(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password}, headers=ENGLISH)


def test_parallel_wrong_passwords_get_no_more_than_the_limit(make_app, create_user):
    limited = make_app(**LIMITS)
    email = create_user().email
    with serving(limited) as base_url:
        statuses = fire_at_once([lambda: token(base_url, email, "guess")
                                 for _ in range(30)])
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == 25, statuses


def test_the_api_and_the_login_page_share_one_budget(make_app, create_user):
    limited = make_app(**{**LIMITS, "ACCOUNT_LOGIN_RATE_LIMIT": "4 per minute"})
    client = limited.test_client()
    user = create_user()
    for _ in range(2):
        assert client.post("/api/v1/auth/tokens", json={"email": user.email,
                                                         "password": "guess"}).status_code == 401
    for _ in range(2):
        assert log_in(client, user.email, "guess").status_code == 422
    assert log_in(client, user.email).status_code == 429
    response = client.post("/api/v1/auth/tokens", headers=ENGLISH,
                           json={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed login attempts" in response.json["message"]
    assert int(response.headers["Retry-After"]) > 0


def test_answers_during_a_database_outage_are_not_counted(make_app, create_user):
    limited = make_app(**LIMITS)
    user = create_user()
    client = limited.test_client()
    with limited.app_context():
        engine = db.engine

    def outage(cursor, statement, parameters, context):
        if re.search(r"\bFROM users\b", statement):
            raise context.dialect.loaded_dbapi.OperationalError("server closed the connection")
        return False

    event.listen(engine, "do_execute", outage)
    try:
        for _ in range(8):
            response = client.post("/api/v1/auth/tokens",
                                   json={"email": user.email, "password": "guess"})
            assert response.status_code == 503
            assert log_in(client, user.email, "guess").status_code == 503
    finally:
        event.remove(engine, "do_execute", outage)
    assert log_in(client, user.email).status_code == 302  # 16 outage answers cost nothing


def test_successful_logins_do_not_use_up_the_budget(make_app, create_user):
    limited = make_app(**{**LIMITS, "ACCOUNT_LOGIN_RATE_LIMIT": "2 per minute"})
    client = limited.test_client()
    user = create_user()
    for _ in range(5):
        assert log_in(client, user.email).status_code == 302
        client.post("/logout")
    assert log_in(client, user.email, "guess").status_code == 422
    assert log_in(client, user.email).status_code == 302


@pytest.mark.skipif(not answers("127.0.0.1", 6379), reason="no Redis server on 127.0.0.1:6379")
def test_two_servers_on_redis_share_the_budget_under_parallel_attack(make_app, create_user):
    config = {**LIMITS, "RATELIMIT_STORAGE_URI": REDIS,
              "RATELIMIT_KEY_PREFIX": f"spread-test-{uuid.uuid4().hex}"}
    first, second = make_app(**config), make_app(**config)
    email = create_user().email
    with serving(first) as url_a, serving(second) as url_b:
        statuses = fire_at_once([lambda url=url: token(url, email, "guess")
                                 for url in [url_a, url_b] * 15])
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == 25, statuses
