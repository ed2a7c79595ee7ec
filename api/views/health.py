"""Health, readiness and metrics: for load balancers and monitoring, reachable without a key."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint
from prometheus_client import CONTENT_TYPE_LATEST

from api import metrics
from api.auth import public
from api.services.container import services

blp = Blueprint("health", __name__, description="Health, readiness and metrics")


@blp.route("/healthz", methods=["GET"])
@public
def healthz() -> dict[str, Any]:
    """The process is up."""
    return {"status": "ok"}


@blp.route("/readyz", methods=["GET"])
@public
def readyz() -> tuple[dict[str, Any], int]:
    """Store, cache and loaded ruleset. ``degraded`` still evaluates (uncached, or on the loaded ruleset)."""
    found = services()
    store_ok = found.store.ping()
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


@blp.route("/metrics", methods=["GET"])
@public
def prometheus_metrics() -> Response:
    """Prometheus metrics of this process."""
    return Response(metrics.exposition(), mimetype=CONTENT_TYPE_LATEST)
