"""The JSON API under /api/v1, documented at /api/openapi.json."""
from flask_smorest import Api


def register_api(api: Api) -> None:
    """Register every API blueprint; unknown query parameters are rejected like unknown fields."""
    from flask_smorest import Blueprint

    parser = Blueprint.ARGUMENTS_PARSER
    parser.DEFAULT_UNKNOWN_BY_LOCATION = {
        **parser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}
    from spread.api import (
        account,
        dialogue_stats,
        dialogues,
        organisations,
        privacy,
        profiles,
        round_reports,
        rounds,
    )
    from spread.extensions import csrf

    for module in (account, organisations, profiles, rounds, round_reports, dialogue_stats,
                   dialogues, privacy):
        # spread.auth checks CSRF on the API itself, for session callers only.
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp)
