"""Time the listings of a round's pairs (review page, API list) with 2,000 pairs.

Builds a throwaway SQLite database (migrated like production) with 2,000 proposed pairs
between 4,000 profiles of 4,000 organisations, then times each listing warm (median of 5).
"""
import statistics
import tempfile
import time
from datetime import date

import _common  # noqa: F401  (puts the repository on sys.path)

PAIRS = 2000


def build(app):
    """A coordinator and a round in review with PAIRS pairs; returns (coordinator, round id)."""
    from spread.extensions import db
    from spread.models import Enrolment, Organisation, Pair, Profile, Role
    from spread.services import rounds, users

    coordinator = users.register_user({"email": "k@example.dk", "name": "K",
                                  "password": "bench-password-1234"}, role=Role.COORDINATOR)
    round_ = rounds.create_round({"name": "Bench", "registration_opens": date(2027, 1, 1),
                                  "registration_closes": date(2027, 2, 1),
                                  "internship_start": date(2027, 3, 1),
                                  "internship_end": date(2027, 3, 31), "min_fit": 0.0},
                                 coordinator)
    for state in ("open", "pairing", "review"):
        rounds.transition(round_, state, coordinator)
    for index in range(PAIRS):
        sides = []
        for side in ("taker", "giver"):
            org = Organisation(name=f"{side} org {index}", kind="municipality", country="DK")
            profile = Profile(side=side, title=f"{side} {index}", description="x" * 40,
                              language="da", owner=coordinator, organisation=org, capacity=1)
            db.session.add(profile)
            sides.append(profile)
        db.session.flush()
        for profile in sides:
            db.session.add(Enrolment(round_id=round_.id, profile_id=profile.id,
                                     side=profile.side))
        db.session.add(Pair(round_id=round_.id, taker_id=sides[0].id, giver_id=sides[1].id,
                            score=0.5, reasons={}, status="proposed", source="optimal"))
    db.session.commit()
    return coordinator, round_.id


def main():
    """Print the median time of each listing."""
    from spread import create_app
    from spread.extensions import db

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                          "SECRET_KEY": "bench"})
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
            coordinator, round_id = build(app)
            email = coordinator.email
            db.session.remove()
        client = app.test_client()
        client.post("/login", data={"email": email, "password": "bench-password-1234"})
        for name, path in (("review page", f"/rounds/{round_id}/pairs"),
                           ("API list", f"/api/v1/rounds/{round_id}/pairs")):
            times = []
            for _ in range(6):
                start = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
            print(f"{name}: {PAIRS} pairs, median {statistics.median(times[1:]):.3f} s")


if __name__ == "__main__":
    main()
