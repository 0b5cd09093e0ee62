"""Helpers for the queue and operations tests: real servers, real worker processes."""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from werkzeug.serving import make_server

from tests.rounds_helpers import move

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))


def answers(host: str, port: int) -> bool:
    """Whether a server listens on host:port."""
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on the loopback interface nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def process_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a spread subprocess on the test database (SPREAD_* ``settings``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPREAD_")}
    env.update({"SPREAD_DATABASE_URL": database_url, "SPREAD_SECRET_KEY": "test-secret",
                "SPREAD_QUEUE_IMMEDIATE": "0", "PYTHONUNBUFFERED": "1"})
    env.update({f"SPREAD_{name}": value for name, value in settings.items()})
    return env


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """Start a process in the project folder, its output in a pipe."""
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def stop(process: subprocess.Popen, timeout: float = 20) -> str:
    """Stop a process (SIGTERM, then SIGKILL) and return its output."""
    if process.poll() is None:
        process.terminate()
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output or ""


def wait_for(condition: Callable[[], object], timeout: float, what: str,
             interval: float = 0.2) -> object:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def call(base_url: str, method: str, path: str, body: dict | None = None,
         headers: dict | None = None) -> tuple[int, dict]:
    """One JSON request to a real server; returns status and parsed body."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None,
                           headers={"Content-Type": "application/json", "Accept-Language": "en",
                                    **(headers or {})})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def fire_at_once(requests: list[Callable[[], object]]) -> list:
    """Run every callable from its own thread, all released together; their results in order."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def worker(index: int) -> None:
        barrier.wait(timeout=10)
        results[index] = requests[index]()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def round_in_pairing(client, headers: dict, create_profile, pairs: int = 3) -> int:
    """A round in the pairing state with ``pairs`` givers and takers enrolled; its id."""
    round_id = client.post("/api/v1/rounds/", json={"name": "Runde", "min_fit": 0.0},
                           headers=headers).json["id"]
    move(client, headers, round_id, "open")
    for _ in range(pairs):
        for side in ("giver", "taker"):
            profile = create_profile(side)
            response = client.post(f"/api/v1/rounds/{round_id}/enrolments",
                                   json={"profile_id": profile.id}, headers=headers)
            assert response.status_code == 201, response.json
    move(client, headers, round_id, "pairing")
    return round_id
