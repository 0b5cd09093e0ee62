"""Faults: a database failure halfway through a change leaves nothing half-written, and an
unreachable database answers 503 (page or JSON) and is used again as soon as it is back.

Failures are injected with a ``do_execute`` listener that raises the driver's own
OperationalError on the Nth INSERT/UPDATE into a chosen table, after earlier rows of the same
change were flushed. An unreachable PostgreSQL server is a TCP proxy (tests/tcp_proxy.py) that
the test stops and starts again.
"""
from __future__ import annotations

import io
import re
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from spread.extensions import db
from spread.models import Dialogue, Enrolment, OutboxMessage, Pair, PairingRun, Profile, Round
from tests.conftest import PASSWORD
from tests.rounds_helpers import move, run_pairing
from tests.tcp_proxy import TcpProxy

ROUND = {"name": "Innovationspraktik 2027", "min_fit": 0.0,
         "registration_opens": "2027-01-01", "registration_closes": "2027-02-01",
         "internship_start": "2027-03-01", "internship_end": "2027-03-31"}
UNAVAILABLE_EN = "The service is temporarily unavailable. Please try again shortly."
UNAVAILABLE_DA = "Tjenesten er midlertidigt utilgængelig. Prøv igen om lidt."
CSV = ("email;side;title;organisation;description\n"
       "anna@aarhus.dk;giver;Hverdagsrehabilitering;Aarhus Kommune;Træning i eget hjem.\n"
       "bo@kk.dk;tager;Skybrud i byen;Københavns Kommune;Vi søger klimatilpasning.\n")


# -- fault injection ----------------------------------------------------------------------------

class Faults:
    """Make the Nth INSERT/UPDATE into a table fail with the driver's OperationalError.

    The listener runs where the driver would execute the statement, so SQLAlchemy wraps the
    error exactly as it wraps a real one.
    """

    EVENTS = ("do_execute", "do_executemany")

    def __init__(self, engine):
        self.engine = engine
        self.hits = 0
        self._listener = None

    def fail(self, verb: str, table: str, nth: int = 1, message: str = "injected fault") -> None:
        """From now on, the ``nth`` ``verb`` ("INSERT" or "UPDATE") on ``table`` raises."""
        self.clear()
        verb = "INSERT INTO" if verb == "INSERT" else verb
        pattern = re.compile(rf'\s*{verb}\s+"?{table}"?[\s(]', re.IGNORECASE)
        seen = 0

        def listener(cursor, statement, parameters, context):
            nonlocal seen
            if pattern.match(statement):
                seen += 1
                if seen == nth:
                    self.hits += 1
                    raise context.dialect.loaded_dbapi.OperationalError(message)
            return False  # not handled: the driver executes the statement

        for name in self.EVENTS:
            event.listen(self.engine, name, listener)
        self._listener = listener

    def clear(self) -> None:
        """Remove the fault."""
        if self._listener is not None:
            for name in self.EVENTS:
                event.remove(self.engine, name, self._listener)
            self._listener = None


@pytest.fixture
def faults(app):
    """Inject database failures into the app's engine; removed after the test."""
    injector = Faults(db.engine)
    yield injector
    injector.clear()


def snapshot(*excluded: str) -> dict[str, list[tuple]]:
    """Every row of every table (but ``excluded``), in primary-key order."""
    tables = [t for t in db.metadata.sorted_tables if t.name not in excluded]
    rows = {t.name: [tuple(r) for r in db.session.execute(
        select(t).order_by(*t.primary_key.columns))] for t in tables}
    db.session.rollback()
    return rows


def assert_unchanged(before: dict[str, list[tuple]], *excluded: str) -> None:
    """The database holds exactly what it held in ``before``."""
    after = snapshot(*excluded)
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"half-written tables: {changed}"


def assert_json_503(response) -> None:
    """The API's error shape with 503 and a Retry-After header."""
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.json == {"code": 503, "message": UNAVAILABLE_EN, "errors": {}}
    assert int(response.headers["Retry-After"]) > 0


def assert_page_503(response, message: str = UNAVAILABLE_EN) -> None:
    """The friendly 503 page: the message, a Retry-After header, no technical details."""
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert f"<h1>{message}</h1>" in page
    for leak in ("Traceback", "OperationalError", "injected fault", "psycopg", "sqlite"):
        assert leak not in page


# -- rounds to break ---------------------------------------------------------------------------

