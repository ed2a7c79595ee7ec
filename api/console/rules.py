"""Rules: the list, a rule's page, the editor, transitions and the second officer's review."""

from __future__ import annotations

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
    kept_form,
    quoted,
    refused,
    status_of,
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
    if error is None:
        error, values = kept_form(f"rule-{rule_id}")
        status = status_of(error)
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


def _editor_refused(rule_id: str | None, text: str, reason: str, error: ApiError) -> Any:
    """Back to the editor with the text and where it is wrong; a text too long to keep is answered here."""
    form_id, page = (
        (f"rule-editor-{rule_id}", url_for("console.edit_rule", rule_id=rule_id))
        if rule_id
        else ("rule-editor", url_for("console.new_rule"))
    )
    return refused(form_id, error, {"rule_yaml": text, "reason": reason}, page) or _editor(
        rule_id, text, reason, error, error.status
    )


def _content_path(path: str) -> str:
    # Request validation names paths inside the request body (``rule.when``); the rule's own checks do not.
    return path.removeprefix("rule.") if path.startswith("rule.") else path


def _save_rule(rule_id: str | None) -> Any:
    text = request.form.get("rule_yaml", "")
    reason = request.form.get("reason", "")
    content, problems = ruletext.parse(text)
    if content is None:
        return _editor_refused(
            rule_id, text, reason, ApiError(422, "invalid_yaml", "The text is not a rule.", problems)
        )
    target = f"/v1/rules/{quoted(rule_id)}/versions" if rule_id else "/v1/rules"
    try:
        created = api_client().post(target, {"rule": content, "reason": reason})
    except ApiError as error:
        return _editor_refused(rule_id, text, reason, error)
    flash(f"Saved {created['rule_id']} version {created['number']} as a draft.", "ok")
    return redirect(url_for("console.rule", rule_id=created["rule_id"]), 303)


@bp.route("/rules/new", methods=["GET", "POST"])
def new_rule() -> Any:
    if request.method == "POST":
        return _save_rule(None)
    error, values = kept_form("rule-editor")
    return _editor(None, values.get("rule_yaml", ""), values.get("reason", ""), error, status_of(error))


@bp.route("/rules/<rule_id>/edit", methods=["GET", "POST"])
def edit_rule(rule_id: str) -> Any:
    if request.method == "POST":
        return _save_rule(rule_id)
    error, values = kept_form(f"rule-editor-{rule_id}")
    if "rule_yaml" in values:
        return _editor(rule_id, values["rule_yaml"], values.get("reason", ""), error, status_of(error))
    rule = api_client().get(f"/v1/rules/{quoted(rule_id)}")
    latest = max(rule["versions"], key=lambda v: v["number"])
    return _editor(rule_id, ruletext.dump(latest["content"]), "")


#: The steps taken on a rule's page (approving is the review page's: ``review.approve``).
TRANSITIONS = {"submit": "Submitted", "activate": "Activated"}


@bp.route("/rules/<rule_id>/versions/<int:number>/<action>", methods=["POST"])
def transition(rule_id: str, number: int, action: str) -> Any:
    if action not in TRANSITIONS:
        abort(404)
    reason = request.form.get("reason", "")
    try:
        api_client().post(f"/v1/rules/{quoted(rule_id)}/versions/{quoted(number)}/{quoted(action)}", {"reason": reason})
    except ApiError as error:
        return _rule_refused(rule_id, error, {f"{action}-{number}": reason})
    flash(f"{TRANSITIONS[action]} {rule_id} version {number}.", "ok")
    return redirect(url_for("console.rule", rule_id=rule_id), 303)


def _rule_refused(rule_id: str, error: ApiError, values: Mapping[str, str]) -> Any:
    return refused(f"rule-{rule_id}", error, values, url_for("console.rule", rule_id=rule_id)) or _rule_page(
        rule_id, error, error.status, values
    )


@bp.route("/rules/<rule_id>/retire", methods=["POST"])
def retire(rule_id: str) -> Any:
    reason = request.form.get("reason", "").strip()
    missing = {}
    if not reason:
        missing["reason"] = ["Say why the rule is retired."]
    if request.form.get("confirm") != "yes":
        missing["confirm"] = [f"Tick the box to confirm that {rule_id} stops matching."]
    if missing:
        error = ApiError(422, "invalid_input", "Retiring takes a reason and a confirmation.", missing)
        return _rule_refused(rule_id, error, {"retire": reason})
    try:
        api_client().post(f"/v1/rules/{quoted(rule_id)}/retire", {"reason": reason})
    except ApiError as error:
        return _rule_refused(rule_id, error, {"retire": reason})
    flash(f"Retired {rule_id}.", "ok")
    return redirect(url_for("console.rule", rule_id=rule_id), 303)


@bp.route("/rules/<rule_id>/rollback", methods=["POST"])
def rollback(rule_id: str) -> Any:
    """A new draft with an earlier version's content, after a reason and a confirmation."""
    reason = request.form.get("reason", "").strip()
    chosen = request.form.get("to_version", "")
    values = {"rollback": reason, "rollback_to": chosen}
    missing = {}
    if not chosen.isdigit():
        missing["to_version"] = ["Choose the version to go back to."]
    if not reason:
        missing["reason"] = ["Say why the rule goes back to an earlier version."]
    if request.form.get("confirm") != "yes":
        missing["confirm"] = [f"Tick the box to confirm a new draft of {rule_id} with that version's content."]
    if missing:
        error = ApiError(422, "invalid_input", "Rolling back takes a version, a reason and a confirmation.", missing)
        return _rule_refused(rule_id, error, values)
    try:
        created = api_client().post(
            f"/v1/rules/{quoted(rule_id)}/rollback", {"to_version": int(chosen), "reason": reason}
        )
    except ApiError as error:
        return _rule_refused(rule_id, error, values)
    flash(
        f"Version {created['number']} of {rule_id} is a draft with the content of version {chosen}: "
        "submit it for approval to put it in service.",
        "ok",
    )
    return redirect(url_for("console.rule", rule_id=rule_id), 303)
