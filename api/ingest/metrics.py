"""Prometheus metrics of the ingest worker, served on its own port (``targeting ingest --metrics-port``).

Kept apart from ``api.metrics`` so that the HTTP service's ``/metrics`` does not show an ingest
queue it does not consume.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter(
    "targeting_ingest_messages_total",
    "Messages taken by the ingest worker, by outcome (evaluated, duplicate, dead_lettered)",
    ["outcome"],
)
TRAVELLERS = Counter("targeting_ingest_travellers_total", "Travellers evaluated and committed from ingested messages")
QUEUE_DEPTH = Gauge(
    "targeting_ingest_queue_depth",
    "Messages waiting (ready, not yet taken by a worker) in a queue or watched folder, sampled every few seconds",
    ["queue"],
)
QUEUE_CONSUMERS = Gauge(
    "targeting_ingest_queue_consumers", "Workers consuming a queue, sampled with its depth", ["queue"]
)
LAG = Gauge(
    "targeting_ingest_lag_seconds",
    "Age of the last message taken: now minus its AMQP timestamp (or its file's modification time)",
)
MESSAGE_SECONDS = Histogram(
    "targeting_ingest_message_seconds",
    "Time to read, evaluate and commit one message",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