@dataclass
class ReviewRound:
    """A round in review with pairs made by hand, and the coordinator's API headers."""

    round_id: int
    headers: dict
    coordinator: object
    pair_ids: list = field(default_factory=list)


@pytest.fixture
def review_round(client, create_user, create_profile, create_organisation, token_for):
    """review_round(pairs=2, approved=2) -> a round in review with that many pairs."""

    def build(pairs: int = 2, approved: int = 2) -> ReviewRound:
        coordinator = create_user(role="coordinator")
        headers = token_for(coordinator)
        round_id = client.post("/api/v1/rounds/", json=ROUND, headers=headers).json["id"]
        move(client, headers, round_id, "open")
        couples = []
        for _ in range(pairs):
            giver = create_profile("giver", organisation=create_organisation())
            taker = create_profile("taker", organisation=create_organisation())
            for profile in (giver, taker):
                response = client.post(f"/api/v1/rounds/{round_id}/enrolments",
                                       json={"profile_id": profile.id}, headers=headers)
                assert response.status_code == 201, response.json
            couples.append((taker.id, giver.id))
        move(client, headers, round_id, "pairing")
        built = ReviewRound(round_id, headers, coordinator)
        for n, (taker_id, giver_id) in enumerate(couples):
            response = client.post(f"/api/v1/rounds/{round_id}/pairs",
                                   json={"taker_id": taker_id, "giver_id": giver_id},
                                   headers=headers)
            assert response.status_code == 201, response.json
            built.pair_ids.append(response.json["id"])
            if n < approved:
                response = client.post(f"/api/v1/pairs/{response.json['id']}/approve",
                                       json={}, headers=headers)
                assert response.status_code == 200, response.json
        move(client, headers, round_id, "review")
        return built

    return build


# -- a failure halfway leaves nothing behind ----------------------------------------------------

def test_publishing_fails_on_the_third_mail_and_leaves_nothing(client, faults, review_round):
    built = review_round(pairs=2, approved=2)
    url = f"/api/v1/rounds/{built.round_id}/transitions"
    before = snapshot()
    faults.fail("INSERT", "outbox_messages", nth=3)  # after both dialogues and two mails

    response = client.post(url, json={"state": "published"}, headers=built.headers)

    assert faults.hits == 1
    assert_json_503(response)
    assert_unchanged(before)
    faults.clear()
    response = client.post(url, json={"state": "published"}, headers=built.headers)
    assert response.status_code == 200, response.json
    assert response.json["state"] == "published"
    assert len(db.session.scalars(select(Dialogue)).all()) == 2
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 4


def test_publishing_from_the_page_fails_on_the_second_dialogue(client, faults, review_round,
                                                              login_en):
    built = review_round(pairs=2, approved=2)
    login_en(built.coordinator)
    url = f"/rounds/{built.round_id}/state"
    before = snapshot()
    faults.fail("INSERT", "dialogues", nth=2)  # after the first pair's dialogue and mails

    response = client.post(url, data={"state": "published"})

    assert faults.hits == 1
    assert_page_503(response)
    assert_unchanged(before)
    faults.clear()
    response = client.post(url, data={"state": "published"})
    assert response.status_code == 302
    assert db.session.get(Round, built.round_id).state == "published"
    assert len(db.session.scalars(select(Dialogue)).all()) == 2


def test_a_rerun_that_fails_while_saving_keeps_the_earlier_proposals(
        app, client, faults, monkeypatch, create_user, create_profile, create_organisation,
        token_for):
    monkeypatch.setitem(app.config, "PAIRING_IN_BACKGROUND", False)
    headers = token_for(create_user(role="coordinator"))
    round_id = client.post("/api/v1/rounds/", json=ROUND, headers=headers).json["id"]
    move(client, headers, round_id, "open")
    for side in ("giver", "taker") * 3:
        profile = create_profile(side, organisation=create_organisation())
        response = client.post(f"/api/v1/rounds/{round_id}/enrolments",
                               json={"profile_id": profile.id}, headers=headers)
        assert response.status_code == 201, response.json
    move(client, headers, round_id, "pairing")
    first = run_pairing(client, headers, round_id)
    assert first["summary"]["pairs"] == 3
    # The run commits its progress as it goes (and with it the token's last use).
    before = snapshot("pairing_runs", "api_tokens")
    # The re-run deletes the three proposals, then fails storing its new pairs (one insert).
    faults.fail("INSERT", "pairs", nth=1)

    response = client.post(f"/api/v1/rounds/{round_id}/runs",
                           json={"method": "stable", "only_unpaired": False}, headers=headers)

    assert faults.hits == 1
    assert_json_503(response)
    assert_unchanged(before, "pairing_runs", "api_tokens")
    failed = db.session.scalars(select(PairingRun).order_by(PairingRun.id.desc())).first()
    assert failed.status == "failed" and "injected fault" in failed.error
    faults.clear()
    again = run_pairing(client, headers, round_id, method="stable")
    assert again["summary"]["pairs"] == 3
    proposed = db.session.scalars(select(Pair).where(Pair.round_id == round_id,
                                                     Pair.status == "proposed")).all()
    assert {p.source for p in proposed} == {"stable"}


