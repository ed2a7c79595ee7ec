"""The console's pages. Each is a thin client of ``/v1``: it calls the API as the signed-in key and renders.

Reading pages let an ``ApiError`` propagate to one handler that shows the API's code and
message; forms catch it and show each error next to the field at its path.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import re
import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException

from api.console import ruletext
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
_FLIGHT = re.compile(r"^[A-Z0-9]{2}\d{1,4}[A-Z]?$")


class CsrfRefused(Exception):
    pass


def _q(value: Any) -> str:
    """One path segment of an API URL: whatever a console URL carried, it cannot reach another endpoint."""
    return quote(str(value), safe="")


# --- session, sign-in, protection ---------------------------------------------------------


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def _who() -> dict[str, Any]:
    return dict(session.get("who") or {})


def _can(*roles: str) -> bool:
    """Whether to offer a link or form: only a hint, since the API decides every call."""
    return bool(set(_who().get("roles", [])) & set(roles))


def _api() -> ApiClient:
    return ApiClient(str(session["key"]))


def _safe_next(target: str | None) -> str:
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
def _globals() -> dict[str, Any]:
    return {"who": _who(), "can": _can, "status_labels": STATUS_LABELS}


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


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    errors: dict[str, list[str]] = {}
    next_page = _safe_next(request.values.get("next"))
    if request.method == "POST":
        key = request.form.get("api_key", "").strip()
        if not key:
            errors["api_key"] = ["Paste your API key."]
        else:
            try:
                # Any valid key may read the current ruleset: the API itself says whether the key is good.
                ApiClient(key).get("/v1/rulesets/current")
            except SignedOut as refused:
                errors["api_key"] = [f"The service refused this key: {refused.error.message}."]
            except ApiError as other:
                errors["api_key"] = [f"The service could not check this key: {other.message}."]
            else:
                session.clear()  # a new session on sign-in: nothing from before carries over
                session["key"] = key
                session["who"] = _identity(key)
                session["csrf"] = secrets.token_urlsafe(32)
                return redirect(next_page, 303)
    return render_template("console/sign_in.html", errors=errors, next_page=next_page), 422 if errors else 200


def _identity(key: str) -> dict[str, Any]:
    # Who is signed in, for the header and for which links to offer; access is still decided by the API.
    from api.container import services

    actor = services().key_store.authenticate(key)
    if actor is None:
        return {}
    return {"name": actor.name, "agency": actor.agency, "roles": sorted(actor.roles)}


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Any:
    session.clear()
    flash("Signed out.", "ok")
    return redirect(url_for("console.sign_in"), 303)


@bp.route("/")
def home() -> Any:
    return redirect(url_for("console.flights"))


# --- flights, priority list, passengers, dispositions ------------------------------------


@bp.route("/flights")
def flights() -> Any:
    day = request.args.get("date", "").strip() or dt.datetime.now(dt.UTC).date().isoformat()
    flight = re.sub(r"\s+", "", request.args.get("flight", "")).upper()
    errors: dict[str, list[str]] = {}
    if flight:
        if _FLIGHT.match(flight):
            return redirect(url_for("console.priority", flight=flight, day=day))
        errors["flight"] = ["A flight is carrier and number, e.g. NZ5."]
    listed: list[dict[str, Any]] = []
    try:
        listed = _api().get("/v1/flights", date=day)["flights"]
    except ApiError as error:
        errors.update(error.errors or {"date": [error.message]})
    return render_template("console/flights.html", day=day, flight=flight, listed=listed, errors=errors)


def _flight_hits(client: ApiClient, flight: str, day: str) -> list[dict[str, Any]]:
    hits: list[dict[str, Any]] = []
    for page in range(HIT_PAGES):
        batch = client.get("/v1/hits", flight=flight, date=day, limit=HIT_PAGE_SIZE, offset=page * HIT_PAGE_SIZE)
        hits.extend(batch["hits"])
        if len(batch["hits"]) < HIT_PAGE_SIZE:
            break
    return hits


def _passenger_key(hit_or_row: Mapping[str, Any]) -> str:
    # A resubmitted passenger keeps their hits from the first decision; the system's passenger id ties them.
    ref = hit_or_row.get("passenger_id", hit_or_row.get("passenger_ref"))
    return f"ref:{ref}" if ref else f"decision:{hit_or_row['decision_id']}"


@bp.route("/flights/<flight>/<day>")
def priority(flight: str, day: str) -> Any:
    client = _api()
    band = request.args.get("band", "")
    listing = client.get(f"/v1/flights/{_q(flight)}/{_q(day)}/priority")
    open_hits: Counter[str] = Counter()
    worked: Counter[str] = Counter()
    try:
        for hit in _flight_hits(client, flight, day):
            (open_hits if hit["status"] in OPEN_STATUSES else worked)[_passenger_key(hit)] += 1
    except ApiError:
        pass  # a key that may read the list but not hits still gets the list
    rows = [row for row in listing["ranked"] if not band or row["band"] == band]
    bands = Counter(row["band"] for row in listing["ranked"])
    return render_template(
        "console/priority.html",
        listing=listing,
        rows=rows,
        band=band,
        bands=bands,
        open_hits=open_hits,
        worked=worked,
        passenger_key=_passenger_key,
    )


def _titles(client: ApiClient, hits: list[dict[str, Any]], row: Mapping[str, Any]) -> dict[tuple[str, int], str]:
    titles = {(r["rule_id"], r["version"]): r.get("title", "") for r in row.get("top_reasons", [])}
    for hit in hits:
        wanted = (hit["rule_id"], hit["rule_version"])
        if wanted in titles or hit["rule_version"] is None:
            continue
        try:
            titles[wanted] = client.get(f"/v1/rules/{_q(wanted[0])}/versions/{_q(wanted[1])}")["content"].get(
                "title", ""
            )
        except ApiError:
            titles[wanted] = ""  # another agency's rule: its hit is shared, its text need not be
    return titles


def _render_passenger(
    flight: str,
    day: str,
    decision_id: str,
    form_errors: Mapping[str, ApiError] | None = None,
    form_values: Mapping[str, Mapping[str, str]] | None = None,
    status: int = 200,
) -> Any:
    client = _api()
    listing = client.get(f"/v1/flights/{_q(flight)}/{_q(day)}/priority")
    row = next((r for r in listing["ranked"] if r["decision_id"] == decision_id), None)
    if row is None:
        abort(404, "This passenger is not on the flight's current list (a newer evaluation may have replaced it).")
    key = _passenger_key(row)
    hits_error: ApiError | None = None
    hits: list[dict[str, Any]] = []
    try:
        hits = [
            hit
            for hit in _flight_hits(client, flight, day)
            if _passenger_key(hit) == key or hit["decision_id"] == row["decision_id"]
        ]
    except ApiError as error:
        hits_error = error
    hits.sort(key=lambda hit: (hit["status"] not in OPEN_STATUSES, -hit.get("weight", 0), hit["rule_id"]))
    return (
        render_template(
            "console/passenger.html",
            listing=listing,
            row=row,
            hits=hits,
            hits_error=hits_error,
            titles=_titles(client, hits, row),
            next_statuses=_next_statuses,
            form_errors=form_errors or {},
            form_values=form_values or {},
        ),
        status,
    )


def _next_statuses(current: str) -> list[str]:
    """What the officer may move a hit to (the API enforces the same)."""
    if current not in OPEN_STATUSES:
        return []
    return (["in_review"] if current == "new" else []) + list(DISPOSITIONS)


@bp.route("/flights/<flight>/<day>/passengers/<decision_id>")
def passenger(flight: str, day: str, decision_id: str) -> Any:
    return _render_passenger(flight, day, decision_id)


@bp.route("/flights/<flight>/<day>/passengers/<decision_id>/hits/<hit_id>/disposition", methods=["POST"])
def disposition(flight: str, day: str, decision_id: str, hit_id: str) -> Any:
    body = {"status": request.form.get("status", ""), "note": request.form.get("note", "")}
    try:
        updated = _api().post(f"/v1/hits/{_q(hit_id)}/disposition", body)
    except ApiError as error:
        return _render_passenger(flight, day, decision_id, {hit_id: error}, {hit_id: body}, error.status)
    flash(f"Hit on {updated['rule_id']} recorded as {STATUS_LABELS.get(updated['status'], updated['status'])}.", "ok")
    target = url_for("console.passenger", flight=flight, day=day, decision_id=decision_id)
    return redirect(f"{target}#hit-{hit_id}", 303)


# --- rules: list, page, editor, transitions, review --------------------------------------


def _validity(content: Mapping[str, Any]) -> str:
    start, end = content.get("valid_from"), content.get("valid_until")
    if start and end:
        return f"{start} to {end}"
    if end:
        return f"until {end}"
    if start:
        return f"from {start} (no review date)"
    return "no review date"


@bp.route("/rules")
def rules() -> Any:
    client = _api()
    agency = request.args.get("agency", "")
    listed = client.get("/v1/rules", agency=agency)["rules"]
    rows = []
    for summary in listed:
        detail = client.get(f"/v1/rules/{_q(summary['id'])}")
        versions = {v["number"]: v for v in detail["versions"]}
        latest = versions.get(summary.get("latest_version") or 0)
        active = versions.get(summary.get("active_version") or 0)
        shown = active or latest
        rows.append(
            {
                **summary,
                "latest": latest,
                "active": active,
                "validity": _validity(shown["content"]) if shown else "—",
            }
        )
    return render_template("console/rules.html", rows=rows, agency=agency)


def _rule_page(
    rule_id: str, error: ApiError | None = None, status: int = 200, values: Mapping[str, str] | None = None
) -> Any:
    client = _api()
    rule = client.get(f"/v1/rules/{_q(rule_id)}")
    stats: dict[str, Any] | None = None
    try:
        stats = client.get(f"/v1/rules/{_q(rule_id)}/stats")
    except ApiError:
        stats = None
    versions = sorted(rule["versions"], key=lambda v: -v["number"])
    latest = versions[0] if versions else None
    return (
        render_template(
            "console/rule.html",
            rule=rule,
            versions=versions,
            latest=latest,
            latest_yaml=ruletext.dump(latest["content"]) if latest else "",
            validity=_validity,
            stats=stats,
            error=error,
            values=values or {},
        ),
        status,
    )


@bp.route("/rules/<rule_id>")
def rule(rule_id: str) -> Any:
    return _rule_page(rule_id)


def _editor(
    rule_id: str | None, text: str, reason: str, error: ApiError | None = None, status: int = 200
) -> tuple[str, int]:
    errors = dict(error.errors) if error else {}
    reason_errors = errors.pop("reason", [])
    # Paths of the rule's content, located in the text so each error sits next to its line.
    rule_errors = [
        {
            "path": path,
            "line": ruletext.locate(text, _content_path(path)) if path not in ("$", "rule") else None,
            "messages": messages,
        }
        for path, messages in errors.items()
    ]
    rule_errors.sort(key=lambda item: item["line"] or 0)
    return (
        render_template(
            "console/rule_editor.html",
            rule_id=rule_id,
            text=text,
            reason=reason,
            error=error,
            rule_errors=rule_errors,
            reason_errors=reason_errors,
            line_count=max(12, min(40, text.count("\n") + 2)),
        ),
        status,
    )


def _content_path(path: str) -> str:
    # Request validation names paths inside the request body (``rule.when``); the rule's own checks do not.
    return path.removeprefix("rule.") if path.startswith("rule.") else path


def _save_rule(rule_id: str | None) -> Any:
    text = request.form.get("rule_yaml", "")
    reason = request.form.get("reason", "")
    content, problems = ruletext.parse(text)
    if content is None:
        return _editor(rule_id, text, reason, ApiError(422, "invalid_yaml", "The text is not a rule.", problems), 422)
    target = f"/v1/rules/{_q(rule_id)}/versions" if rule_id else "/v1/rules"
    try:
        created = _api().post(target, {"rule": content, "reason": reason})
    except ApiError as error:
        return _editor(rule_id, text, reason, error, error.status)
    flash(f"Saved {created['rule_id']} version {created['number']} as a draft.", "ok")
    return redirect(url_for("console.rule", rule_id=created["rule_id"]), 303)


@bp.route("/rules/new", methods=["GET", "POST"])
def new_rule() -> Any:
    if request.method == "POST":
        return _save_rule(None)
    return _editor(None, "", "")


@bp.route("/rules/<rule_id>/edit", methods=["GET", "POST"])
def edit_rule(rule_id: str) -> Any:
    if request.method == "POST":
        return _save_rule(rule_id)
    rule = _api().get(f"/v1/rules/{_q(rule_id)}")
    latest = max(rule["versions"], key=lambda v: v["number"])
    return _editor(rule_id, ruletext.dump(latest["content"]), "")


TRANSITIONS = {"submit": "Submitted", "approve": "Approved", "activate": "Activated"}


@bp.route("/rules/<rule_id>/versions/<int:number>/<action>", methods=["POST"])
def transition(rule_id: str, number: int, action: str) -> Any:
    if action not in TRANSITIONS:
        abort(404)
    reason = request.form.get("reason", "")
    try:
        _api().post(f"/v1/rules/{_q(rule_id)}/versions/{_q(number)}/{_q(action)}", {"reason": reason})
    except ApiError as error:
        if action == "approve":
            return _review_page(rule_id, number, error, error.status, {"reason": reason})
        return _rule_page(rule_id, error, error.status, {f"{action}-{number}": reason})
    flash(f"{TRANSITIONS[action]} {rule_id} version {number}.", "ok")
    return redirect(url_for("console.rule", rule_id=rule_id), 303)


@bp.route("/rules/<rule_id>/retire", methods=["POST"])
def retire(rule_id: str) -> Any:
    reason = request.form.get("reason", "")
    try:
        _api().post(f"/v1/rules/{_q(rule_id)}/retire", {"reason": reason})
    except ApiError as error:
        return _rule_page(rule_id, error, error.status, {"retire": reason})
    flash(f"Retired {rule_id}.", "ok")
    return redirect(url_for("console.rule", rule_id=rule_id), 303)


def _review_page(
    rule_id: str, number: int, error: ApiError | None = None, status: int = 200, values: Mapping[str, str] | None = None
) -> Any:
    client = _api()
    rule = client.get(f"/v1/rules/{_q(rule_id)}")
    version = next((v for v in rule["versions"] if v["number"] == number), None)
    if version is None:
        abort(404, f"Rule {rule_id} has no version {number}.")
    active = next((v for v in rule["versions"] if v["number"] == rule.get("active_version")), None)
    window = {name: request.args.get(name, "").strip() for name in ("since", "until")}
    backtest: dict[str, Any] | None = None
    backtest_error: ApiError | None = None
    try:
        backtest = client.post(
            f"/v1/rules/{_q(rule_id)}/versions/{_q(number)}/backtest", {k: v for k, v in window.items() if v}
        )
    except ApiError as failed:
        backtest_error = failed
    new_text = ruletext.dump(version["content"])
    diff = ruletext.side_by_side(ruletext.dump(active["content"]), new_text) if active and active is not version else []
    return (
        render_template(
            "console/review.html",
            rule=rule,
            version=version,
            active=active,
            version_yaml=new_text,
            diff=diff,
            window=window,
            backtest=backtest,
            backtest_error=backtest_error,
            error=error,
            values=values or {},
        ),
        status,
    )


@bp.route("/rules/<rule_id>/versions/<int:number>/review")
def review(rule_id: str, number: int) -> Any:
    return _review_page(rule_id, number)


# --- history and the audit log ----------------------------------------------------------


def _optional(call: Callable[[], Any]) -> tuple[Any, ApiError | None]:
    try:
        return call(), None
    except ApiError as error:
        return None, error


@bp.route("/rules/<rule_id>/history")
def history(rule_id: str) -> Any:
    client = _api()
    rule = client.get(f"/v1/rules/{_q(rule_id)}/history")
    versions = sorted(rule["versions"], key=lambda v: v["number"])
    numbers = [v["number"] for v in versions]
    default_to = numbers[-1] if numbers else 0
    default_from = numbers[-2] if len(numbers) > 1 else default_to
    old_number = request.args.get("from", str(default_from))
    new_number = request.args.get("to", str(default_to))
    diff_errors: dict[str, list[str]] = {}
    diff: dict[str, Any] | None = None
    rows: list[ruletext.DiffRow] = []
    if len(numbers) > 1 or "from" in request.args:
        try:
            diff = client.get(f"/v1/rules/{_q(rule_id)}/diff", **{"from": old_number, "to": new_number})
        except ApiError as error:
            diff_errors = dict(error.errors) or {"$": [error.message]}
        if diff is not None:
            by_number = {v["number"]: v for v in versions}
            rows = ruletext.side_by_side(
                ruletext.dump(by_number[diff["from"]]["content"]), ruletext.dump(by_number[diff["to"]]["content"])
            )
    audit: dict[str, Any] | None = None
    audit_error: ApiError | None = None
    chain: dict[str, Any] | None = None
    if _can("auditor"):
        audit, audit_error = _optional(lambda: client.get("/v1/audit", rule=rule_id, limit=200))
        chain, _ = _optional(lambda: client.get("/v1/audit/verify"))
    return render_template(
        "console/history.html",
        rule=rule,
        versions=versions,
        old_number=old_number,
        new_number=new_number,
        diff=diff,
        rows=rows,
        diff_errors=diff_errors,
        audit=audit,
        audit_error=audit_error,
        chain=chain,
    )


AUDIT_FILTERS = ("agency", "rule", "actor", "object_id", "since", "until", "limit")


@bp.route("/audit")
def audit() -> Any:
    client = _api()
    filters = {name: request.args.get(name, "").strip() for name in AUDIT_FILTERS}
    after = request.args.get("after", "").strip()
    errors: dict[str, list[str]] = {}
    page: dict[str, Any] | None = None
    try:
        page = client.get("/v1/audit", **filters, after=after)
    except ApiError as error:
        if error.status != 422:
            raise
        errors = dict(error.errors) or {"$": [error.message]}
    chain = client.get("/v1/audit/verify")
    next_link = None
    if page and page.get("next_after") is not None:
        next_link = url_for("console.audit", **{k: v for k, v in filters.items() if v}, after=page["next_after"])
    return (
        render_template(
            "console/audit.html",
            filters=filters,
            page=page,
            errors=errors,
            chain=chain,
            next_link=next_link,
            after=after,
        ),
        422 if errors else 200,
    )
