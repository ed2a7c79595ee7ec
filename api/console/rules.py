"""Rules: the list, a rule's page, the editor, transitions and the second officer's review."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from api.console import ruletext
from api.console.client import ApiError
from api.console.pages import (
    api_client,
    bp,
    quoted,
)


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
    client = api_client()
    agency = request.args.get("agency", "")
    listed = client.get("/v1/rules", agency=agency)["rules"]
    rows = []
    for summary in listed:
        detail = client.get(f"/v1/rules/{quoted(summary['id'])}")
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
    client = api_client()
    rule = client.get(f"/v1/rules/{quoted(rule_id)}")
    stats: dict[str, Any] | None = None
    try:
        stats = client.get(f"/v1/rules/{quoted(rule_id)}/stats")
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
    target = f"/v1/rules/{quoted(rule_id)}/versions" if rule_id else "/v1/rules"
    try:
        created = api_client().post(target, {"rule": content, "reason": reason})
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
    rule = api_client().get(f"/v1/rules/{quoted(rule_id)}")
    latest = max(rule["versions"], key=lambda v: v["number"])
    return _editor(rule_id, ruletext.dump(latest["content"]), "")


TRANSITIONS = {"submit": "Submitted", "approve": "Approved", "activate": "Activated"}


@bp.route("/rules/<rule_id>/versions/<int:number>/<action>", methods=["POST"])
def transition(rule_id: str, number: int, action: str) -> Any:
    if action not in TRANSITIONS:
        abort(404)
    reason = request.form.get("reason", "")
    try:
        api_client().post(f"/v1/rules/{quoted(rule_id)}/versions/{quoted(number)}/{quoted(action)}", {"reason": reason})
    except ApiError as error:
        if action == "approve":
            return _review_page(rule_id, number, error, error.status, {"reason": reason})
        return _rule_page(rule_id, error, error.status, {f"{action}-{number}": reason})
    flash(f"{TRANSITIONS[action]} {rule_id} version {number}.", "ok")
    return redirect(url_for("console.rule", rule_id=rule_id), 303)


@bp.route("/rules/<rule_id>/retire", methods=["POST"])
def retire(rule_id: str) -> Any:
    reason = request.form.get("reason", "").strip()
    missing = {}
    if not reason:
        missing["reason"] = ["Say why the rule is retired."]
    if request.form.get("confirm") != "yes":
        missing["confirm"] = [f"Tick the box to confirm that {rule_id} stops matching."]
    if missing:
        refused = ApiError(422, "invalid_input", "Retiring takes a reason and a confirmation.", missing)
        return _rule_page(rule_id, refused, 422, {"retire": reason})
    try:
        api_client().post(f"/v1/rules/{quoted(rule_id)}/retire", {"reason": reason})
    except ApiError as error:
        return _rule_page(rule_id, error, error.status, {"retire": reason})
    flash(f"Retired {rule_id}.", "ok")
    return redirect(url_for("console.rule", rule_id=rule_id), 303)


def _review_page(
    rule_id: str,
    number: int,
    error: ApiError | None = None,
    status: int = 200,
    values: Mapping[str, str] | None = None,
    tried: Mapping[str, Any] | None = None,
) -> Any:
    client = api_client()
    rule = client.get(f"/v1/rules/{quoted(rule_id)}")
    version = next((v for v in rule["versions"] if v["number"] == number), None)
    if version is None:
        abort(404, f"Rule {rule_id} has no version {number}.")
    active = next((v for v in rule["versions"] if v["number"] == rule.get("active_version")), None)
    window = {name: request.args.get(name, "").strip() for name in ("since", "until")}
    backtest: dict[str, Any] | None = None
    backtest_error: ApiError | None = None
    try:
        backtest = client.post(
            f"/v1/rules/{quoted(rule_id)}/versions/{quoted(number)}/backtest", {k: v for k, v in window.items() if v}
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
            return _review_page(rule_id, number, _form_error("passengers", f"not JSON: {exc}"), 422, values)
        body["passengers"] = parsed if isinstance(parsed, list) else [parsed]
    if ids:
        body["decision_ids"] = ids
    try:
        tried = api_client().post(f"/v1/rules/{quoted(rule_id)}/versions/{quoted(number)}/try", body)
    except ApiError as error:
        return _review_page(rule_id, number, error, error.status, values)
    return _review_page(rule_id, number, values=values, tried=tried)


def _form_error(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_input", "The form has a mistake.", {field: [message]})
