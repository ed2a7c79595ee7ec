"""The web console (issue #8): server-rendered pages at ``/console`` for targeting officers and auditors.

An officer signs in by pasting their API key; every page then calls the ``/v1`` API
in-process with that key (``api.console.client``), so what a page shows or changes is
exactly what the key may read or do through the API.
"""

from __future__ import annotations

from flask import Flask

from api.config import Settings
from api.console import audit, flights, rules, sign_in  # noqa: F401  (their routes join the blueprint)
from api.console.pages import bp


def register(app: Flask, settings: Settings) -> None:
    app.secret_key = settings.resolved_console_secret_key()
    app.config.update(
        SESSION_COOKIE_NAME="targeting_console",
        # The cookie carries the API key: never sent to /v1 (which takes keys only in headers), never readable by
        # scripts, never sent on a cross-site request.
        SESSION_COOKIE_PATH="/console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
    )
    app.register_blueprint(bp)
