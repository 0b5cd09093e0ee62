"""Fixtures: a migrated real database per test session, an app, clients and factories."""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import date
from unittest.mock import patch

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import delete
from werkzeug.security import generate_password_hash

from spread import create_app
from spread.extensions import db
from spread.matchmaking.engine import engine, register_suggestions
from spread.models import MatchModel, MatchModelStatus, Organisation, Profile, Role, User
from spread.models.base import utcnow
from spread.models.match_model import DEFAULT_MODEL_NOTE
from spread.services import users as user_service
from tests.databases import fresh_database
from tests.factories import (  # noqa: F401  (fixtures for every test module)
    create_entry,
    create_pair,
    create_round,
    enrol,
    express_interest,
    publish,
    publish_pair,
)
from tests.queue_support import serving

PASSWORD = "correct horse battery"
# Test accounts get a one-round hash: scrypt costs about 0.1 s per hash and per login, and the
# suite makes thousands of accounts and logins. Accounts made through sign-up, the admin pages
# or a password change still get the app's real hash.
QUICK_HASH_METHOD = "pbkdf2:sha256:1"


def _set_quick_password(user: User, password: str) -> None:
    user.password_hash = generate_password_hash(password, method=QUICK_HASH_METHOD)


_counter = itertools.count(1)


def make_test_app(database_url: str, **overrides) -> Flask:
    """Create an app for tests against ``database_url``."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        # Tests log in hundreds of times from one address; the rate-limit tests turn it on.
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    app = create_app(config)

    def forget_request_globals() -> None:
        # Tests keep one app context open around their requests, and Flask reuses it, so
        # ``g`` (flask-login's current user, Flask-Babel's locale) would leak from one request
        # into the next. In production every request has a fresh app context.
        for name in list(vars(g)):
            g.pop(name, None)

    # First of all, before the app's own hooks put anything into ``g``.
    app.before_request_funcs.setdefault(None, []).insert(0, forget_request_globals)

    return app


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A real database (SQLite file or PostgreSQL), migrated to head once per session."""
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        app = make_test_app(url)
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield url


@pytest.fixture(scope="session")
def _session_app(database_url: str) -> Iterator[Flask]:
    app = make_test_app(database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """make_app(**config) -> another app on the test database; its connections closed after."""
    made: list[Flask] = []

    def factory(**overrides) -> Flask:
        made.append(make_test_app(database_url, **overrides))
        return made[-1]

    yield factory
    for other in made:
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def app(_session_app: Flask) -> Iterator[Flask]:
    """The app, with an empty database, its configuration as it was and a fresh suggestion
    index after every test."""
    config = dict(_session_app.config)
    with _session_app.app_context():
        yield _session_app
        _session_app.config.clear()
        _session_app.config.update(config)
        engine().wait_for_refit(timeout=60)
        register_suggestions(_session_app)
        db.session.remove()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(delete(table))
        # As after the migration: the library's defaults are the current model version.
        db.session.add(MatchModel(version=1, params={}, weights=None,
                                  status=MatchModelStatus.CURRENT.value, created_at=utcnow(),
                                  note=DEFAULT_MODEL_NOTE))
        db.session.commit()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    """A CLI runner for the app."""
    return app.test_cli_runner()


@pytest.fixture
def create_user(app: Flask) -> Callable[..., User]:
    """Factory: create_user(role=..., email=..., name=...) -> committed User."""

    def factory(role: Role | str = Role.PARTICIPANT, email: str | None = None,
                name: str | None = None, locale: str | None = None) -> User:
        n = next(_counter)
        data = {"email": email or f"user{n}@example.dk", "name": name or f"User {n}",
                "password": PASSWORD, "locale": locale}
        with patch.object(User, "set_password", _set_quick_password):
            user = user_service.register_user(data, Role(role))
        db.session.commit()
        return user

    return factory


@pytest.fixture
def create_organisation(app: Flask) -> Callable[..., Organisation]:
    """Factory: create_organisation(name=..., kind=..., region=..., created_by=...)."""

    def factory(name: str | None = None, kind: str = "municipality",
                region: str | None = "midtjylland", created_by: User | None = None,
                country: str = "DK") -> Organisation:
        org = Organisation(name=name or f"Organisation {next(_counter)}", kind=kind,
                           region=region, country=country, created_by=created_by)
        db.session.add(org)
        db.session.commit()
        return org

    return factory


@pytest.fixture
def create_profile(app: Flask, create_user, create_organisation) -> Callable[..., Profile]:
    """Factory: create_profile(side=..., owner=..., organisation=..., **fields)."""

    def factory(side: str = "giver", owner: User | None = None,
                organisation: Organisation | None = None, **fields) -> Profile:
        owner = owner or create_user()
        organisation = organisation or create_organisation()
        values = {
            "title": f"Profile {next(_counter)}",
            "description": "Hverdagsrehabilitering i hjemmeplejen for ældre borgere.",
            "problem": "",
            "language": "da",
            "capacity": 1 if side == "giver" else None,
            "available_from": date(2027, 1, 1),
            "available_until": date(2027, 6, 30),
        }
        values.update(fields)
        sectors = values.pop("sectors", [])
        target_groups = values.pop("target_groups", [])
        profile = Profile(side=side, owner=owner, organisation=organisation, **values)
        profile.sectors = sectors
        profile.target_groups = target_groups
        db.session.add(profile)
        db.session.commit()
        return profile

    return factory


@pytest.fixture
def token_for(client: FlaskClient) -> Callable[[User], dict[str, str]]:
    """token_for(user) -> headers that authenticate API calls as that user, asking for English."""

    def headers(user: User) -> dict[str, str]:
        response = client.post("/api/v1/auth/tokens",
                               json={"email": user.email, "password": PASSWORD})
        assert response.status_code == 201, response.json
        return {"Authorization": f"Bearer {response.json['token']}", "Accept-Language": "en"}

    return headers


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """login(user) -> the client, logged in through the login form."""

    def do_login(user: User) -> FlaskClient:
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.data
        return client

    return do_login


@pytest.fixture
def login_en(login, client: FlaskClient) -> Callable[[User], FlaskClient]:
    """login_en(user) -> the client, logged in and switched to English."""

    def do_login(user: User) -> FlaskClient:
        login(user)
        assert client.get("/language/en").status_code == 302
        return client

    return do_login


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the app on a free localhost port in a thread; yields its base URL."""
    with serving(app) as base_url:
        yield base_url
