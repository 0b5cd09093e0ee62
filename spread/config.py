"""Configuration: defaults first, then environment variables, then a test mapping."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


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


def default_config(instance_path: str) -> dict:
    """Build the configuration mapping from defaults and ``SPREAD_*`` environment variables."""
    env = os.environ
    https = env.get("SPREAD_HTTPS", "").lower() in {"1", "true", "yes"}
    return {
        "SECRET_KEY": env.get("SPREAD_SECRET_KEY") or _instance_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            env.get("SPREAD_DATABASE_URL")
            or "sqlite:///" + str(Path(instance_path) / "spread.sqlite3")
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": int(env.get("SPREAD_MAX_CONTENT_LENGTH", 2 * 1024 * 1024)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "SPREAD_HTTPS": https,
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "LANGUAGES": ["da", "en"],
        "BABEL_DEFAULT_LOCALE": "da",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Copenhagen",
        "API_TITLE": "spread API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "info": {
                "description": "JSON API of spread. Authenticate with `Authorization: Bearer "
                "<token>` (create a token with POST /api/v1/auth/tokens) or with the "
                "browser session.",
            },
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                }
            },
            "security": [{"bearerAuth": []}],
        },
        "PAGE_SIZE": 20,
        "SMTP_HOST": env.get("SPREAD_SMTP_HOST"),
        "SMTP_PORT": int(env.get("SPREAD_SMTP_PORT", 587)),
        "SMTP_USERNAME": env.get("SPREAD_SMTP_USERNAME"),
        "SMTP_PASSWORD": env.get("SPREAD_SMTP_PASSWORD"),
        "SMTP_STARTTLS": env.get("SPREAD_SMTP_STARTTLS", "1").lower() in {"1", "true", "yes"},
        "MAIL_FROM": env.get("SPREAD_MAIL_FROM", "spread <noreply@spread.invalid>"),
        "PUBLIC_URL": env.get("SPREAD_PUBLIC_URL", "http://127.0.0.1:5000"),
        # A dialogue with no activity for this many days counts as stalled (reminders, dashboard).
        "DIALOGUE_STALL_DAYS": int(env.get("SPREAD_DIALOGUE_STALL_DAYS", 14)),
        # The follow-up report on adoption is due this many months after the internship.
        "DIALOGUE_FOLLOWUP_MONTHS": int(env.get("SPREAD_DIALOGUE_FOLLOWUP_MONTHS", 6)),
        # Rate limits (see spread/rate_limits.py), in Flask-Limiter's notation.
        "RATELIMIT_ENABLED": True,
        # Counters shared by every process and host when Redis is configured.
        "RATELIMIT_STORAGE_URI": env.get("SPREAD_RATELIMIT_STORAGE_URI")
        or env.get("SPREAD_REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Prefix of the rate-limit counters' keys; installations sharing one Redis need their own.
        "RATELIMIT_KEY_PREFIX": env.get("SPREAD_RATELIMIT_KEY_PREFIX", "spread"),
        "LOGIN_RATE_LIMIT": env.get("SPREAD_LOGIN_RATE_LIMIT", "10 per minute;60 per hour"),
        "ACCOUNT_LOGIN_RATE_LIMIT": env.get("SPREAD_ACCOUNT_LOGIN_RATE_LIMIT",
                                            "5 per minute;20 per hour"),
        "MAIL_RATE_LIMIT": env.get("SPREAD_MAIL_RATE_LIMIT", "5 per minute;20 per hour"),
        # Behind a reverse proxy, how many proxies set X-Forwarded-For/-Proto (0: none).
        "PROXY_COUNT": int(env.get("SPREAD_PROXY_COUNT", 0)),
        # Up to this many profiles the similarity index is rebuilt in the request that finds
        # it stale; above it, in a background thread while the old index keeps serving.
        "SUGGESTIONS_SYNC_REFIT_LIMIT": int(env.get("SPREAD_SUGGESTIONS_SYNC_REFIT_LIMIT", 5000)),
        # Redis (redis://host:6379/0) for the task queue and the rate limits; unset: SQLite
        # queue in the instance folder and per-process rate-limit counters.
        "REDIS_URL": env.get("SPREAD_REDIS_URL"),
        # The queue's name (its Redis keys); installations sharing one Redis need different ones.
        "QUEUE_NAME": env.get("SPREAD_QUEUE_NAME", "spread"),
        # The SQLite queue file when no Redis is set (default: instance/queue.sqlite3).
        "QUEUE_PATH": env.get("SPREAD_QUEUE_PATH"),
        # Run queue tasks at once in the calling process (None: only when TESTING).
        "QUEUE_IMMEDIATE": _flag(env.get("SPREAD_QUEUE_IMMEDIATE")),
        # Threads of the queue's worker (`flask --app wsgi worker`).
        "QUEUE_WORKERS": int(env.get("SPREAD_QUEUE_WORKERS", 2)),
        # A pairing run's process records a heartbeat this often...
        "PAIRING_RUN_HEARTBEAT_SECONDS": float(env.get("SPREAD_PAIRING_RUN_HEARTBEAT_SECONDS", 10)),
        # ...and a run silent for longer is failed by the sweep, freeing its round.
        "PAIRING_RUN_STALE_SECONDS": float(env.get("SPREAD_PAIRING_RUN_STALE_SECONDS", 120)),
        # A run no worker picked up within this many seconds is failed too.
        "PAIRING_RUN_QUEUED_TIMEOUT": float(env.get("SPREAD_PAIRING_RUN_QUEUED_TIMEOUT", 3600)),
        # A confirmed registrations CSV with more rows is imported by the queue's worker.
        "CSV_IMPORT_SYNC_ROWS": int(env.get("SPREAD_CSV_IMPORT_SYNC_ROWS", 2000)),
        # "json": one JSON object per log line, with the request id; anything else: plain text.
        "LOG_FORMAT": env.get("SPREAD_LOG_FORMAT", "text"),
        # Log level of spread's own loggers (and of the root logger in JSON mode).
        "LOG_LEVEL": env.get("SPREAD_LOG_LEVEL", "INFO"),
    }


def _flag(value: str | None) -> bool | None:
    """An on/off environment variable; None when unset."""
    if value is None or value == "":
        return None
    return value.lower() in {"1", "true", "yes", "on"}
