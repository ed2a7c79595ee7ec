"""WSGI entry point for gunicorn: ``gunicorn api.wsgi:app``. Run ``targeting db upgrade`` first
(``targeting serve`` does both)."""

from api import create_app

app = create_app()
