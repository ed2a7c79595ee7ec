"""Recording decisions without losing any when the store hiccups.

Decisions are written in one batch per request. If the store is unavailable the batch
waits in a bounded in-memory queue and a background thread retries until it is written,
so evaluation keeps answering on the loaded ruleset through a short store outage.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence

from prometheus_client import Gauge

from api.services.interfaces import DecisionRecord, DecisionStore, Unavailable

log = logging.getLogger(__name__)
PENDING = Gauge(
    "targeting_decisions_pending", "Decisions waiting to be written to the store", multiprocess_mode="liveall"
)


class DecisionRecorder:
    MAX_PENDING = 100_000

    def __init__(self, store: DecisionStore, retry_seconds: float = 1.0) -> None:
        self._store = store
        self._pending: deque[DecisionRecord] = deque()
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one writer of the queue at a time: a batch is written once
        self._wake = threading.Event()
        self._retry_seconds = retry_seconds
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def record(self, decisions: Sequence[DecisionRecord]) -> bool:
        """Write now if possible; otherwise queue. False when the batch had to wait."""
        if not self._pending:
            try:
                self._store.record_decisions(decisions)
                return True
            except Unavailable:
                log.warning("store unavailable; decisions queued", extra={"count": len(decisions)})
        with self._lock:
            if len(self._pending) + len(decisions) > self.MAX_PENDING:
                raise Unavailable(
                    "the store is unavailable and the decision queue is full; try again", "store_unavailable"
                )
            self._pending.extend(decisions)
            PENDING.set(len(self._pending))
        self._start()
        self._wake.set()
        return False

    def flush(self) -> bool:
        """Write queued decisions; True when none are left."""
        with self._flushing:
            with self._lock:
                batch = list(self._pending)
            if not batch:
                return True
            try:
                self._store.record_decisions(batch)
            except Unavailable:
                return False
            with self._lock:
                for _ in batch:
                    self._pending.popleft()
                PENDING.set(len(self._pending))
            return not self._pending

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="decision-retry", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._retry_seconds)
            self._wake.clear()
            if self._pending and not self.flush():
                self._wake.wait(self._retry_seconds)
