"""The approver's side: the queue of versions awaiting approval, and a version's review page (the
backtest of the proposed version beside the one in service, the change, "Try it", approve)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from api.console import ruletext
from api.console.client import ApiClient, ApiError
from api.console.pages import api_client, bp, kept_form, quoted, refused, status_of


@bp.route("/approvals")
def approvals() -> Any:
    waiting = api_client().get("/v1/approvals")["versions"]
    return render_template(
        "console/approvals.html",
        mine=[v for v in waiting if v["may_approve"]],
        others=[v for v in waiting if not v["may_approve"]],
    )


def _backtests(
    client: ApiClient, rule_id: str, number: int, in_service: int | None, window: Mapping[str, str]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[dict[str, Any]], ApiError | None]:
    """The proposed version's backtest, the version in service's over the same window, and per flight both."""
    base = f"/v1/rules/{quoted(rule_id)}/versions"
    try:
        proposed = client.post(f"{base}/{quoted(number)}/backtest", {k: v for k, v in window.items() if v})
        current = None
        if in_service is not None and in_service != number:
            same_window = {"since": proposed["since"], "until": proposed["until"]}
            current = client.post(f"{base}/{quoted(in_service)}/backtest", same_window)
    except ApiError as failed:
        return None, None, [], failed
    flights: dict[tuple[str | None, str | None], dict[str, Any]] = {}
    for side, result in (("proposed", proposed), ("in_service", current)):
        for row in (result or {}).get("flights", []):
            item = flights.setdefault(
                (row["flight"], row["date"]),
                {"flight": row["flight"], "date": row["date"], "evaluated": row["evaluated"]},
            )
            item[side] = row["matched"]
    per_flight = sorted(flights.values(), key=lambda f: (-(f.get("proposed") or 0), f["flight"] or "", f["date"] or ""))
    return proposed, current, per_flight, None


def _review_page(
    rule_id: str,
    number: int,
    error: ApiError | None = None,
    status: int = 200,
    values: Mapping[str, str] | None = None,
    tried: Mapping[str, Any] | None = None,
) -> Any:
    if error is None and tried is None:
        error, values = kept_form(f"review-{rule_id}-{number}")
        status = status_of(error)
    values = values or {}
    client = api_client()
    rule = client.get(f"/v1/rules/{quoted(rule_id)}")
    version = next((v for v in rule["versions"] if v["number"] == number), None)
    if version is None:
        abort(404, f"Rule {rule_id} has no version {number}.")
    in_service = next((v for v in rule["versions"] if v["number"] == rule.get("active_version")), None)
    window = {name: request.args.get(name, "").strip() for name in ("since", "until")}
    proposed, current, per_flight, backtest_error = _backtests(
        client, rule_id, number, in_service["number"] if in_service else None, window
    )
    new_text = ruletext.dump(version["content"])
    changed = in_service is not None and in_service["number"] != number
    diff = ruletext.side_by_side(ruletext.dump(in_service["content"]), new_text) if changed and in_service else []
    return (
        render_template(
            "console/review.html",
            rule=rule,
            version=version,
            in_service=in_service,
            version_yaml=new_text,
            diff=diff,
            window=window,
            backtest=proposed,
            backtest_in_service=current,
            per_flight=per_flight,
            backtest_error=backtest_error,
            error=error,
            values=values,
            tried=tried,
            try_errors=[
                f"{path}: {message}" if path.startswith("passengers[") else message
                for path, messages in (error.errors.items() if error else ())
                if path.startswith(("passengers", "decision_ids", "_schema"))
                for message in messages
            ],
        ),
        status,
    )


@bp.route("/rules/<rule_id>/versions/<int:number>/review")
def review(rule_id: str, number: int) -> Any:
    return _review_page(rule_id, number)


@bp.route("/rules/<rule_id>/versions/<int:number>/approve", methods=["POST"])
def approve(rule_id: str, number: int) -> Any:
    reason = request.form.get("reason", "")
    try:
        api_client().post(f"/v1/rules/{quoted(rule_id)}/versions/{quoted(number)}/approve", {"reason": reason})
    except ApiError as error:
        return _review_refused(rule_id, number, error, {"reason": reason})
    flash(f"Approved {rule_id} version {number}: it goes into service when it is activated.", "ok")
    return redirect(url_for("console.approvals"), 303)


def _review_refused(rule_id: str, number: int, error: ApiError, values: Mapping[str, str]) -> Any:
    page = url_for("console.review", rule_id=rule_id, number=number)
    return refused(f"review-{rule_id}-{number}", error, values, page) or _review_page(
        rule_id, number, error, error.status, values
    )


@bp.route("/rules/<rule_id>/versions/<int:number>/try", methods=["POST"])
def try_version(rule_id: str, number: int) -> Any:
    """The "Try it" panel: sample passengers (JSON) or decision ids, tried through ``/v1``."""
    text = request.form.get("passengers", "").strip()
    ids = [part.strip() for part in request.form.get("decision_ids", "").replace(",", " ").split() if part.strip()]
    values = {"passengers": text, "decision_ids": " ".join(ids)}
    body: dict[str, Any] = {}
    if text:
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            return _review_refused(rule_id, number, _form_error("passengers", f"not JSON: {exc}"), values)
        body["passengers"] = parsed if isinstance(parsed, list) else [parsed]
    if ids:
        body["decision_ids"] = ids
    try:
        tried = api_client().post(f"/v1/rules/{quoted(rule_id)}/versions/{quoted(number)}/try", body)
    except ApiError as error:
        return _review_refused(rule_id, number, error, values)
    return _review_page(rule_id, number, values=values, tried=tried)


def _form_error(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_input", "The form has a mistake.", {field: [message]})
