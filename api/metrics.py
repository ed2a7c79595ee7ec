"""Prometheus metrics of the service (``/metrics``).

Under gunicorn every worker is its own process: ``targeting serve`` sets
``PROMETHEUS_MULTIPROC_DIR`` so each worker writes its samples there and ``/metrics``
adds them up (gauges report each live worker, labelled by pid).
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

EVALUATIONS = Counter("targeting_evaluations_total", "Passengers evaluated", ["cached"])
EVALUATION_SECONDS = Histogram(
    "targeting_evaluation_request_seconds",
    "Time to answer one evaluation request",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
CACHE_HITS = Counter("targeting_cache_hits_total", "Evaluation results served from the cache")
CACHE_MISSES = Counter("targeting_cache_misses_total", "Evaluation results not in the cache")
CACHE_ERRORS = Counter("targeting_cache_errors_total", "Cache operations that failed", ["operation"])
RULESET_SEQ = Gauge(
    "targeting_ruleset_seq", "Sequence number of the ruleset this process evaluates with", multiprocess_mode="liveall"
)
RULESET_RULES = Gauge("targeting_ruleset_rules", "Active rules in the loaded ruleset", multiprocess_mode="liveall")
RULESET_RELOADS = Counter("targeting_ruleset_reloads_total", "Rulesets loaded", ["outcome"])
ENGINE_FAILURES = Counter("targeting_engine_failures_total", "Evaluations the engine failed")
AUTH_FAILURES = Counter("targeting_auth_failures_total", "Requests refused for a missing or bad key")
RULESET = Gauge(
    "targeting_ruleset_info",
    "1 for the ruleset version this process evaluates with",
    ["version"],
    multiprocess_mode="liveall",
)
ENGINE_RESTARTS = Counter(
    "targeting_engine_worker_restarts_total", "Engine worker processes replaced after a crash or hang"
)
RATE_LIMITED = Counter("targeting_rate_limited_total", "Requests refused by a rate limit", ["limit"])


def exposition() -> bytes:
    """The metrics text: this process's, or every gunicorn worker's when running multiprocess."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


def ruleset_loaded(previous_version: str, version: str, seq: int, rules: int) -> None:
    RULESET_RELOADS.labels("loaded").inc()
    RULESET_SEQ.set(seq)
    RULESET_RULES.set(rules)
    RULESET.labels(previous_version).set(0)
    RULESET.labels(version).set(1)
