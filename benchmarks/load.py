"""Load test: the app under gunicorn on PostgreSQL with 10,000 profiles, driven over HTTP.

Creates a throw-away database ``spread_load_<random>`` on the PostgreSQL server, migrates it,
fills it with profiles (``benchmarks/load_data.py``), starts gunicorn on ``load_app:app`` (the
real app plus a bare ``/__hello`` view), warms every worker's suggestion index, then sends a
fixed number of requests per target from a second process (``benchmarks/load_client.py``) and
prints requests/s, p50 and p99 latency and errors. The database is dropped at the end, also on
failure. Exits non-zero when any request failed.

Usage::

    .venv/bin/python benchmarks/load.py [--requests 2000] [--concurrency 4] [--profiles 10000]
        [--workers 2] [--worker-class sync] [--threads 1] [--no-preload]
        [--server postgresql://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager

import _common
import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BENCHMARKS = _common.ROOT / "benchmarks"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
# One BLAS/OpenMP thread per worker: with as many workers as cores, numpy's default of one
# thread per core makes the workers' small matrix products fight for the cores (measured:
# suggestions 26 -> 44 requests/s on the busy machine). The environment may override it.
SERVER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@contextmanager
def throwaway_database(server_url: str):
    """Yield the URL of a new, empty database on ``server_url``; drop it afterwards."""
    from spread.config import normalise_database_url

    server = normalise_database_url(server_url)
    name = f"spread_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        print(f"dropped database {name}")


def prepare(database_url: str, n_profiles: int) -> dict:
    """Migrate the database and fill it; return the account and the profile ids."""
    from flask_migrate import upgrade
    from load_data import seed_database

    from spread import create_app
    from spread.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
        seeded = seed_database(n_profiles)
        db.engine.dispose()
    return seeded


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(port: int, args: argparse.Namespace, env: dict):
    """Run gunicorn on ``load_app:app``; stop it (and show its log on failure) afterwards."""
    command = [
        sys.executable, "-m", "gunicorn", "load_app:app",
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
        "--worker-class", args.worker_class, "--threads", str(args.threads),
        "--pythonpath", f"{_common.ROOT},{BENCHMARKS}",
        # The first suggestions request of a worker fits the model on every profile (20 s to
        # minutes for 10,000, depending on how busy the machine is); a sync worker sends no
        # heartbeat meanwhile, so gunicorn's default 30 s timeout would kill it mid-fit.
        "--timeout", str(args.worker_timeout), "--log-level", "warning",
    ]
    if args.preload:
        # The master builds the suggestion index once (load_app.py) and forks warm workers.
        command.append("--preload")
        env = {**env, "SPREAD_LOAD_PRELOAD_INDEX": "1"}
    with tempfile.TemporaryFile(mode="w+") as log:
        # Its own process group, so that workers busy fitting are stopped with the master.
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  cwd=_common.ROOT, start_new_session=True)
        ok = False
        try:
            yield server
            ok = True
        finally:
            _stop_group(server)
            _show_log(log, ok)


def _show_log(log, ok: bool) -> None:
    """Print gunicorn's output when the run failed or a worker raised."""
    log.seek(0)
    output = log.read()
    if output.strip() and (not ok or "Traceback" in output):
        print("--- gunicorn log ---\n" + output[-5000:], file=sys.stderr)


