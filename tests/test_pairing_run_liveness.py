"""Pairing runs cannot get stuck: one running run per round (enforced by the database), and a
run whose process died is failed by the sweep so the round can run again."""
from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from spread.extensions import db
from spread.jobs.maintenance import sweep_runs
from spread.models import PairingRun
from spread.models.base import utcnow
from spread.queue import init_queue
from spread.services import pairing_runs
from spread.services.run_liveness import STOPPED
from tests.queue_support import (
    FLASK,
    call,
    fire_at_once,
    process_env,
    round_in_pairing,
    serving,
    start,
    stop,
    wait_for,
)

UNDER_WAY = "A pairing run for this round is under way already."


@pytest.fixture
def coordinator(create_user, token_for):
    user = create_user(role="coordinator")
    return user, token_for(user)


@pytest.fixture
def queued_app(app, make_app, tmp_path):
    """An app whose tasks go to a SQLite queue that no worker reads (runs stay running)."""
    other = make_app(QUEUE_IMMEDIATE=False, QUEUE_PATH=str(tmp_path / "queue.sqlite3"))
    yield other
    init_queue(app)


def runs_of(round_id: int) -> list[PairingRun]:
    db.session.expire_all()
    return list(db.session.scalars(select(PairingRun).where(PairingRun.round_id == round_id)
                                   .order_by(PairingRun.id)))


def test_parallel_starts_get_one_202_and_clear_409s(queued_app, client, coordinator,
                                                    create_profile):
    _, headers = coordinator
    round_id = round_in_pairing(client, headers, create_profile)
    with serving(queued_app) as base_url:
        results = fire_at_once([
            lambda: call(base_url, "POST", f"/api/v1/rounds/{round_id}/runs",
                         {"method": "optimal"}, headers) for _ in range(8)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [202] + [409] * 7, results
    for status, body in results:
        if status == 409:
            assert body == {"code": 409, "message": UNDER_WAY, "errors": {}}
    assert [run.status for run in runs_of(round_id)] == ["running"]


def test_a_run_whose_heartbeat_stopped_is_failed_and_the_round_runs_again(
        app, client, coordinator, create_profile, monkeypatch):
    user, headers = coordinator
    monkeypatch.setitem(app.config, "PAIRING_IN_BACKGROUND", False)
    round_id = round_in_pairing(client, headers, create_profile)
    stuck = pairing_runs.start_run(db.session.get(pairing_runs.Round, round_id), "optimal", user)
    stuck.stage, stuck.heartbeat_at = "loading", utcnow() - timedelta(seconds=30)
    db.session.commit()
    refused = client.post(f"/api/v1/rounds/{round_id}/runs", json={"method": "optimal"},
                          headers=headers)
    assert refused.status_code == 409  # 30 s of silence is not stale yet (120 s by default)
    monkeypatch.setitem(app.config, "PAIRING_RUN_STALE_SECONDS", 10)
    sweep_runs()  # the periodic task the worker's scheduler runs every minute
    failed = runs_of(round_id)[0]
    assert (failed.status, failed.error) == ("failed", STOPPED)
    response = client.post(f"/api/v1/rounds/{round_id}/runs", json={"method": "optimal"},
                           headers=headers)
    assert response.status_code == 202, response.json
    assert [run.status for run in runs_of(round_id)] == ["failed", "done"]


def test_a_run_no_worker_picked_up_is_failed_after_the_queued_timeout(
        app, client, coordinator, create_profile, monkeypatch):
    user, headers = coordinator
    monkeypatch.setitem(app.config, "PAIRING_IN_BACKGROUND", False)
    round_id = round_in_pairing(client, headers, create_profile)
    waiting = pairing_runs.start_run(db.session.get(pairing_runs.Round, round_id), "stable", user)
    waiting.started_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    assert client.post(f"/api/v1/rounds/{round_id}/runs", json={"method": "optimal"},
                       headers=headers).status_code == 409
    monkeypatch.setitem(app.config, "PAIRING_RUN_QUEUED_TIMEOUT", 600)
    response = client.post(f"/api/v1/rounds/{round_id}/runs", json={"method": "optimal"},
                           headers=headers)
    assert response.status_code == 202, response.json  # start_run sweeps before it inserts
    assert [run.status for run in runs_of(round_id)] == ["failed", "done"]


def test_a_killed_pair_round_command_does_not_block_the_round(
        app, client, coordinator, create_profile, database_url, monkeypatch):
    user, headers = coordinator
    monkeypatch.setitem(app.config, "PAIRING_IN_BACKGROUND", False)
    round_id = round_in_pairing(client, headers, create_profile, pairs=10)
    command = start([FLASK, "--app", "wsgi", "pair-round", str(round_id), "--as", user.email],
                    process_env(database_url, PAIRING_RUN_HEARTBEAT_SECONDS="0.5"))
    try:
        wait_for(lambda: any(r.heartbeat_at for r in runs_of(round_id)), 60,
                 "the command's first heartbeat", interval=0.02)
        os.kill(command.pid, signal.SIGKILL)  # kill -9: no cleanup of any kind runs
        command.wait(timeout=10)
    finally:
        stop(command)
    killed = runs_of(round_id)[0]
    assert killed.status == "running", "the command finished before it could be killed"
    refused = client.post(f"/api/v1/rounds/{round_id}/runs", json={"method": "optimal"},
                          headers=headers)
    assert refused.status_code == 409
    monkeypatch.setitem(app.config, "PAIRING_RUN_STALE_SECONDS", 1.5)
    time.sleep(2)
    response = client.post(f"/api/v1/rounds/{round_id}/runs", json={"method": "optimal"},
                           headers=headers)
    assert response.status_code == 202, response.json
    assert [run.status for run in runs_of(round_id)] == ["failed", "done"]
