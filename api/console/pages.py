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

import werkzeug.wrappers
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException

from api.console.client import ApiClient, ApiError, SignedOut
from api.worklist.rows import nz

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
FLIGHT_NUMBER = re.compile(r"^[A-Z0-9]{2}\d{1,4}[A-Z]?$")
AGENCY_NAMES = {"customs": "Customs", "mpi": "MPI", "immigration": "INZ", "central": "Central"}
#: What a signed session cookie may grow to with a kept form in it: browsers drop cookies over 4 KB,
#: and a dropped session cookie signs the officer out.
SESSION_BUDGET = 3600
#: Forms kept at once (refused, or typed when the key expired); the oldest goes first.
KEPT_FORMS = 3


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


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a console page, else None: a sign-in link must not send the officer anywhere else."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or ".." in parts.path or not parts.path.startswith("/console/"):
        return None
    return target


def home_for(roles: list[str] | tuple[str, ...]) -> str:
    """Where a signed-in person starts: officers and approvers at their worklist, auditors at the audit log."""
    if set(roles) & {"officer", "approver"} or "auditor" not in roles:
        return url_for("console.worklist")
    return url_for("console.audit")


# --- forms kept between a POST and the page that shows them ---------------------------------
#
# A refused form redirects (303) to the page that holds it, which shows it again with its
# errors from the session: the back button never lands on a POST's answer ("Confirm form
# resubmission"). A form typed when the key expired is kept the same way for after signing in,
# for the same person only.


def keep_form(form_id: str, values: Mapping[str, str], error: ApiError | None = None, owner: str | None = None) -> bool:
    """Keep a form's values (and why it was refused) for the next page that shows ``form_id``.

    False, keeping nothing, when it would make the session cookie too large to be kept: the
    caller then answers the POST with the page itself.
    """
    forms = dict(session.get("forms") or {})
    forms.pop(form_id, None)
    kept: dict[str, Any] = {"values": {name: str(value) for name, value in values.items()}, "owner": owner}
    if error is not None:
        kept["error"] = {"status": error.status, "code": error.code, "message": error.message, "errors": error.errors}
    forms[form_id] = kept
    while len(forms) > KEPT_FORMS:
        forms.pop(next(iter(forms)))
    before = session.get("forms")
    session["forms"] = forms
    if len(_serialised_session()) <= SESSION_BUDGET:
        return True
    if before is None:
        session.pop("forms")
    else:
        session["forms"] = before
    return False


def kept_form(form_id: str) -> tuple[ApiError | None, dict[str, str]]:
    """The kept form ``form_id`` (why it was refused, its values), taken out of the session; or nothing."""
    forms = dict(session.get("forms") or {})
    kept = forms.pop(form_id, None)
    if kept is None:
        return None, {}
    session["forms"] = forms
    owner = kept.get("owner")
    if owner is not None and owner != who().get("name"):
        return None, {}  # typed by someone else before their key expired (sign-in drops those too)
    refusal = kept.get("error")
    error = (
        ApiError(refusal["status"], refusal["code"], refusal["message"], dict(refusal["errors"])) if refusal else None
    )
    return error, dict(kept.get("values") or {})


def refused(form_id: str, error: ApiError, values: Mapping[str, str], target: str) -> werkzeug.wrappers.Response | None:
    """Redirect to ``target`` (the page holding the form) to show the refusal there; None if it cannot be kept."""
    if keep_form(form_id, values, error):
        return redirect(target, 303)
    return None


def status_of(error: ApiError | None) -> int:
    """The status a page showing a kept refusal answers with (the refusal's own)."""
    return error.status if error is not None else 200


def _serialised_session() -> str:
    serializer = current_app.session_interface.get_signing_serializer(current_app)  # type: ignore[attr-defined]
    return str(serializer.dumps(dict(session))) if serializer is not None else ""


def _typed_form() -> tuple[str, dict[str, str], str] | None:
    """The form of this POST (its id, what was typed, the page it was on), if it says which it is."""
    form_id, here = request.form.get("form_id", ""), safe_next(request.form.get("here"))
    if request.method != "POST" or not form_id or here is None:
        return None
    values = {name: value for name, value in request.form.items() if name not in ("csrf_token", "form_id", "here")}
    return form_id, values, here


@bp.before_request
def _guard() -> Any:
    if request.endpoint in OPEN_ENDPOINTS:
        if request.method == "POST":
            _check_csrf()
        return None
    if "key" not in session:
        typed = _typed_form()
        if typed is None:
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("console.sign_in", next=target), 303)
        form_id, values, here = typed
        # No session, so no CSRF token to check: only a form posted from a console page is kept.
        if _same_origin():
            keep_form(form_id, values)
            flash("Please sign in: what you typed is kept for you.", "error")
        return redirect(url_for("console.sign_in", next=here), 303)
    if request.method == "POST":
        _check_csrf()
    return None


def _same_origin() -> bool:
    origin = request.headers.get("Origin") or ""
    return bool(origin) and origin.rstrip("/") == request.host_url.rstrip("/")


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
    return {"who": who(), "can": can, "status_labels": STATUS_LABELS, "agency_names": AGENCY_NAMES}


@bp.app_template_global()
def here() -> str:
    """This page's path and query: where a form on it returns to."""
    return request.full_path.rstrip("?")


@bp.app_template_filter("local")
def _local(value: Any, style: str = "datetime") -> str:
    """An API timestamp in New Zealand time: ``Thu 3 Dec 08:00`` (``time``: ``08:00``; ``date``: ``Thu 3 Dec 2026``)."""
    if not value:
        return "—"
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(nz())
    formats = {"time": "%H:%M", "date": "%a %-d %b %Y", "datetime": "%a %-d %b %H:%M"}
    return local.strftime(formats.get(style, formats["datetime"]))


@bp.app_template_filter("day")
def _day(value: Any) -> str:
    """A ``YYYY-MM-DD`` date as ``Thursday 3 December 2026``."""
    try:
        return dt.date.fromisoformat(str(value)).strftime("%A %-d %B %Y")
    except ValueError:
        return str(value)


@bp.app_template_filter("agencies")
def _agencies(counts: Mapping[str, int] | None) -> str:
    """Other agencies' match counts as ``MPI 1, INZ 2`` (``—`` for none)."""
    shown = [f"{AGENCY_NAMES.get(agency, agency)} {count}" for agency, count in (counts or {}).items() if count]
    return ", ".join(shown) or "—"


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
    owner, typed = who().get("name"), _typed_form()
    session.clear()
    if typed is None:
        flash(f"Please sign in again: {error.error.message}.", "error")
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("console.sign_in", next=target), 303)
    form_id, values, here = typed
    # What was typed waits for the same person to sign in again, on the page it was typed on.
    kept = keep_form(form_id, values, owner=owner)
    message = "what you typed is kept for you" if kept else "what you typed was too long to keep: it is lost"
    flash(f"Please sign in again ({error.error.message}); {message}.", "error")
    return redirect(url_for("console.sign_in", next=here), 303)


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