def _stop_group(server: subprocess.Popen) -> None:
    """Stop gunicorn's master and workers: TERM, then KILL after 20 s."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            server.poll()
            try:
                os.killpg(server.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


def get(port: int, path: str, timeout: float = 900) -> tuple[int, bytes]:
    """One GET request; returns status and body."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until_up(port: int, server: subprocess.Popen, limit: float = 1800) -> float:
    """Poll ``/__hello`` until it answers; return the seconds it took."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            if get(port, "/__hello", timeout=2)[0] == 200:
                return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in time")


def warm_workers(port: int, workers: int, server: subprocess.Popen,
                 limit: float = 1800) -> tuple[float, list[float]]:
    """Build every worker's suggestion index; return the total seconds and each build's time.

    With ``--preload`` the master built it before forking: each worker answers at once.

    A worker busy building its index accepts no other connection (sync workers), so concurrent
    ``/__warm`` requests reach the other workers; repeat until each worker has answered.
    """
    start = time.perf_counter()
    builds: dict[int, float] = {}
    preload = 0.0
    while len(builds) < workers:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited during the warm-up")
        if time.perf_counter() - start > limit:
            raise SystemExit(f"only {len(builds)} of {workers} workers warmed up")
        answers: list[dict] = []

        def ask(answers: list[dict] = answers) -> None:
            try:
                status, body = get(port, "/__warm")
            except (OSError, http.client.HTTPException) as error:
                print(f"warm-up request failed ({error}); retrying", file=sys.stderr)
                return
            if status == 200:
                answers.append(json.loads(body))

        threads = [threading.Thread(target=ask) for _ in range(2 * workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for answer in answers:
            builds[answer["pid"]] = max(builds.get(answer["pid"], 0.0), answer["seconds"])
            preload = answer.get("preload_seconds") or 0.0
    times = Builds(sorted(builds.values()))
    times.preload = preload
    return time.perf_counter() - start, times


class Builds(list):
    """Each worker's index build time; ``preload``: the master's (0 without ``--preload``)."""

    preload = 0.0


def drive(job: dict) -> dict:
    """Run the load generator in its own process on ``job``; return its summary."""
    done = subprocess.run([sys.executable, str(BENCHMARKS / "load_client.py")],
                          input=json.dumps(job), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"load generator failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def targets(seeded: dict, requests: int, seed: int = 1) -> list[tuple[str, dict]]:
    """The three targets: hello, suggestions of random profiles, pages of random profiles."""
    rng = np.random.default_rng(seed)
    ids = seeded["profile_ids"]
    api_headers = {"Authorization": f"Bearer {seeded['token']}", "Accept-Language": "da"}
    page_headers = {"Accept-Language": "da,en;q=0.8", "Accept": "text/html"}
    pick = [int(ids[i]) for i in rng.integers(len(ids), size=requests)]
    return [
        ("hello", {"paths": ["/__hello"], "headers": {}}),
        ("suggestions", {"paths": [f"/api/v1/profiles/{i}/suggestions?k=10" for i in pick],
                         "headers": api_headers}),
        ("profile page", {"paths": [f"/profiles/{i}" for i in rng.permutation(pick).tolist()],
                          "headers": page_headers,
                          "login": {"email": seeded["email"], "password": seeded["password"]}}),
    ]


def print_table(rows: list[tuple[str, dict]]) -> None:
    """Print the figures, one line per target."""
    print(f"{'target':<14} {'requests':>8} {'conc.':>5} {'req/s':>8} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8} {'errors':>6}")
    for name, r in rows:
        print(f"{name:<14} {r['requests']:>8} {r['concurrency']:>5} {r['rps']:>8.0f} "
              f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['max_ms']:>8.1f} {r['errors']:>6}")
        for example in r["error_examples"]:
            print(f"    error: {example}")


def main() -> int:
    """Set up, warm up, measure, report; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=2000, help="measured requests per target")
    ap.add_argument("--concurrency", type=int, default=4, help="client threads (connections)")
    ap.add_argument("--profiles", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    ap.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    ap.add_argument("--preload", action=argparse.BooleanOptionalAction, default=True,
                    help="build the suggestion index in gunicorn's master before it forks the "
                         "workers (gunicorn --preload); --no-preload: every worker builds its own")
    ap.add_argument("--worker-timeout", type=int, default=900,
                    help="gunicorn --timeout: must exceed the index build of a worker")
    ap.add_argument("--server", default=os.environ.get("SPREAD_LOAD_DATABASE_URL",
                                                       DEFAULT_SERVER),
                    help="PostgreSQL server (admin URL) to create the throw-away database on")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still drop the database

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores, shared by server and load generator)")
    with throwaway_database(args.server) as url:
        env = {**SERVER_ENV, **os.environ, "SPREAD_DATABASE_URL": url,
               "SPREAD_SECRET_KEY": os.environ.get("SPREAD_SECRET_KEY") or uuid.uuid4().hex}
        os.environ.update({k: env[k] for k in ("SPREAD_DATABASE_URL", "SPREAD_SECRET_KEY")})
        t0 = time.perf_counter()
        seeded = prepare(url, args.profiles)
        print(f"migrated and filled with {args.profiles:,} profiles in "
              f"{time.perf_counter() - t0:.1f} s "
              f"(real description sentences mixed in: {'yes' if seeded['real_text'] else 'no'})")
        port = free_port()
        with gunicorn(port, args, env) as server:
            up = wait_until_up(port, server)
            warm, builds = warm_workers(port, args.workers, server)
            if args.preload:
                print(f"gunicorn ({args.workers} {args.worker_class} workers, {args.threads} "
                      f"thread(s) each, --preload) up in {up:.1f} s, of which the master "
                      f"built the suggestion index in {builds.preload:.1f} s before forking; "
                      f"workers warm in {warm:.1f} s")
            else:
                print(f"gunicorn ({args.workers} {args.worker_class} workers, {args.threads} "
                      f"thread(s) each) up in {up:.1f} s; suggestion index built in every "
                      f"worker in {warm:.1f} s (per worker: "
                      f"{', '.join(f'{b:.1f} s' for b in builds)})")
            results = []
            for name, job in targets(seeded, args.requests):
                base = {"port": port, "concurrency": args.concurrency}
                warmup = drive({**base, **job, "requests": max(20, args.requests // 20)})
                result = drive({**base, **job, "requests": args.requests})
                result["errors"] += warmup["errors"]
                result["error_examples"] += warmup["error_examples"]
                results.append((name, result))
            alive = server.poll() is None
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print_table(results)
    errors = sum(r["errors"] for _, r in results)
    if not alive:
        print("gunicorn died during the run", file=sys.stderr)
    return 1 if errors or not alive else 0


if __name__ == "__main__":
    sys.exit(main())
