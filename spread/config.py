"""Configuration: defaults first, then environment variables, then a test mapping."""
from __future__ import annotations

import copy
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _instance_secret_key(instance_path: str) -> str:
    """Return a secret key kept in the instance folder, created on first use."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` (and Heroku-style ``postgres://``) URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass(frozen=True)
class Setting:
    """One configuration key: its default, the ``SPREAD_*`` variable that overrides it (if
    any), how that variable's text becomes a value, and what the key means."""

    name: str
    default: Any
    meaning: str
    env: str | None = None
    parse: Callable[[str], Any] = str


def _flag(text: str) -> bool:
    return text.lower() in {"1", "true", "yes"}


STALL_DAYS = 14  # the default of DIALOGUE_STALL_DAYS, also named in the CLI's help

API_SPEC_OPTIONS = {
    "info": {
        "description": "JSON API of spread. Authenticate with `Authorization: Bearer "
        "<token>` (create a token with POST /api/v1/auth/tokens) or with the browser session.",
    },
    "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    "security": [{"bearerAuth": []}],
}

# Every key spread reads, with its default and meaning (tests/test_config.py checks that each
# key read anywhere in spread/ is declared here). SECRET_KEY, the database URL and the HTTPS
# switch depend on each other or on the instance folder: default_config() fills them in.
SETTINGS = [
    Setting("SECRET_KEY", None, "Signs sessions and links; kept in instance/secret_key "
            "unless given.", "SPREAD_SECRET_KEY"),
    Setting("SQLALCHEMY_DATABASE_URI", None, "The database (SQLite in the instance folder "
            "unless given).", "SPREAD_DATABASE_URL", normalise_database_url),
    Setting("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True}, "SQLAlchemy engine options."),
    Setting("MAX_CONTENT_LENGTH", 2 * 1024 * 1024, "Largest request body in bytes.",
            "SPREAD_MAX_CONTENT_LENGTH", int),
    Setting("SPREAD_HTTPS", False, "Served over HTTPS: secure cookies, https links, HSTS.",
            "SPREAD_HTTPS", _flag),
    Setting("SESSION_COOKIE_HTTPONLY", True, "Scripts cannot read the session cookie."),
    Setting("SESSION_COOKIE_SAMESITE", "Lax", "The session cookie's SameSite."),
    Setting("SESSION_COOKIE_SECURE", None, "Session cookie over HTTPS only (= SPREAD_HTTPS)."),
    Setting("REMEMBER_COOKIE_HTTPONLY", True, "Scripts cannot read the remember-me cookie."),
    Setting("REMEMBER_COOKIE_SAMESITE", "Lax", "The remember-me cookie's SameSite."),
    Setting("REMEMBER_COOKIE_SECURE", None, "Remember-me cookie over HTTPS only "
            "(= SPREAD_HTTPS)."),
    Setting("PREFERRED_URL_SCHEME", None, "Scheme of absolute links (from SPREAD_HTTPS)."),
    Setting("WTF_CSRF_ENABLED", True, "Forms and session API writes need the CSRF token."),
    Setting("WTF_CSRF_TIME_LIMIT", None, "CSRF tokens last as long as the session."),
    Setting("LANGUAGES", ["da", "en"], "The languages of the pages, preferred first."),
    Setting("BABEL_DEFAULT_LOCALE", "da", "Language when the browser states none we have."),
    Setting("BABEL_DEFAULT_TIMEZONE", "Europe/Copenhagen", "Time zone of shown times."),
    Setting("API_TITLE", "spread API", "Title of the OpenAPI document."),
    Setting("API_VERSION", "v1", "Version of the OpenAPI document."),
    Setting("OPENAPI_VERSION", "3.0.3", "OpenAPI version of /api/openapi.json."),
    Setting("OPENAPI_URL_PREFIX", "/api", "Where the OpenAPI document is served."),
    Setting("OPENAPI_JSON_PATH", "openapi.json", "The OpenAPI document's file name."),
    Setting("API_SPEC_OPTIONS", API_SPEC_OPTIONS, "Description and security of the API."),
    Setting("SMTP_HOST", None, "Mail server; without it mail goes to the outbox only.",
            "SPREAD_SMTP_HOST"),
    Setting("SMTP_PORT", 587, "Mail server port.", "SPREAD_SMTP_PORT", int),
    Setting("SMTP_USERNAME", None, "Mail server login.", "SPREAD_SMTP_USERNAME"),
    Setting("SMTP_PASSWORD", None, "Mail server password.", "SPREAD_SMTP_PASSWORD"),
    Setting("SMTP_STARTTLS", True, "Use STARTTLS with the mail server.", "SPREAD_SMTP_STARTTLS",
            _flag),
    Setting("MAIL_FROM", "spread <noreply@spread.invalid>", "Sender of spread's mail.",
            "SPREAD_MAIL_FROM"),
    Setting("PUBLIC_URL", "http://127.0.0.1:5000", "Base of the links in mails.",
            "SPREAD_PUBLIC_URL"),
    Setting("DIALOGUE_STALL_DAYS", STALL_DAYS, "A dialogue with no activity for this many days "
            "counts as stalled (reminders, dashboard).", "SPREAD_DIALOGUE_STALL_DAYS", int),
    Setting("DIALOGUE_FOLLOWUP_MONTHS", 6, "The follow-up report on adoption is due this many "
            "months after the internship.", "SPREAD_DIALOGUE_FOLLOWUP_MONTHS", int),
    Setting("RATELIMIT_ENABLED", True, "Rate limits on (see spread/rate_limits.py)."),
    Setting("RATELIMIT_STORAGE_URI", None, "Where Flask-Limiter counts (default: REDIS_URL, "
            "else memory://).", "SPREAD_RATELIMIT_STORAGE_URI"),
    Setting("RATELIMIT_HEADERS_ENABLED", True, "Answers carry the X-RateLimit headers."),
    Setting("LOGIN_RATE_LIMIT", "10 per minute;60 per hour", "Logins per address.",
            "SPREAD_LOGIN_RATE_LIMIT"),
    Setting("ACCOUNT_LOGIN_RATE_LIMIT", "5 per minute;20 per hour", "Logins per account.",
            "SPREAD_ACCOUNT_LOGIN_RATE_LIMIT"),
    Setting("MAIL_RATE_LIMIT", "5 per minute;20 per hour", "Mails a person may trigger.",
            "SPREAD_MAIL_RATE_LIMIT"),
    Setting("PROXY_COUNT", 0, "How many reverse proxies set X-Forwarded-For/-Proto.",
            "SPREAD_PROXY_COUNT", int),
    Setting("SUGGESTIONS_SYNC_REFIT_LIMIT", 5000, "Up to this many profiles the similarity "
            "index is rebuilt in the request that finds it stale; above, in the background.",
            "SPREAD_SUGGESTIONS_SYNC_REFIT_LIMIT", int),
    Setting("SUGGESTIONS_TOP_K_TABLE", True, "Keep a precomputed table of each profile's best "
            "partners with the similarity index.", "SPREAD_SUGGESTIONS_TOP_K_TABLE", _flag),
    Setting("PAIRING_IN_BACKGROUND", True, "Pairing runs go to the task queue (off: they run "
            "in the request that starts them).", "SPREAD_PAIRING_IN_BACKGROUND", _flag),
    Setting("RATELIMIT_KEY_PREFIX", "spread", "Prefix of the rate-limit counters' keys; "
            "installations sharing one Redis need their own.", "SPREAD_RATELIMIT_KEY_PREFIX"),
    Setting("REDIS_URL", None, "Redis (redis://host:6379/0) for the task queue and the rate "
            "limits; unset: SQLite queue in the instance folder, per-process counters.",
            "SPREAD_REDIS_URL"),
    Setting("QUEUE_NAME", "spread", "The queue's name (its Redis keys).", "SPREAD_QUEUE_NAME"),
    Setting("QUEUE_PATH", None, "The SQLite queue file when no Redis is set (default: "
            "instance/queue.sqlite3).", "SPREAD_QUEUE_PATH"),
    Setting("QUEUE_IMMEDIATE", None, "Run queue tasks at once in the calling process (unset: "
            "only when TESTING).", "SPREAD_QUEUE_IMMEDIATE", _flag),
    Setting("QUEUE_WORKERS", 2, "Threads of the queue's worker (flask --app wsgi worker).",
            "SPREAD_QUEUE_WORKERS", int),
    Setting("PAIRING_RUN_HEARTBEAT_SECONDS", 10.0, "A pairing run's process records a "
            "heartbeat this often.", "SPREAD_PAIRING_RUN_HEARTBEAT_SECONDS", float),
    Setting("PAIRING_RUN_STALE_SECONDS", 120.0, "A run silent for longer is failed by the "
            "sweep, freeing its round.", "SPREAD_PAIRING_RUN_STALE_SECONDS", float),
    Setting("PAIRING_RUN_QUEUED_TIMEOUT", 3600.0, "A run no worker picked up within this many "
            "seconds is failed.", "SPREAD_PAIRING_RUN_QUEUED_TIMEOUT", float),
    Setting("CSV_IMPORT_SYNC_ROWS", 2000, "A confirmed registrations CSV with more rows is "
            "imported by the queue's worker.", "SPREAD_CSV_IMPORT_SYNC_ROWS", int),
    Setting("LOG_FORMAT", "text", "json: one JSON object per log line, with the request id.",
            "SPREAD_LOG_FORMAT"),
    Setting("LOG_LEVEL", "INFO", "Log level of spread's own loggers.", "SPREAD_LOG_LEVEL"),
]
DECLARED = {setting.name for setting in SETTINGS}


def default_config(instance_path: str) -> dict:
    """Build the configuration mapping from defaults and ``SPREAD_*`` environment variables."""
    env = os.environ
    config = {}
    for setting in SETTINGS:
        text = env.get(setting.env) if setting.env else None
        config[setting.name] = setting.parse(text) if text else copy.deepcopy(setting.default)
    https = config["SPREAD_HTTPS"]
    config["SECRET_KEY"] = config["SECRET_KEY"] or _instance_secret_key(instance_path)
    config["SQLALCHEMY_DATABASE_URI"] = config["SQLALCHEMY_DATABASE_URI"] or (
        "sqlite:///" + str(Path(instance_path) / "spread.sqlite3"))
    config["RATELIMIT_STORAGE_URI"] = (config["RATELIMIT_STORAGE_URI"] or config["REDIS_URL"]
                                       or "memory://")
    config.update(SESSION_COOKIE_SECURE=https, REMEMBER_COOKIE_SECURE=https,
                  PREFERRED_URL_SCHEME="https" if https else "http")
    return config