@pytest.mark.parametrize(("message", "code"), [("injected fault", 503),
                                               ("database is locked", 409)])
def test_a_csv_import_that_fails_storing_its_enrolments_imports_nothing(
        client, faults, create_user, create_organisation, token_for, message, code):
    headers = token_for(create_user(role="coordinator"))
    round_id = client.post("/api/v1/rounds/", json=ROUND, headers=headers).json["id"]
    move(client, headers, round_id, "open")
    create_user(email="anna@aarhus.dk")
    create_user(email="bo@kk.dk")
    create_organisation(name="Aarhus Kommune")
    create_organisation(name="Københavns Kommune")
    url = f"/api/v1/rounds/{round_id}/import?dry_run=false"

    def upload():
        return client.post(url, data={"file": (io.BytesIO(CSV.encode()), "tilmeldinger.csv")},
                           headers=headers, content_type="multipart/form-data")

    before = snapshot()
    # Both profiles are flushed by then; the enrolments are inserted together (one statement on
    # PostgreSQL, one per row on SQLite), and the first insert fails.
    faults.fail("INSERT", "enrolments", nth=1, message=message)

    response = upload()

    assert faults.hits == 1
    assert response.status_code == code, response.json
    assert set(response.json) == {"code", "message", "errors"} and response.json["code"] == code
    assert_unchanged(before)
    faults.clear()
    response = upload()
    assert response.status_code == 200, response.json
    assert (response.json["created"], response.json["enrolled"]) == (2, 2)


def test_a_swap_that_fails_on_the_second_new_pair_changes_nothing(client, faults, review_round,
                                                                 login_en):
    built = review_round(pairs=2, approved=1)  # the approval's places are freed by the swap
    login_en(built.coordinator)
    first, second = built.pair_ids
    before = snapshot()
    faults.fail("INSERT", "pairs", nth=2)

    response = client.post(f"/pairs/{first}/swap", data={"other_pair_id": second})

    assert faults.hits == 1
    assert_page_503(response)
    assert_unchanged(before)
    faults.clear()
    response = client.post(f"/pairs/{first}/swap", data={"other_pair_id": second})
    assert response.status_code == 302
    statuses = sorted(p.status for p in db.session.scalars(select(Pair)))
    assert statuses == ["proposed", "proposed", "rejected", "rejected"]
    assert {e.approved for e in db.session.scalars(select(Enrolment))} == {0}


def test_closing_a_dialogue_that_fails_on_the_audit_record_keeps_it_open(
        client, faults, publish_pair, login_en):
    published = publish_pair()
    dialogue_id = published.dialogue_id
    login_en(published.users["coordinator"])
    url = f"/dialogues/{dialogue_id}/close"
    before = snapshot()
    # Pair, enrolment counters and dialogue are flushed; the audit record fails.
    faults.fail("INSERT", "audit_events")

    response = client.post(url, data={"reason": "Det passer ikke."})

    assert faults.hits == 1
    assert_page_503(response)
    assert_unchanged(before)
    faults.clear()
    response = client.post(url, data={"reason": "Det passer ikke."})
    assert response.status_code == 302
    assert db.session.get(Dialogue, dialogue_id).closed_at is not None
    assert db.session.get(Pair, published.pair_id).status == "closed"


def test_archiving_a_profile_that_fails_on_the_change_counter_keeps_it(
        client, faults, create_user, create_profile, login_en):
    owner = create_user()
    profile = create_profile("giver", owner=owner)
    login_en(owner)
    before = snapshot()
    faults.fail("UPDATE", "matching_state")  # after the profile itself was flushed

    response = client.post(f"/profiles/{profile.id}/archive")

    assert faults.hits == 1
    assert_page_503(response)
    assert_unchanged(before)
    faults.clear()
    assert client.post(f"/profiles/{profile.id}/archive").status_code == 302
    assert db.session.get(Profile, profile.id).archived_at is not None


