"""How long `POST /password/forgot` takes for a known and an unknown address, with a mail server
that needs 0.3 s per message: mail sent in the request (queue in immediate mode, as before the
queue existed) against mail handed to the queue (the default; the worker delivers it).

    .venv/bin/python benchmarks/mail_timing.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade

from spread import create_app
from spread.extensions import db
from spread.services import users
from tests.smtp_sink import SmtpSink

REQUESTS = 20
SMTP_LATENCY = 0.3


def timings(client, emails: list[str]) -> list[float]:
    """Milliseconds of one reset request for each address."""
    found = []
    for email in emails:
        start = time.perf_counter()
        response = client.post("/password/forgot", data={"email": email})
        found.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return found


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    with SmtpSink(delay=SMTP_LATENCY) as sink:
        base = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
                "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                "SMTP_HOST": "127.0.0.1", "SMTP_PORT": sink.port, "SMTP_STARTTLS": False,
                "QUEUE_PATH": str(folder / "queue.sqlite3")}
        setup = create_app(base)
        with setup.app_context():
            upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
            for run in range(2):
                for n in range(REQUESTS):  # one reset mail per account and minute: new ones
                    users.register_user({"email": f"known{run}-{n}@example.dk",
                                         "name": "Known", "password": "a long bench password"})
            db.session.commit()
        for run, (label, immediate) in enumerate((("mail sent in the request", True),
                                                  ("mail handed to the queue", False))):
            client = create_app({**base, "QUEUE_IMMEDIATE": immediate}).test_client()
            client.post("/password/forgot", data={"email": "warm-up@example.dk"})
            known, unknown = [], []
            for n in range(REQUESTS):  # interleaved, so load on the machine hits both alike
                known += timings(client, [f"known{run}-{n}@example.dk"])
                unknown += timings(client, [f"nobody{n}@example.dk"])
            print(f"{label}: known {statistics.median(known):.1f} ms median, unknown "
                  f"{statistics.median(unknown):.1f} ms median ({REQUESTS} requests each)")


if __name__ == "__main__":
    main()
