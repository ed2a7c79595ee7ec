"""``/v1/rules``: targeting officers author rules; approvers approve; auditors read history."""

from __future__ import annotations

import difflib
from typing import Any

import yaml
from flask_smorest import Blueprint

from api.common import Unprocessable
from api.container import services
from api.contract import answers
from api.hits.interface import RuleStats
from api.http.auth import current_actor, requires
from api.http.conditional import conditional, tag_of_document, tag_of_version
from api.rules.backtest import backtest, try_version
from api.rules.interface import Rule, RuleVersion
from api.rules.schemas import (
    ActivationSchema,
    ApprovalQueueSchema,
    BacktestRequestSchema,
    BacktestSchema,
    DiffQuerySchema,
    DiffSchema,
    ReasonOnlySchema,
    RollbackSchema,
    RuleCreateSchema,
    RuleListQuerySchema,
    RuleListSchema,
    RuleSchema,
    RulesetSchema,
    RuleStatsSchema,
    RuleVersionSchema,
    TryRequestSchema,
    TrySchema,
    WindowQuerySchema,
)

blp = Blueprint("rules", __name__, url_prefix="/v1", description="Author, approve, activate and review rules")

AUTHORS = ("officer",)
READERS = ("officer", "approver", "auditor")


def _current_tag(rule_id: str, number: int | None = None, **_: Any) -> str:
    """The ETag the rule (or its version ``number``) has now (``api.http.conditional``)."""
    store = services().rule_store
    if number is None:
        return tag_of_document(store.rule(rule_id).versions)
    return tag_of_version(store.version(rule_id, number))


@blp.route("/rules", methods=["GET"])
@requires(*READERS)
@blp.arguments(RuleListQuerySchema, location="query")
@blp.response(200, RuleListSchema)
def list_rules(query: dict[str, Any]) -> dict[str, Any]:
    """Rules of the caller's agency (auditors: every agency, or the one asked for)."""
    actor = current_actor()
    agency = query.get("agency") if "auditor" in actor.roles else actor.agency
    return {"rules": services().rule_store.rules(agency)}


@blp.route("/approvals", methods=["GET"])
@requires(*READERS)
@blp.response(200, ApprovalQueueSchema)
def approvals() -> dict[str, Any]:
    """Rule versions of the caller's agency (auditors: every agency's) submitted and awaiting a second
    officer's approval, oldest submission first; ``may_approve`` is false for the caller's own changes."""
    actor = current_actor()
    agency = None if "auditor" in actor.roles else actor.agency
    waiting = [
        {
            "rule_id": rule.id,
            "number": version.number,
            "title": version.content.get("title"),
            "agency": rule.agency,
            "in_service": rule.active_version,
            "reason": version.lifecycle.reason,
            "author": version.lifecycle.author,
            "created_at": version.lifecycle.created_at,
            "submitted_by": version.lifecycle.submitted_by,
            "submitted_at": version.lifecycle.submitted_at,
            # The lifecycle refuses an author's own approval (self_approval): not offered, though the call decides.
            "may_approve": "approver" in actor.roles and version.lifecycle.author != actor.name,
        }
        for rule in services().rule_store.rules(agency)
        for version in rule.versions
        if version.status == "submitted"
    ]
    waiting.sort(key=lambda item: (item["submitted_at"] or item["created_at"], item["rule_id"], item["number"]))
    return {"versions": waiting}


@blp.route("/rules", methods=["POST"])
@requires(*AUTHORS, own_agency=True)
@answers("invalid_agency", "invalid_rule", "rule_exists")
@blp.arguments(RuleCreateSchema)
@blp.response(201, RuleVersionSchema)
def create_rule(body: dict[str, Any]) -> RuleVersion:
    """Create a rule in the caller's agency; its first version is a draft."""
    actor = current_actor()
    if actor.agency not in ("customs", "mpi", "immigration"):
        raise Unprocessable("rules belong to an agency; this key has none", "invalid_agency")
    return services().rule_store.create_rule(actor.agency, body["rule"], body["reason"], actor)


@blp.route("/rules/<rule_id>", methods=["GET"])
@requires(*READERS, own_agency=True, auditors_cross_agency=True)
@conditional(_current_tag)
@blp.response(200, RuleSchema)
def get_rule(rule_id: str) -> Rule:
    """A rule with every version."""
    return services().rule_store.rule(rule_id)


