"""Prometheus metrics of the service (``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, Info

EVALUATIONS = Counter("targeting_evaluations_total", "Passengers evaluated", ["cached"])
EVALUATION_REQUESTS = Counter("targeting_evaluation_requests_total", "Evaluation requests", ["outcome"])
EVALUATION_SECONDS = Histogram(
    "targeting_evaluation_request_seconds",
    "Time to answer one evaluation request",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
CACHE_HITS = Counter("targeting_cache_hits_total", "Evaluation results served from the cache")
CACHE_MISSES = Counter("targeting_cache_misses_total", "Evaluation results not in the cache")
CACHE_ERRORS = Counter("targeting_cache_errors_total", "Cache operations that failed", ["operation"])
RULESET_SEQ = Gauge("targeting_ruleset_seq", "Sequence number of the ruleset this process evaluates with")
RULESET_RULES = Gauge("targeting_ruleset_rules", "Active rules in the loaded ruleset")
RULESET_RELOADS = Counter("targeting_ruleset_reloads_total", "Rulesets loaded", ["outcome"])
ENGINE_FAILURES = Counter("targeting_engine_failures_total", "Evaluations the engine failed")
AUTH_FAILURES = Counter("targeting_auth_failures_total", "Requests refused for a missing or bad key")
RULESET = Info("targeting_ruleset", "The ruleset this process evaluates with")
ENGINE_RESTARTS = Counter(
    "targeting_engine_worker_restarts_total", "Engine worker processes replaced after a crash or hang"
)
