"""The console's blueprint and what every page shares: sign-in guard, CSRF, headers, filters, errors.

Each page is a thin client of ``/v1``: it calls the API as the signed-in key and renders.
Reading pages let an ``ApiError`` propagate to one handler that shows the API's code and
message; forms catch it and show each error next to the field at its path.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException

from api.console.client import ApiClient, ApiError, SignedOut

log = logging.getLogger(__name__)

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

#: Pages reachable without signing in.
OPEN_ENDPOINTS = frozenset({"console.sign_in", "console.static"})
OPEN_STATUSES = ("new", "in_review")
# Who the console is for; system and admin keys work through the API and the command line.
CONSOLE_ROLES = ("officer", "approver", "auditor")
DISPOSITIONS = ("referred", "cleared", "false_match", "offence_found")
STATUS_LABELS = {
    "new": "New",
    "in_review": "In review",
    "referred": "Referred",
    "cleared": "Cleared",
    "false_match": "False match",
    "offence_found": "Offence found",
}
#: Pages of hits fetched for one flight (the API returns at most 1,000 per call).
HIT_PAGES = 10
HIT_PAGE_SIZE = 1000
FLIGHT_NUMBER = re.compile(r"^[A-Z0-9]{2}\d{1,4}[A-Z]?$")


class CsrfRefused(Exception):
    pass


def quoted(value: Any) -> str:
    """One path segment of an API URL: whatever a console URL carried, it cannot reach another endpoint."""
    return quote(str(value), safe="")


# --- session, sign-in, protection ---------------------------------------------------------


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def who() -> dict[str, Any]:
    return dict(session.get("who") or {})


def can(*roles: str) -> bool:
    """Whether to offer a link or form: only a hint, since the API decides every call."""
    return bool(set(who().get("roles", [])) & set(roles))


def api_client() -> ApiClient:
    return ApiClient(str(session["key"]))


def safe_next(target: str | None) -> str:
    # Only a console path: a sign-in link must not be able to send the officer anywhere else.
    default = url_for("console.flights")
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or ".." in parts.path or not parts.path.startswith("/console/"):
        return default
    return target


@bp.before_request
def _guard() -> Any:
    if request.endpoint in OPEN_ENDPOINTS:
        if request.method == "POST":
            _check_csrf()
        return None
    if "key" not in session:
        return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?")), 303)
    if request.method == "POST":
        _check_csrf()
    return None


def _check_csrf() -> None:
    expected = session.get("csrf")
    presented = request.form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(str(expected), presented):
        raise CsrfRefused()


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "console.static":
        # Pages carry passenger data and rules: not for shared caches or the back button after sign-out.
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global()
def csrf_token() -> str:
    return _csrf_token()


@bp.context_processor
def page_globals() -> dict[str, Any]:
    """What every page's template reads: who is signed in, what they may do, the status labels."""
    return {"who": who(), "can": can, "status_labels": STATUS_LABELS}


@bp.app_template_filter("when")
def _when(value: Any) -> str:
    """An API timestamp as ``2026-12-01 22:00 UTC``."""
    if not value:
        return "—"
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # the store keeps UTC
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


@bp.app_template_filter("shown")
def _shown(value: Any) -> str:
    """An expected or actual value of a condition, as an officer reads it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(_shown(item) for item in value) or "(none)"
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {_shown(item)}" for key, item in value.items())
    return str(value)


@bp.errorhandler(SignedOut)
def _signed_out(error: SignedOut) -> Any:
    session.clear()
    flash(f"Please sign in again: {error.error.message}.", "error")
    return redirect(url_for("console.sign_in"), 303)


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Any:
    return render_template("console/error.html", error=error), error.status


@bp.errorhandler(CsrfRefused)
def _csrf_refused(error: CsrfRefused) -> Any:
    refused = ApiError(
        400,
        "csrf_refused",
        "This form has expired or did not come from this console. Reload the page and try again.",
    )
    return render_template("console/error.html", error=refused), 400


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Any:
    status = error.code or 500
    shown = ApiError(status, error.name.lower().replace(" ", "_"), error.description or error.name)
    return render_template("console/error.html", error=shown), status


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Any:
    log.exception("console error", extra={"error": type(error).__name__})
    shown = ApiError(500, "internal_error", "An unexpected error occurred; it has been logged.")
    return render_template("console/error.html", error=shown), 500
