"""``/v1/evaluations`` and ``/v1/decisions``: agency systems submit passengers and read decisions."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.common import Conflict, Unprocessable, iso_utc
from api.container import services
from api.contract import answers
from api.evaluations.pipeline import evaluate_passengers, replay
from api.evaluations.schemas import DecisionSchema, EvaluationRequestSchema, EvaluationResponseSchema, ReplaySchema
from api.http.auth import current_actor, requires
from api.sources.summary import journey_view

blp = Blueprint("evaluations", __name__, url_prefix="/v1", description="Evaluate passengers; read decisions")


@blp.route("/evaluations", methods=["POST"])
@requires("system")
@answers("invalid_passenger", "manifest_too_large", "engine_failure")
@blp.arguments(EvaluationRequestSchema)
@blp.response(200, EvaluationResponseSchema)
def evaluate(body: dict[str, Any]) -> dict[str, Any]:
    """Evaluate one passenger or a manifest against every agency's active rules."""
    records = body["passengers"] if "passengers" in body else [body["passenger"]]
    limit = services().settings.max_manifest_size
    if len(records) > limit:
        raise Unprocessable(
            f"at most {limit} passengers per request",
            "manifest_too_large",
            {"passengers": [f"{len(records)} passengers; at most {limit}"]},
        )
    with services().rulesets.use() as loaded:
        return evaluate_passengers(services(), loaded, records, body.get("at"), current_actor())


def _decision_view(decision: Any) -> dict[str, Any]:
    visible, hidden = _shared(decision.matches)
    return {
        "id": decision.id,
        "created_at": iso_utc(decision.created_at),
        "evaluated_at": iso_utc(decision.evaluated_at),
        "ruleset_seq": decision.ruleset_seq,
        "ruleset_version": decision.ruleset_version,
        "agency": decision.agency,
        "submitted_by": decision.submitted_by,
        "passenger_ref": decision.passenger_ref,
        "identity_hash": decision.identity_hash,
        "matches": visible,
        "other_agency_matches": hidden,
        "score": decision.score,
        "cached": decision.cached,
        "record_retained": decision.record is not None,
        "watchlist_version": decision.watchlist_version,
        "journey": journey_view(decision.record, decision.sources),
    }


def _shared(matches: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Matches recorded before decisions held each rule's agency are attributed from the store."""
    missing = {(m["rule_id"], m["version"]) for m in matches if "agency" not in m}
    summaries = services().rule_store.rule_versions_summary(missing) if missing else {}
    attributed = [
        m if "agency" in m else {**m, "agency": summaries.get((m["rule_id"], m["version"]), ("", ""))[0]}
        for m in matches
    ]
    return services().sharing.policy().matches_for(current_actor(), attributed)


@blp.route("/decisions/<decision_id>", methods=["GET"])
@requires("system", "auditor", own_agency=True, auditors_cross_agency=True)
@blp.response(200, DecisionSchema)
def decision(decision_id: str) -> dict[str, Any]:
    """A recorded decision: time, ruleset version, submitting agency, matched rule versions, score."""
    found = services().decision_store.decision(decision_id)
    return _decision_view(found)


@blp.route("/decisions/<decision_id>/replay", methods=["GET"])
@requires("system", "auditor", own_agency=True, auditors_cross_agency=True)
@answers("record_purged", "ruleset_not_found", "invalid_passenger", "engine_failure")
@blp.response(200, ReplaySchema)
def replay_decision(decision_id: str) -> dict[str, Any]:
    """Re-evaluate a decision's passenger against the ruleset version it was made with."""
    found = services().decision_store.decision(decision_id)
    if found.record is None:
        raise Conflict("the passenger record is past its retention period and was purged", "record_purged")
    with services().rulesets.replaying(found.ruleset_seq) as loaded:
        again = replay(loaded, found, services().watchlists.current)
    same = [_comparable(m) for m in again] == [_comparable(m) for m in found.matches]
    recorded, _ = _shared(found.matches)
    replayed, _ = _shared(again)
    return {
        "decision_id": found.id,
        "ruleset_version": found.ruleset_version,
        "recorded": recorded,
        "replayed": replayed,
        "same": same,
    }


def _comparable(match: dict[str, Any]) -> tuple[str, int, int, str]:
    return (match["rule_id"], match["version"], match["weight"], match["action"])
