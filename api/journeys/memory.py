"""Journey profiles in memory, for running the API without Redis or a database: each agency's part
of a journey, the whole journey expiring a set time after its newest part, as ``RedisJourneys``."""

from __future__ import annotations

import heapq
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Journey:
    expires_at: float
    # Each part as JSON text: what is kept is what Redis or SQL would keep (tuples become lists,
    # keys become text), and every read hands out a new copy no caller can change the store through.
    parts: dict[str, str] = field(default_factory=dict)


class MemoryJourneys:
    """Implements ``JourneyStore``. ``clock`` gives seconds (``time.monotonic``; a test may pass its own)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._journeys: dict[str, _Journey] = {}
        # (expires_at, key) for each expiry a journey was given; one it has since outlived is
        # skipped when it comes up, so dropping the expired ones costs no scan of them all.
        self._expiries: list[tuple[float, str]] = []

    def put(self, key: str, agency: str, contribution: Mapping[str, Any], ttl_seconds: int) -> dict[str, Any]:
        """Store ``agency``'s part and return every agency's part; the journey now expires in ``ttl_seconds``."""
        text = json.dumps(contribution)  # before anything changes: it fails on what JSON cannot hold
        with self._lock:
            now = self._clock()
            self._drop_expired(now)
            journey = self._journeys.setdefault(key, _Journey(now))
            journey.parts[agency] = text
            journey.expires_at = now + ttl_seconds
            heapq.heappush(self._expiries, (journey.expires_at, key))
            return self._parts(key, now)

    def get(self, key: str) -> dict[str, Any]:
        with self._lock:
            return self._parts(key, self._clock())

    def _parts(self, key: str, now: float) -> dict[str, Any]:
        journey = self._journeys.get(key)
        if journey is None or journey.expires_at <= now:
            return {}
        # By agency, the order SQLite reads them in (by the table's key).
        return {agency: json.loads(journey.parts[agency]) for agency in sorted(journey.parts)}

    def _drop_expired(self, now: float) -> None:
        while self._expiries and self._expiries[0][0] <= now:
            expires_at, key = heapq.heappop(self._expiries)
            journey = self._journeys.get(key)
            if journey is not None and journey.expires_at == expires_at:
                del self._journeys[key]
