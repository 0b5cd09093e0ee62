"""Server-rendered HTML pages."""
from flask import Blueprint, Flask

bp = Blueprint("web", __name__)


def register_web(app: Flask) -> None:
    """Register the page blueprint and the template helpers."""
    from spread.web import account, organisations, pages, profiles, rounds  # noqa: F401  (routes)
    from spread.web import round_reports  # noqa: F401  (routes)
    from spread.web import dialogue_stats  # noqa: F401  (routes)
    from spread.web import dialogues  # noqa: F401  (routes)
    from spread.web import admin_users, privacy  # noqa: F401  (routes)
    from spread.web.template_helpers import register_template_helpers

    app.register_blueprint(bp)
    register_template_helpers(app)
