"""Server-rendered HTML pages."""
from flask import Blueprint, Flask

bp = Blueprint("web", __name__)


def register_web(app: Flask) -> None:
    """Register the page blueprint and the template helpers."""
    from spread.web import (  # noqa: F401  (routes)
        account,
        admin_users,
        dialogue_stats,
        dialogues,
        match_model,
        organisations,
        pages,
        phase_guide,
        privacy,
        profiles,
        round_reports,
        rounds,
    )
    from spread.web.template_helpers import register_template_helpers

    app.register_blueprint(bp)
    register_template_helpers(app)