@blp.route("/rules/<rule_id>/history", methods=["GET"])
@requires(*READERS, own_agency=True, auditors_cross_agency=True)
@conditional(_current_tag)
@blp.response(200, RuleSchema)
def rule_history(rule_id: str) -> Rule:
    """Every version: who authored, submitted, approved, activated and retired it, and when."""
    return services().rule_store.rule(rule_id)


@blp.route("/rules/<rule_id>/versions", methods=["POST"])
@requires(*AUTHORS, own_agency=True)
@answers("invalid_rule", "precondition_failed")
@conditional(_current_tag)
@blp.arguments(RuleCreateSchema)
@blp.response(201, RuleVersionSchema)
def add_version(body: dict[str, Any], rule_id: str) -> RuleVersion:
    """Change a rule: a new draft version (versions are never edited)."""
    return services().rule_store.add_version(rule_id, body["rule"], body["reason"], current_actor())


@blp.route("/rules/<rule_id>/versions/<int:number>", methods=["GET"])
@requires(*READERS, own_agency=True, auditors_cross_agency=True)
@answers("version_not_found")
@conditional(_current_tag)
@blp.response(200, RuleVersionSchema)
def get_version(rule_id: str, number: int) -> RuleVersion:
    """One version of a rule."""
    return services().rule_store.version(rule_id, number)


@blp.route("/rules/<rule_id>/diff", methods=["GET"])
@requires(*READERS, own_agency=True, auditors_cross_agency=True)
@answers("version_not_found")
@blp.arguments(DiffQuerySchema, location="query")
@blp.response(200, DiffSchema)
def diff(query: dict[str, Any], rule_id: str) -> dict[str, Any]:
    """The difference between two versions of a rule (unified diff of their YAML)."""
    old = services().rule_store.version(rule_id, query["from_version"]).content
    new = services().rule_store.version(rule_id, query["to_version"]).content
    old_text = yaml.safe_dump(old, sort_keys=False, allow_unicode=True).splitlines(keepends=True)
    new_text = yaml.safe_dump(new, sort_keys=False, allow_unicode=True).splitlines(keepends=True)
    changed = sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))
    text = "".join(
        difflib.unified_diff(
            old_text, new_text, f"{rule_id}@{query['from_version']}", f"{rule_id}@{query['to_version']}"
        )
    )
    return {
        "rule_id": rule_id,
        "from_version": query["from_version"],
        "to_version": query["to_version"],
        "changed": changed,
        "diff": text,
    }


def _transition(rule_id: str, number: int, action: str, reason: str) -> RuleVersion:
    return services().rule_store.transition(rule_id, number, action, current_actor(), reason)


@blp.route("/rules/<rule_id>/versions/<int:number>/submit", methods=["POST"])
@requires(*AUTHORS, own_agency=True)
@answers("version_not_found", "invalid_transition", "precondition_failed")
@conditional(_current_tag)
@blp.arguments(ReasonOnlySchema)
@blp.response(200, RuleVersionSchema)
def submit(body: dict[str, Any], rule_id: str, number: int) -> RuleVersion:
    """Submit a draft version for approval."""
    return _transition(rule_id, number, "submit", body["reason"])


@blp.route("/rules/<rule_id>/versions/<int:number>/approve", methods=["POST"])
@requires("approver", own_agency=True)
@answers("version_not_found", "invalid_transition", "self_approval", "precondition_failed")
@conditional(_current_tag)
@blp.arguments(ReasonOnlySchema)
@blp.response(200, RuleVersionSchema)
def approve(body: dict[str, Any], rule_id: str, number: int) -> RuleVersion:
    """Approve a submitted version. The author cannot approve their own change."""
    return _transition(rule_id, number, "approve", body["reason"])


