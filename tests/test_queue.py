"""The task queue: mail leaves the request and is delivered (and retried) by the queue; a real
worker process on the SQLite queue delivers mail and computes pairing runs."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from spread.extensions import db
from spread.models import OutboxMessage, PairingRun
from spread.queue import huey, init_queue
from tests.queue_support import (
    FLASK,
    free_port,
    process_env,
    round_in_pairing,
    start,
    stop,
    wait_for,
)
from tests.smtp_sink import SmtpSink

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def sink():
    with SmtpSink() as server:
        yield server


@pytest.fixture
def queued_app(app, make_app, tmp_path, sink):
    """An app that sends mail to ``sink`` through a SQLite queue read by no worker (yet)."""
    other = make_app(QUEUE_IMMEDIATE=False, QUEUE_PATH=str(tmp_path / "queue.sqlite3"),
                     SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, SMTP_STARTTLS=False)
    yield other
    init_queue(app)


def outbox(to: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == to)))


def test_mail_is_delivered_by_a_task_after_the_request_commits(make_app, create_user, sink):
    mailing = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, SMTP_STARTTLS=False)
    user = create_user()
    response = mailing.test_client().post("/password/forgot", data={"email": user.email},
                                          headers=ENGLISH)
    assert response.status_code == 200
    [message] = outbox(user.email)
    assert message.delivered
    [received] = sink.messages
    assert received["To"] == user.email and received["Subject"] == message.subject


def test_mail_the_server_refuses_stays_in_the_outbox_and_is_retried_later(make_app,
                                                                          create_user):
    closed_port = free_port()
    mailing = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=closed_port, SMTP_STARTTLS=False)
    user = create_user()
    huey.flush()
    response = mailing.test_client().post("/password/forgot", data={"email": user.email},
                                          headers=ENGLISH)
    assert response.status_code == 200  # the request never waits for (or fails with) SMTP
    [message] = outbox(user.email)
    assert not message.delivered
    [retry] = huey.scheduled()
    assert retry.name.endswith("deliver_mail") and retry.args == (message.id,)
    assert retry.retries == 4  # five retries in all; this was the first try


def test_a_reset_request_only_enqueues_the_same_task_for_known_and_unknown_addresses(
        queued_app, create_user, sink):
    user = create_user()
    client = queued_app.test_client()
    for email in ("nobody@example.dk", user.email):
        response = client.post("/password/forgot", data={"email": email}, headers=ENGLISH)
        assert response.status_code == 200
    queued = huey.pending()
    assert [task.name for task in queued] == ["send_password_reset"] * 2
    assert [task.args for task in queued] == [("nobody@example.dk",), (user.email,)]
    assert sink.messages == [] and outbox(user.email) == []


def test_a_worker_process_delivers_mail_and_computes_pairing_runs(
        queued_app, database_url, tmp_path, sink, create_user, token_for, create_profile,
        client):
    coordinator = create_user(role="coordinator")
    headers = token_for(coordinator)
    round_id = round_in_pairing(client, headers, create_profile)
    api = queued_app.test_client()
    started = api.post(f"/api/v1/rounds/{round_id}/runs", json={"method": "stable"},
                       headers=headers)
    assert started.status_code == 202 and started.json["status"] == "running"
    assert api.post("/password/forgot", data={"email": coordinator.email}).status_code == 200
    assert api.post("/password/forgot", data={"email": "nobody@example.dk"}).status_code == 200
    worker = start([FLASK, "--app", "wsgi", "worker"], process_env(
        database_url, QUEUE_PATH=str(tmp_path / "queue.sqlite3"), SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(sink.port), SMTP_STARTTLS="0"))
    try:
        run = wait_for(lambda: db.session.get(PairingRun, started.json["id"],
                                              populate_existing=True).status != "running"
                       and db.session.get(PairingRun, started.json["id"]), 60, "the run")
        wait_for(lambda: sink.messages, 30, "the mail")
    finally:
        output = stop(worker)
    assert run.status == "done" and run.summary["pairs"] == 3, output
    assert run.heartbeat_at is not None
    assert outbox(coordinator.email)[0].delivered
    assert [m["To"] for m in sink.messages] == [coordinator.email]
    assert "Shutting down" in output  # SIGTERM: a graceful stop


CSV_HEADER = "email;side;title;organisation;description"


def test_a_large_csv_import_runs_as_a_task_and_mails_the_outcome(
        app, client, create_user, create_organisation, token_for, login, monkeypatch):
    monkeypatch.setitem(app.config, "CSV_IMPORT_SYNC_ROWS", 1)  # two rows count as large
    coordinator = create_user(role="coordinator", locale="en")
    headers = token_for(coordinator)
    round_id = client.post("/api/v1/rounds/", json={"name": "Stor runde", "min_fit": 0.0},
                           headers=headers).json["id"]
    assert client.post(f"/api/v1/rounds/{round_id}/transitions", json={"state": "open"},
                       headers=headers).status_code == 200
    anna, bo = create_user(email="anna@aarhus.dk"), create_user(email="bo@kk.dk")
    create_organisation(name="Aarhus Kommune")
    create_organisation(name="Københavns Kommune")
    good = "\n".join([CSV_HEADER,
                      f"{anna.email};giver;Hverdagsrehabilitering;Aarhus Kommune;Træning.",
                      f"{bo.email};tager;Skybrud i byen;Københavns Kommune;Klima."]) + "\n"
    bad = good.replace(";tager;", ";nobody;")
    login(coordinator)
    url = f"/rounds/{round_id}/import"
    response = client.post(url, data={"confirm": "1", "content": bad}, headers=ENGLISH)
    assert response.status_code == 302
    [refused] = outbox(coordinator.email)
    assert refused.subject == "Your import into Stor runde was refused"
    assert "Nothing was imported: 1 rows have errors." in refused.body
    assert "Line 3:" in refused.body
    response = client.post(url, data={"confirm": "1", "content": good}, headers=ENGLISH)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/rounds/{round_id}/dashboard")
    done = outbox(coordinator.email)[-1]
    assert done.subject == "Your import into Stor runde is done"
    assert "Imported 2 registrations; 2 new profiles were created." in done.body
    enrolled = client.get(f"/api/v1/rounds/{round_id}/enrolments", headers=headers).json
    assert len(enrolled) == 2
