"""Scale-out: two gunicorn app servers on different loopback ports and one queue worker, on
PostgreSQL and Redis, behave as one installation.

Runs where PostgreSQL (SPREAD_TEST_DATABASE_URL) and Redis (127.0.0.1:6379) answer, as in CI;
skipped elsewhere. Each test gets a fresh ``cluster``: add a new check as a test taking it
(``cluster.servers[0]`` and ``[1]`` are the two base URLs, ``cluster.restart_worker()``).

A pairing run is held in the middle of its work, deterministically, by a row lock the test
takes on its round (``FOR NO KEY UPDATE``: rows referring to the round may still be inserted):
the worker blocks at the end of its "saving" stage, when it moves the round to review, while
its heartbeat goes on.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from spread.extensions import db
from spread.models import PairingRun
from tests.conftest import PASSWORD
from tests.databases import postgres_server_url
from tests.queue_support import (
    FLASK,
    ROOT,
    answers,
    call,
    fire_at_once,
    free_port,
    process_env,
    round_in_pairing,
    wait_for,
)

pytestmark = [
    pytest.mark.scale_out,
    pytest.mark.skipif(postgres_server_url() is None,
                       reason="scale-out test needs PostgreSQL (SPREAD_TEST_DATABASE_URL)"),
    pytest.mark.skipif(not answers("127.0.0.1", 6379),
                       reason="scale-out test needs Redis on 127.0.0.1:6379"),
]

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
STALE_SECONDS = 3


@dataclass
class Cluster:
    """Two app servers and a worker sharing one database and one Redis."""

    env: dict
    servers: list[str | None] = field(default_factory=list)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start_server(self, index: int) -> None:
        """Start app server ``index`` (0: A, 1: B) on a free port and wait until it is ready."""
        port = free_port()
        self.processes[f"server{index}"] = subprocess.Popen(
            [GUNICORN, "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "8",
             "--graceful-timeout", "5", "wsgi:app"], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: answers("127.0.0.1", port) and call(url, "GET", "/readyz")[0] == 200,
                 60, f"app server {index}")
        self.servers[index:index + 1] = [url]

    def restart_worker(self) -> None:
        """Start the worker (again)."""
        self.processes["worker"] = subprocess.Popen(
            [FLASK, "--app", "wsgi", "worker"], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def ensure_up(self) -> None:
        """Start again whatever an earlier test killed."""
        for index in range(2):
            process = self.processes.get(f"server{index}")
            if process is None or process.poll() is not None:
                self.start_server(index)
        if self.processes["worker"].poll() is not None:
            self.restart_worker()

    def kill(self, name: str) -> None:
        """kill -9 a process ("server0", "server1", "worker") and everything it started."""
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        for process in self.processes.values():
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def _cluster(database_url: str) -> Iterator[Cluster]:
    namespace = f"spread-scale-{uuid.uuid4().hex[:8]}"
    env = process_env(database_url, REDIS_URL="redis://127.0.0.1:6379/0", QUEUE_NAME=namespace,
                      RATELIMIT_KEY_PREFIX=namespace, ACCOUNT_LOGIN_RATE_LIMIT="5 per minute",
                      LOGIN_RATE_LIMIT="100 per minute", PAIRING_RUN_HEARTBEAT_SECONDS="0.5",
                      PAIRING_RUN_STALE_SECONDS=str(STALE_SECONDS))
    running = Cluster(env, servers=[None, None])
    try:
        running.restart_worker()
        running.start_server(0)
        running.start_server(1)
        yield running
    finally:
        running.stop_all()


@pytest.fixture
def cluster(_cluster: Cluster) -> Cluster:
    """Servers A and B and a worker, on the test database and a namespace of their own in
    Redis; shared by this module's tests, anything killed is started again."""
    _cluster.ensure_up()
    return _cluster


