"""The application factory."""
from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from spread import commands, errors
from spread.auth import register_auth
from spread.config import default_config
from spread.extensions import api, babel, csrf, db, migrate
from spread.health import register_health
from spread.i18n import register_i18n
from spread.logs import configure_logging
from spread.matchmaking.engine import register_suggestions
from spread.queue import init_queue
from spread.rate_limits import register_rate_limits
from spread.routing import IdConverter
from spread.security import register_security_headers

logger = logging.getLogger(__name__)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the spread application."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(default_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    configure_logging(app)

    if app.config["PROXY_COUNT"]:
        # Trust X-Forwarded-For/-Proto from exactly that many proxies (client address for the
        # rate limits, https for redirects); never more, or clients could forge their address.
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]
    register_extensions(app)
    register_blueprints(app)
    register_rate_limits(app)
    errors.register_error_handlers(app)
    commands.register_commands(app)
    register_security_headers(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind every extension to the app."""
    from spread import models  # noqa: F401  (every table must be known to Alembic)

    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_directory(), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    register_auth(app)
    register_i18n(app, babel)
    api.init_app(app)
    register_suggestions(app)
    init_queue(app)
    from spread import jobs  # noqa: F401  (registers the queue's tasks)


def register_blueprints(app: Flask) -> None:
    """Register the JSON API and the HTML pages."""
    from spread.api import register_api
    from spread.web import register_web

    register_api(api)
    register_web(app)
    register_health(app)


def _migrations_directory() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
