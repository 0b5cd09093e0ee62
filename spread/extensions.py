"""Flask extensions, created unbound and initialised in the application factory."""
import sqlite3

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Seconds to wait for a PostgreSQL connection before giving up (the request answers 503);
# a ``connect_timeout`` in the database URL wins.
CONNECT_TIMEOUT_SECONDS = 5

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations can name constraints."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SpreadApi(Api):
    """flask-smorest Api whose errors are handled by :mod:`spread.errors`."""

    # No catch-all "default" answer in the document: every operation lists the error codes it
    # really gives (@blp.alt_response), which tests/test_api_fuzz.py holds it to.
    DEFAULT_ERROR_RESPONSE_NAME = None

    @property
    def ERROR_SCHEMA(self):
        from spread.api.common import ApiErrorSchema

        return ApiErrorSchema

    def _register_error_handlers(self):
        """Leave error handling to spread.errors, which knows pages from API calls."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
api = SpreadApi()


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys, let readers and one writer work side by side (WAL), and
    fold æøå in lower() (used by ILIKE and name checks) as PostgreSQL does."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


@event.listens_for(Engine, "do_connect")
def _postgres_connect_timeout(dialect, connection_record, cargs, cparams) -> None:
    """PostgreSQL: fail fast when the server cannot be reached instead of hanging a request."""
    if dialect.name == "postgresql":
        cparams.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
