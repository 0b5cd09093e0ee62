"""WSGI entry point: ``flask --app wsgi ...`` and ``gunicorn wsgi:app``."""
from spread import create_app

app = create_app()