@pytest.fixture
def held_round(database_url: str):
    """hold(round_id) locks the round's row until the test calls release()."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    connection = engine.connect()

    class Hold:
        def __call__(self, round_id: int) -> None:
            connection.execute(text("SELECT id FROM rounds WHERE id = :id FOR NO KEY UPDATE"),
                               {"id": round_id})

        def release(self) -> None:
            connection.rollback()

    yield Hold()
    connection.close()
    engine.dispose()


def run_of(run_id: int) -> PairingRun:
    db.session.expire_all()
    return db.session.scalar(select(PairingRun).where(PairingRun.id == run_id))


def token_headers(base_url: str, email: str) -> dict:
    status, body = call(base_url, "POST", "/api/v1/auth/tokens",
                        {"email": email, "password": PASSWORD})
    assert status == 201, body
    return {"Authorization": f"Bearer {body['token']}"}


def run_held_mid_way(cluster, client, create_user, create_profile, held_round, token_server):
    """A round with a run started on server A and held at its "saving" stage by a row lock."""
    coordinator = create_user(role="coordinator")
    headers = token_headers(token_server, coordinator.email)
    round_id = round_in_pairing(client, headers, create_profile)
    held_round(round_id)
    status, started = call(cluster.servers[0], "POST", f"/api/v1/rounds/{round_id}/runs",
                           {"method": "optimal"}, headers)
    assert status == 202, started
    wait_for(lambda: run_of(started["id"]).stage == "saving", 30, "the run to reach saving")
    return headers, round_id, started


def test_the_login_limit_is_shared_by_both_servers(cluster, create_user):
    email = create_user().email
    a, b = cluster.servers
    statuses = fire_at_once([
        lambda url=url: call(url, "POST", "/api/v1/auth/tokens",
                             {"email": email, "password": "guess"})[0] for url in [a, b] * 15])
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == 25, statuses


def test_killing_the_worker_mid_run_fails_the_run_and_the_round_runs_again(
        cluster, client, create_user, create_profile, held_round):
    b = cluster.servers[1]
    headers, round_id, started = run_held_mid_way(cluster, client, create_user, create_profile,
                                                  held_round, token_server=b)
    cluster.kill("worker")
    held_round.release()
    status, body = call(b, "POST", f"/api/v1/rounds/{round_id}/runs", {"method": "optimal"},
                        headers)
    assert status == 409, body  # its heartbeat stopped only just now
    wait_for(lambda: run_of(started["id"]).status == "failed" or call(
        b, "POST", f"/api/v1/rounds/{round_id}/runs", {"method": "stable"}, headers)[0] == 202,
        STALE_SECONDS + 30, "the sweep to fail the run")
    assert run_of(started["id"]).status == "failed"
    cluster.restart_worker()
    newest = wait_for(lambda: db.session.scalar(
        select(PairingRun).where(PairingRun.round_id == round_id, PairingRun.status == "done")),
        60, "the new run to finish")
    assert newest.id != started["id"]


def test_killing_a_web_server_does_not_affect_a_pairing_run(cluster, client, create_user,
                                                           create_profile, held_round):
    a, b = cluster.servers
    headers, round_id, started = run_held_mid_way(cluster, client, create_user, create_profile,
                                                  held_round, token_server=a)
    cluster.kill("server0")
    held_round.release()
    wait_for(lambda: run_of(started["id"]).status != "running", 30, "the run to end")
    status, run = call(b, "GET", f"/api/v1/rounds/{round_id}/runs/{started['id']}", None,
                       headers)
    assert (status, run["status"], run["summary"]["pairs"]) == (200, "done", 3), run


#: The README promises: a profile change reaches suggestions on every server at that server's
#: next suggestions request (the index is rebuilt there with the newest stored model).
SUGGESTIONS_REACH_SECONDS = 10


def test_a_profile_changed_through_one_server_is_suggested_by_the_other(
        cluster, create_user, create_organisation, create_profile):
    a, b = cluster.servers
    owner = create_user()
    taker = create_profile(side="taker", title="Ventelister til genoptræning",
                           description="Lange ventelister til genoptræning efter hofteoperation; "
                                       "vi vil bruge holdtræning og videokonsultationer.")
    near = create_profile(side="giver", owner=owner, title="Madordning i daginstitutioner",
                          description="Økologisk frokost til børn i vuggestuer og børnehaver.")
    create_profile(side="giver", title="Digital affaldssortering",
                   description="Sensorer i affaldscontainere og ruteplanlægning.")
    headers = token_headers(b, owner.email)
    status, before = call(b, "GET", f"/api/v1/profiles/{taker.id}/suggestions?k=2", None, headers)
    assert status == 200, before
    status, body = call(a, "PATCH", f"/api/v1/profiles/{near.id}",
                        {"title": "Holdtræning og videokonsultationer mod ventelister",
                         "description": "Genoptræning efter hofteoperation på hold og over "
                                        "video har halveret ventelisterne til genoptræning."},
                        token_headers(a, owner.email))
    assert status == 200, body

    def top_from_b():
        status, found = call(b, "GET", f"/api/v1/profiles/{taker.id}/suggestions?k=2", None,
                             headers)
        return status == 200 and found and found[0]["profile"]["id"] == near.id

    wait_for(top_from_b, SUGGESTIONS_REACH_SECONDS, "server B to suggest the changed profile")