@blp.route("/rules/<rule_id>/versions/<int:number>/activate", methods=["POST"])
@requires("officer", "approver", own_agency=True)
@answers("version_not_found", "invalid_transition", "no_review_date", "ruleset_invalid", "precondition_failed")
@conditional(_current_tag)
@blp.arguments(ReasonOnlySchema)
@blp.response(200, ActivationSchema)
def activate(body: dict[str, Any], rule_id: str, number: int) -> dict[str, Any]:
    """Make an approved version live: a new ruleset version, loaded by every process within a second."""
    version = _transition(rule_id, number, "activate", body["reason"])
    services().rulesets.refresh()
    latest = services().rule_store.latest_ruleset()
    return {
        "version": version,
        "ruleset_version": latest.version if latest else "",
        "ruleset_seq": latest.seq if latest else 0,
    }


@blp.route("/rules/<rule_id>/retire", methods=["POST"])
@requires("officer", "approver", own_agency=True)
@answers("invalid_transition", "ruleset_invalid", "precondition_failed")
@conditional(_current_tag)
@blp.arguments(ReasonOnlySchema)
@blp.response(200, RuleSchema)
def retire(body: dict[str, Any], rule_id: str) -> Rule:
    """Take a rule out of service (a new ruleset version)."""
    result = services().rule_store.retire(rule_id, body["reason"], current_actor())
    services().rulesets.refresh()
    return result


@blp.route("/rules/<rule_id>/rollback", methods=["POST"])
@requires(*AUTHORS, own_agency=True)
@answers("version_not_found", "invalid_rule", "precondition_failed")
@conditional(_current_tag)
@blp.arguments(RollbackSchema)
@blp.response(201, RuleVersionSchema)
def rollback(body: dict[str, Any], rule_id: str) -> RuleVersion:
    """A new draft version with the content of an earlier one."""
    return services().rule_store.rollback(rule_id, body["to_version"], body["reason"], current_actor())


@blp.route("/rulesets/current", methods=["GET"])
@requires("officer", "approver", "system", "auditor", "admin")
@blp.response(200, RulesetSchema)
def current_ruleset() -> dict[str, Any]:
    """The ruleset this process evaluates with."""
    loaded = services().rulesets.current
    return {
        "seq": loaded.seq,
        "version": loaded.version,
        "rules": len(loaded.rule_versions),
        "rule_versions": [[rule, number] for rule, number in sorted(loaded.rule_versions.items())],
    }


@blp.route("/rules/<rule_id>/stats", methods=["GET"])
@requires(*READERS, own_agency=True, auditors_cross_agency=True)
@blp.arguments(WindowQuerySchema, location="query")
@blp.response(200, RuleStatsSchema)
def rule_stats(query: dict[str, Any], rule_id: str) -> RuleStats:
    """Hits, dispositions and precision (offence_found over reviewed) per version; flights where it ran away."""
    settings = services().settings
    return services().hits.rule_stats(
        rule_id, query.get("since"), query.get("until"), settings.runaway_share, settings.runaway_min_passengers
    )


@blp.route("/rules/<rule_id>/versions/<int:number>/backtest", methods=["POST"])
@requires("officer", "approver", own_agency=True)
@answers("version_not_found", "invalid_window", "invalid_rule", "engine_failure")
@blp.arguments(BacktestRequestSchema)
@blp.response(200, BacktestSchema)
def backtest_version(body: dict[str, Any], rule_id: str, number: int) -> dict[str, Any]:
    """How many passengers evaluated in the window (still within retention) this version would match, per flight.

    Nothing is recorded: no decision, no hit. Approvers run it before approving.
    """
    return backtest(services(), rule_id, number, body.get("since"), body.get("until"), body.get("at"))


@blp.route("/rules/<rule_id>/versions/<int:number>/try", methods=["POST"])
@requires("officer", "approver", own_agency=True)
@answers("version_not_found", "decision_not_found", "invalid_rule", "invalid_passenger", "engine_failure")
@blp.arguments(TryRequestSchema)
@blp.response(200, TrySchema)
def try_version_on_passengers(body: dict[str, Any], rule_id: str, number: int) -> dict[str, Any]:
    """Whether this version matches each sample passenger, and why; nothing is recorded.

    Samples are given whole (``passengers``) or as decisions of the caller's agency still within
    retention (``decision_ids``). A draft is tried the way it would run once active.
    """
    passengers = [submitted.record for submitted in body.get("passengers", [])]
    return try_version(
        services(), rule_id, number, current_actor(), passengers, body.get("decision_ids", []), body.get("at")
    )
