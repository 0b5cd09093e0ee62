"""Operations: health and readiness endpoints, and JSON log lines carrying the request id."""
from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import event

from spread.extensions import db
from spread.queue import init_queue
from tests.queue_support import ROOT, free_port, process_env


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_checks_the_database_the_queue_and_the_model(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["checks"] == {"database": "ok", "queue": "ok", "model": "ok"}
    assert response.json["model"]["version"] == 1


def test_readyz_is_503_while_the_database_does_not_answer(app, client):
    def outage(cursor, statement, parameters, context):
        if statement.strip().upper() == "SELECT 1":
            raise context.dialect.loaded_dbapi.OperationalError("server closed the connection")
        return False

    event.listen(db.engine, "do_execute", outage)
    try:
        response = client.get("/readyz")
    finally:
        event.remove(db.engine, "do_execute", outage)
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "failing", "queue": "ok", "model": "failing"}


def test_readyz_is_503_while_the_queue_storage_does_not_answer(app, make_app):
    nowhere = make_app(QUEUE_IMMEDIATE=False, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    try:
        response = nowhere.test_client().get("/readyz")
    finally:
        init_queue(app)
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"] == {"database": "ok", "queue": "failing", "model": "ok"}


def test_json_logs_carry_the_request_id(database_url):
    script = ("import logging; from spread import create_app; app = create_app(); "
              "app.add_url_rule('/log', 'log', lambda: (logging.getLogger('spread.x')"
              ".warning('hello %s', 'there'), 'ok')[1]); "
              "r = app.test_client().get('/log', headers={'X-Request-ID': 'abc-123'}); "
              "print(r.headers['X-Request-ID'])")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            check=False,
                            text=True, timeout=120,
                            env=process_env(database_url, LOG_FORMAT="json"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "abc-123"
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    [hello] = [line for line in lines if line["message"] == "hello there"]
    assert hello["request_id"] == "abc-123"
    assert hello["level"] == "WARNING" and hello["logger"] == "spread.x" and hello["time"]
