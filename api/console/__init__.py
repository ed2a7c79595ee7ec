"""The web console (issue #8): server-rendered pages at ``/console`` for targeting officers and auditors.

An officer signs in by pasting their API key; every page then calls the ``/v1`` API
in-process with that key (``api.console.client``), so what a page shows or changes is
exactly what the key may read or do through the API.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import NotFound

from api.config import Settings
from api.console import (  # noqa: F401  (their routes join the blueprint)
    audit,
    flights,
    passenger,
    review,
    rules,
    sign_in,
    worklist,
)
from api.console.client import ApiError
from api.console.pages import bp, page_globals
from api.http.errors import http_exception_body


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
    app.register_error_handler(404, _not_found)


def _not_found(error: NotFound) -> Any:
    """An unknown console page is a console page saying so; everywhere else the API's JSON answer."""
    if request.path == "/console" or request.path.startswith("/console/"):
        shown = ApiError(404, "not_found", "There is no such page in the console.")
        return render_template("console/error.html", error=shown, **page_globals()), 404
    body, status, headers = http_exception_body(error)
    return jsonify(body), status, headers
