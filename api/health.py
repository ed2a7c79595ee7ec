"""Health, readiness and metrics: for load balancers and monitoring, reachable without a key."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from prometheus_client import CONTENT_TYPE_LATEST

from api import metrics
from api.container import services
from api.http.auth import public

blp = Blueprint("health", __name__, description="Health, readiness and metrics")
#: Reachable without a key (the API's default is the ApiKey scheme).
NO_KEY: dict[str, Any] = {"security": []}


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


class LoadedRulesetSchema(Schema):
    seq = fields.Integer(required=True)
    version = fields.String(required=True)
    rules = fields.Integer(required=True)


class ReadinessSchema(Schema):
    status = fields.String(required=True, metadata={"description": "ready, degraded or unavailable"})
    store = fields.String(required=True, metadata={"description": "ok or unavailable"})
    cache = fields.String(required=True, metadata={"description": "the cache and whether it answers"})
    ruleset = fields.Nested(LoadedRulesetSchema, required=True)
    decisions_pending = fields.Integer(required=True)


@blp.route("/healthz", methods=["GET"])
@public
@blp.response(200, HealthSchema)
@blp.doc(**NO_KEY)
def healthz() -> dict[str, Any]:
    """The process is up."""
    return {"status": "ok"}


@blp.route("/readyz", methods=["GET"])
@public
@blp.response(200, ReadinessSchema)
@blp.alt_response(503, schema=ReadinessSchema, description="Neither the store nor a loaded ruleset")
@blp.doc(**NO_KEY)
def readyz() -> tuple[dict[str, Any], int]:
    """Store, cache and loaded ruleset. ``degraded`` still evaluates (uncached, or on the loaded ruleset)."""
    found = services()
    store_ok = found.rule_store.ping()
    cache_ok = found.cache.healthy()
    loaded = found.rulesets.current
    status = "ready" if store_ok and cache_ok else "degraded"
    if not store_ok and loaded.seq == 0:
        status = "unavailable"
    body = {
        "status": status,
        "store": "ok" if store_ok else "unavailable",
        "cache": f"{found.cache.describe()}: {'ok' if cache_ok else 'unavailable'}",
        "ruleset": {"seq": loaded.seq, "version": loaded.version, "rules": len(loaded.rule_versions)},
        "decisions_pending": found.decisions.pending,
    }
    return body, 503 if status == "unavailable" else 200


#: A few lines of the exposition, for the document: the recorded examples cannot hold a live one.
METRICS_EXAMPLE = (
    "# HELP targeting_evaluations_total Passengers evaluated\n"
    "# TYPE targeting_evaluations_total counter\n"
    'targeting_evaluations_total{cached="false"} 42.0\n'
)


@blp.route("/metrics", methods=["GET"])
@public
@blp.doc(
    responses={
        "200": {
            "description": "OK",
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}, "example": METRICS_EXAMPLE}},
        }
    },
    **NO_KEY,
)
def prometheus_metrics() -> Response:
    """Prometheus metrics of this process."""
    # content_type, not mimetype: the exposition type already names its charset, and Flask would add another.
    return Response(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
