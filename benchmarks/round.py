"""A coordinator's round end to end: import, pair-round, list the pairs, export; and the library.

    .venv/bin/python benchmarks/round.py [--sizes 2000x800,5000x2000]
        [--database postgresql://postgres@127.0.0.1:5432/test]

For each size (takers x givers, giver capacities 1-3) on a fresh database (a temporary SQLite
file by default; with ``--database`` a throw-away PostgreSQL database on that server, dropped
afterwards): accounts and organisations are inserted (not timed), then timed, through the real
app: the CSV import over ``POST /api/v1/rounds/<id>/import``, ``flask pair-round`` (in-process
CLI runner; once with no stored fit at the new profiles version, once more with it stored),
``GET /api/v1/rounds/<id>/pairs`` and the CSV export. Then, on the same profile dicts, the
library alone: ``SimilarityModel().fit``, ``score`` and ``optimal_pairing``.
"""
from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import _common  # noqa: F401  (puts the repository on sys.path)
import numpy as np
from load import throwaway_database
from sqlalchemy import insert

COORDINATOR = "coordinator@bench.spread.invalid"
PASSWORD = "benchmark-password-2027"


@contextmanager
def database(url: str | None):
    """A fresh database URL: a temporary SQLite file, or a throw-away PostgreSQL database."""
    if url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'round.sqlite3'}"
        return
    with throwaway_database(url) as fresh:
        yield fresh


