"""Pair listings load in a number of queries that does not grow with the number of pairs."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event

from spread.extensions import db
from spread.models import Enrolment, Pair, PairingRun, Role
from spread.services import rounds

ROUND = {"name": "Runde", "registration_opens": date(2027, 1, 1),
         "registration_closes": date(2027, 2, 1), "internship_start": date(2027, 3, 1),
         "internship_end": date(2027, 3, 31), "min_fit": 0.0}


@contextmanager
def counted_statements():
    """Count the SQL statements the engine runs inside the block."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.fixture
def round_with_pairs(create_user, create_profile, create_organisation):
    """make(n) -> (coordinator, round id, run id) of a round in review with n proposed pairs,
    every pair between profiles (and organisations) of its own, n of them left unpaired."""
    def make(n: int):
        coordinator = create_user(Role.COORDINATOR)
        round_ = rounds.create_round(dict(ROUND), coordinator)
        for state in ("open", "pairing", "review"):
            rounds.transition(round_, state, coordinator)
        unpaired = {}
        for index in range(n):
            taker = create_profile("taker", organisation=create_organisation())
            giver = create_profile("giver", organisation=create_organisation())
            lonely = create_profile("taker", organisation=create_organisation())
            unpaired[str(lonely.id)] = "no_allowed_partner"
            for profile in (taker, giver, lonely):
                db.session.add(Enrolment(round_id=round_.id, profile_id=profile.id,
                                         side=profile.side, capacity=1))
            db.session.add(Pair(round_id=round_.id, taker_id=taker.id, giver_id=giver.id,
                                score=0.5 + index / 1000, reasons={}, status="proposed",
                                source="optimal"))
        run = PairingRun(round_id=round_.id, method="optimal", status="done",
                                      summary={"unpaired": unpaired})
        db.session.add(run)
        db.session.commit()
        return coordinator, round_.id, run.id

    return make


def _statements(client, path: str, **kwargs) -> int:
    db.session.expunge_all()  # nothing cached from setting up: every row is loaded for real
    with counted_statements() as statements:
        response = client.get(path, **kwargs)
    assert response.status_code == 200, response.data[:300]
    return len(statements)


@pytest.mark.parametrize("path", ["/rounds/{round}/pairs", "/rounds/{round}/runs/{run}",
                                  "/api/v1/rounds/{round}/pairs"])
def test_listing_queries_do_not_grow_with_the_pairs(client, login, token_for, round_with_pairs,
                                                    path):
    counts = []
    for n in (2, 12):
        coordinator, round_id, run_id = round_with_pairs(n)
        headers = token_for(coordinator) if path.startswith("/api/") else {}
        if not headers:
            login(coordinator)
        counts.append(_statements(client, path.format(round=round_id, run=run_id),
                                  headers=headers))
    assert counts[0] == counts[1], counts
