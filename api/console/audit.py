"""A rule's history and the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from flask import (
    render_template,
    request,
    url_for,
)

from api.console import ruletext
from api.console.client import ApiError
from api.console.pages import (
    api_client,
    bp,
    can,
    quoted,
)


def _optional(call: Callable[[], Any]) -> tuple[Any, ApiError | None]:
    try:
        return call(), None
    except ApiError as error:
        return None, error


@bp.route("/rules/<rule_id>/history")
def history(rule_id: str) -> Any:
    client = api_client()
    rule = client.get(f"/v1/rules/{quoted(rule_id)}/history")
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
            diff = client.get(f"/v1/rules/{quoted(rule_id)}/diff", **{"from": old_number, "to": new_number})
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
    if can("auditor"):
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


AUDIT_FILTERS = ("agency", "rule", "actor", "object_id", "limit")
#: A date range (UTC days, both included), as the form gives it.
DATE_RANGE = ("from", "to")


def date_range(args: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str], dict[str, list[str]]]:
    """The form's dates, the API's ``since`` and ``until`` they mean, and what is wrong with them."""
    given = {name: args.get(name, "").strip() for name in DATE_RANGE}
    days: dict[str, dt.date] = {}
    errors: dict[str, list[str]] = {}
    for name, value in given.items():
        if value:
            try:
                days[name] = dt.date.fromisoformat(value)
            except ValueError:
                errors[name] = ["A date is YYYY-MM-DD, e.g. 2026-12-03."]
    if "from" in days and "to" in days and days["to"] < days["from"]:
        errors["to"] = ["The last day comes on or after the first."]
    window = {}
    if "from" in days:
        window["since"] = f"{days['from'].isoformat()}T00:00:00Z"
    if "to" in days:  # the API's until is exclusive: the day after
        window["until"] = f"{(days['to'] + dt.timedelta(days=1)).isoformat()}T00:00:00Z"
    return given, window, errors


@bp.route("/audit")
def audit() -> Any:
    client = api_client()
    filters = {name: request.args.get(name, "").strip() for name in AUDIT_FILTERS}
    dates, window, errors = date_range(request.args)
    # Newest first; "older" pages on with before=, "newer" with after= (read oldest first, shown reversed).
    before, after = request.args.get("before", "").strip(), request.args.get("after", "").strip()
    page: dict[str, Any] | None = None
    if not errors:
        try:
            if after:
                page = client.get("/v1/audit", **filters, **window, after=after, order="oldest")
                page["entries"].reverse()
            else:
                page = client.get("/v1/audit", **filters, **window, before=before, order="newest")
        except ApiError as error:
            if error.status != 422:
                raise
            errors = dict(error.errors) or {"$": [error.message]}
    chain = client.get("/v1/audit/verify")
    kept: dict[str, Any] = {k: v for k, v in {**filters, **dates}.items() if v}
    next_link = prev_link = None
    if page and page["entries"]:
        seqs = [entry["seq"] for entry in page["entries"]]
        older_exist = page.get("next_before") is not None or (after and min(seqs) > 1)
        if older_exist:
            next_link = url_for("console.audit", **kept, before=min(seqs))
        if before or (after and page.get("next_after") is not None):
            prev_link = url_for("console.audit", **kept, after=max(seqs))
    return (
        render_template(
            "console/audit.html",
            filters={**filters, **dates},
            page=page,
            errors=errors,
            chain=chain,
            next_link=next_link,
            prev_link=prev_link,
            after=after,
        ),
        422 if errors else 200,
    )


@bp.route("/audit/identity-views")
def identity_views() -> Any:
    """Who was shown which passengers' identities, when, where: decision ids, never the identities."""
    actor = request.args.get("actor", "").strip()
    dates, window, errors = date_range(request.args)
    back = [value for value in request.args.getlist("back") if value.isdigit()][-50:]
    before = request.args.get("before", "").strip()
    page: dict[str, Any] | None = None
    if not errors:
        try:
            page = api_client().get("/v1/audit/identity-views", actor=actor, **window, before=before, limit=50)
        except ApiError as error:
            if error.status != 422:
                raise
            errors = dict(error.errors) or {"$": [error.message]}
    kept: dict[str, Any] = {k: v for k, v in {"actor": actor, **dates}.items() if v}
    older = newer = None
    if page and page["next_before"] is not None:
        older = url_for("console.identity_views", **kept, before=page["next_before"], back=[*back, before])
    if before:
        previous = back[-1] if back else ""
        later: dict[str, Any] = {"before": previous, "back": back[:-1]} if previous else {}
        newer = url_for("console.identity_views", **kept, **later)
    return (
        render_template(
            "console/identity_views.html",
            filters={"actor": actor, **dates},
            page=page,
            errors=errors,
            older=older,
            newer=newer,
        ),
        422 if errors else 200,
    )