def seed_people(n_rows: int, seed: int) -> tuple[list[str], list[str]]:
    """Insert the coordinator, one participant per row and the organisations; return both."""
    from spread.extensions import db
    from spread.models import Organisation, Role, User
    from spread.models.base import utcnow

    now = utcnow()
    template = User(email="x", name="x")
    template.set_password(PASSWORD)
    emails = [f"person{i}@bench.spread.invalid" for i in range(n_rows)]
    db.session.execute(insert(User), [
        {"email": e, "name": f"Person {i}", "password_hash": template.password_hash,
         "role": Role.PARTICIPANT.value, "created_at": now, "updated_at": now,
         "email_confirmed_at": now} for i, e in enumerate(emails)]
        + [{"email": COORDINATOR, "name": "Coordinator", "role": Role.COORDINATOR.value,
            "password_hash": template.password_hash, "created_at": now, "updated_at": now,
            "email_confirmed_at": now}])
    organisations = [f"Benchmark kommune {i}" for i in range(max(3, n_rows // 10))]
    db.session.execute(insert(Organisation), [
        {"name": name, "kind": "municipality", "country": "DK", "created_at": now,
         "updated_at": now} for name in organisations])
    db.session.commit()
    return emails, organisations


def registrations_csv(n_takers: int, n_givers: int, emails: list[str], organisations: list[str],
                      seed: int) -> str:
    """The coordinator's spreadsheet: one row per profile, givers with capacities 1-3."""
    from matching.synthetic import make_profiles
    from spread import vocabulary

    rng = np.random.default_rng(seed)
    texts = make_profiles(n_takers + n_givers, random_state=seed, text_only=True)
    sectors, groups = list(vocabulary.SECTORS), list(vocabulary.TARGET_GROUPS)
    regions, levels = list(vocabulary.REGIONS), list(vocabulary.LEVELS)
    lines = ["email;side;title;organisation;description;sectors;target_groups;region;level;"
             "capacity;available_from;available_until"]
    start = date(2027, 3, 1)
    for i, raw in enumerate(texts):
        giver = i >= n_takers
        first = start + timedelta(days=int(rng.integers(0, 60)))
        lines.append(";".join([
            emails[i], "giver" if giver else "taker", f"Profil {i}",
            organisations[int(rng.integers(len(organisations)))], raw["text"],
            "|".join(rng.choice(sectors, size=int(rng.integers(1, 3)), replace=False)),
            "|".join(rng.choice(groups, size=int(rng.integers(1, 3)), replace=False)),
            regions[int(rng.integers(len(regions)))], levels[int(rng.integers(len(levels)))],
            str(int(rng.integers(1, 4))) if giver else "",
            first.isoformat(), (first + timedelta(days=int(rng.integers(20, 120)))).isoformat(),
        ]))
    return "\n".join(lines) + "\n"


def timed(label: str, times: dict, function, *args, **kwargs):
    """Call ``function`` and record its wall time under ``label``."""
    began = time.perf_counter()
    result = function(*args, **kwargs)
    times[label] = time.perf_counter() - began
    print(f"  {label:<34} {times[label]:8.2f} s", flush=True)
    return result


def coordinator_path(app, n_takers: int, n_givers: int, seed: int) -> tuple[dict, int]:
    """Drive the round through the app as a coordinator; return the step times and round id."""
    client = app.test_client()
    with app.app_context():
        emails, organisations = seed_people(n_takers + n_givers, seed)
    token = client.post("/api/v1/auth/tokens", json={"email": COORDINATOR,
                                                     "password": PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    round_id = client.post("/api/v1/rounds/", json={"name": "Benchmark", "min_fit": 0.05},
                           headers=headers).json["id"]
    move(client, headers, round_id, "open")
    body = registrations_csv(n_takers, n_givers, emails, organisations, seed).encode()
    times: dict[str, float] = {}
    response = timed("import (API)", times, client.post,
                     f"/api/v1/rounds/{round_id}/import?dry_run=false",
                     data={"file": (io.BytesIO(body), "registrations.csv")}, headers=headers,
                     content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    move(client, headers, round_id, "pairing")
    runner = app.test_cli_runner()
    for label in ("pair-round (fits, stores)", "pair-round again (stored fit)"):
        with app.app_context():  # as the flask command gives it
            result = timed(label, times, runner.invoke,
                           args=["pair-round", str(round_id), "--as", COORDINATOR])
        assert result.exit_code == 0, (result.output, repr(result.exception))
    listing = timed("list pairs (API)", times, client.get,
                    f"/api/v1/rounds/{round_id}/pairs", headers=headers)
    assert listing.status_code == 200 and listing.json, listing.status_code
    print(f"    {len(listing.json)} pairs")
    export = timed("CSV export (API)", times, client.get,
                   f"/api/v1/rounds/{round_id}/export.csv", headers=headers)
    assert export.status_code == 200
    return times, round_id


def move(client, headers, round_id, *states):
    """Move the round through ``states`` over the API."""
    for state in states:
        response = client.post(f"/api/v1/rounds/{round_id}/transitions",
                               json={"state": state}, headers=headers)
        assert response.status_code == 200, response.json


def library_alone(app, round_id: int, times: dict) -> None:
    """Fit, score and pair the round's profiles with the library only (same dicts)."""
    from matching import SimilarityModel, optimal_pairing
    from spread.matchmaking.adapter import active_profiles, profiles_to_matching
    from spread.models import Round
    from spread.services.enrolments import enrolled_profiles

    with app.app_context():
        from spread.extensions import db

        everyone = profiles_to_matching(active_profiles())
        takers = profiles_to_matching([p for _, p in enrolled_profiles(round_id, "taker")])
        giver_rows = enrolled_profiles(round_id, "giver")
        givers = profiles_to_matching([p for _, p in giver_rows])
        capacities = np.array([e.capacity for e, _ in giver_rows])
        min_fit = db.session.get(Round, round_id).min_fit
    began = time.perf_counter()
    model = SimilarityModel().fit(everyone)
    scores = model.score(takers, givers)
    allowed = ~model.same_organisation(takers, givers)
    optimal_pairing(scores, capacities, allowed=allowed, min_score=min_fit)
    times["library alone (fit+score+pair)"] = time.perf_counter() - began
    print(f"  {'library alone (fit+score+pair)':<34} "
          f"{times['library alone (fit+score+pair)']:8.2f} s", flush=True)


def run_size(url: str | None, n_takers: int, n_givers: int, seed: int) -> dict:
    """Everything for one size on a fresh database."""
    from flask_migrate import upgrade

    from spread import create_app
    from spread.extensions import db

    with database(url) as database_url:
        # 7,000 rows are about 3 MB: as SPREAD_MAX_CONTENT_LENGTH would allow in production.
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False,
                          "SECRET_KEY": "benchmark", "PAIRING_IN_BACKGROUND": False,
                          "MAX_CONTENT_LENGTH": 16 * 1024 * 1024})
        with app.app_context():
            upgrade()
        print(f"{n_takers} takers x {n_givers} givers ({database_url.split(':')[0]})")
        times, round_id = coordinator_path(app, n_takers, n_givers, seed)
        library_alone(app, round_id, times)
        ratio = times["pair-round (fits, stores)"] / times["library alone (fit+score+pair)"]
        print(f"  pair-round / library alone: {ratio:.2f}")
        with app.app_context():
            db.engine.dispose()
    return times


def main() -> int:
    """Parse the arguments and run every size."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="2000x800,5000x2000",
                    help="comma-separated TAKERSxGIVERS")
    ap.add_argument("--database", default=None,
                    help="PostgreSQL server URL; a throw-away database is created on it")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    for size in args.sizes.split(","):
        n_takers, n_givers = (int(x) for x in size.lower().split("x"))
        run_size(args.database, n_takers, n_givers, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