# -- the database cannot be reached -------------------------------------------------------------

def _log_in(client, user) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def _assert_unreachable(client, api_headers) -> None:
    """Pages answer the 503 page in the asked language, the API its JSON error."""
    assert_page_503(client.get("/account", headers={"Accept-Language": "en"}))
    danish = client.get("/account", headers={"Accept-Language": "da"})
    assert_page_503(danish, UNAVAILABLE_DA)
    assert '<html lang="da">' in danish.get_data(as_text=True)
    assert_page_503(client.get("/", headers={"Accept-Language": "en"}))
    assert_json_503(client.get("/api/v1/rounds/", headers=api_headers))


def _assert_reachable(client, api_headers) -> None:
    assert client.get("/account", headers={"Accept-Language": "en"}).status_code == 200
    response = client.get("/api/v1/rounds/", headers=api_headers)
    assert response.status_code == 200, response.json


@pytest.fixture
def postgres_url(database_url) -> str:
    """The test database's URL, when it is PostgreSQL."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (SPREAD_TEST_DATABASE_URL): a TCP proxy cuts the link "
                    "to the server; the SQLite variant makes the database file unreachable")
    return database_url


@pytest.mark.postgres
def test_postgres_going_away_answers_503_and_recovers_without_a_restart(
        postgres_url, make_app, create_user, token_for):
    server = make_url(postgres_url)
    proxy = TcpProxy(server.host or "127.0.0.1", server.port or 5432).start()
    try:
        proxied = server.set(host="127.0.0.1", port=proxy.port)
        other = make_app(SQLALCHEMY_DATABASE_URI=proxied.render_as_string(hide_password=False))
        user = create_user()
        api_headers = token_for(user)
        browser = other.test_client()
        _log_in(browser, user)
        _assert_reachable(browser, api_headers)

        proxy.stop()  # the server is gone: the pooled connections are cut, new ones refused
        _assert_unreachable(browser, api_headers)

        proxy.start()  # back on the same port
        _assert_reachable(browser, api_headers)

        proxy.stop()  # a restart while the app is idle: its pooled connections are dead
        proxy.start()
        _assert_reachable(browser, api_headers)  # checked before use (pool_pre_ping)
    finally:
        proxy.stop()


@pytest.mark.postgres
def test_a_server_that_never_answers_gives_503_after_the_connect_timeout(
        postgres_url, make_app, create_user, token_for):
    server = make_url(postgres_url)
    proxy = TcpProxy(server.host or "127.0.0.1", server.port or 5432).start()
    try:
        proxied = server.set(host="127.0.0.1", port=proxy.port)
        other = make_app(SQLALCHEMY_DATABASE_URI=proxied.render_as_string(hide_password=False))
        with other.app_context():
            with db.engine.connect() as connection:  # the app's default connect timeout
                parameters = connection.connection.dbapi_connection.info.get_parameters()
            assert 0 < int(parameters["connect_timeout"]) <= 10
        api_headers = token_for(create_user())

        proxy.stop()
        proxy.start(hold=True)  # connections are accepted, and then nothing ever comes back
        response = other.test_client().get("/api/v1/rounds/", headers=api_headers)

        assert_json_503(response)
        assert proxy.held >= 1
        # The app gave up on its own: without a connect timeout it would still be waiting
        # when the proxy's own limit (a minute) ends the connection.
        assert proxy.given_up == 0
    finally:
        proxy.stop()


def test_a_sqlite_file_that_cannot_be_opened_answers_503_and_recovers(
        database_url, make_app, create_user, token_for, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only: on PostgreSQL the TCP proxy tests cover an unreachable server")
    user = create_user()
    api_headers = token_for(user)
    volume = tmp_path / "volume"
    volume.mkdir()
    with closing(sqlite3.connect(make_url(database_url).database)) as source, \
            closing(sqlite3.connect(volume / "spread.sqlite3")) as copy:
        source.backup(copy)  # a copy of the test database on a volume that can go away
    other = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{volume / 'spread.sqlite3'}")
    browser = other.test_client()
    _log_in(browser, user)
    _assert_reachable(browser, api_headers)

    shutil.move(volume, tmp_path / "unmounted")  # the volume is gone ...
    with other.app_context():
        db.engine.dispose()  # ... and the connections to the file with it
    _assert_unreachable(browser, api_headers)

    shutil.move(tmp_path / "unmounted", volume)  # back: no restart needed
    _assert_reachable(browser, api_headers)
