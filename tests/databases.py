"""Throw-away test databases: a SQLite file, or a fresh PostgreSQL database on the test server."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from spread.config import normalise_database_url

POSTGRES_ENV = "SPREAD_TEST_DATABASE_URL"


def postgres_server_url() -> str | None:
    """The PostgreSQL server to test against, if the run was given one."""
    url = os.environ.get(POSTGRES_ENV)
    return normalise_database_url(url) if url else None


@contextmanager
def fresh_database(tmp_dir: Path, name: str = "spread"):
    """Yield the URL of an empty database that is removed afterwards."""
    server = postgres_server_url()
    if server is None:
        path = tmp_dir / f"{name}-{uuid.uuid4().hex[:8]}.sqlite3"
        yield f"sqlite:///{path}"
        return
    database = f"spread_test_{name}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield make_url(server).set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
