"""Language selection: the visitor's choice, then their account's, then the browser's."""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel
from flask_login import current_user


def select_locale() -> str:
    """Pick the interface language for this request."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # command-line output: the app's default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def register_i18n(app: Flask, babel: Babel) -> None:
    """Bind Flask-Babel with spread's locale selector and expose helpers to templates."""
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def inject_locale() -> dict:
        from flask_babel import get_locale

        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}
