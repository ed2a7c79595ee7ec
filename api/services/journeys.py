"""Journey profiles: each agency's contribution to one passenger's journey, kept until after arrival.

One Redis hash per journey, one field per agency: agencies write their own parts without
racing each other, and the whole profile expires on its own (TTL) a configured time
after the flight's arrival. Unlike the evaluation cache, a failing Redis here is an
error (503): a contribution is data an agency expects to be kept.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

import redis

from api.services.interfaces import Unavailable

PREFIX = "tgt:journey:v1:"


def journey_key(flight: str, day: str, issuing_country: str, document_number: str) -> str:
    """``j-`` and 32 hex digits of SHA-256 over ``FLIGHT|YYYY-MM-DD|COUNTRY|NUMBER`` (upper case).

    Every agency computes it from its own copy of the passenger's flight (carrier and
    number, e.g. ``NZ5``), the UTC date of scheduled departure and the travel document, so
    no agency needs another's identifiers, and no document number appears in a URL.
    """
    text = "|".join(part.strip().upper() for part in (flight, day, issuing_country, document_number))
    return "j-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class RedisJourneys:
    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)

    def put(self, key: str, agency: str, contribution: Mapping[str, Any], ttl_seconds: int) -> dict[str, Any]:
        """Store ``agency``'s part and return every agency's part, in one round trip."""
        try:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(PREFIX + key, agency, json.dumps(contribution, sort_keys=True))
                pipe.expire(PREFIX + key, ttl_seconds)
                pipe.hgetall(PREFIX + key)
                _, _, found = pipe.execute()
        except redis.RedisError as exc:
            raise Unavailable("the journey store is unavailable; try again", "journeys_unavailable") from exc
        return {name.decode(): json.loads(value) for name, value in found.items()}

    def get(self, key: str) -> dict[str, Any]:
        try:
            found = self._client.hgetall(PREFIX + key)
        except redis.RedisError as exc:
            raise Unavailable("the journey store is unavailable; try again", "journeys_unavailable") from exc
        return {name.decode(): json.loads(value) for name, value in found.items()}


class MemoryJourneys:
    """The same in one process, for running without Redis."""

    def __init__(self, max_journeys: int = 100_000) -> None:
        self._journeys: dict[str, tuple[float, dict[str, Any]]] = {}
        self._max = max_journeys
        self._lock = threading.Lock()

    def put(self, key: str, agency: str, contribution: Mapping[str, Any], ttl_seconds: int) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            parts = self._live(key, now)
            parts[agency] = json.loads(json.dumps(contribution))
            self._journeys[key] = (now + ttl_seconds, parts)
            if len(self._journeys) > self._max:
                oldest = min(self._journeys, key=lambda name: self._journeys[name][0])
                del self._journeys[oldest]
            return dict(parts)

    def get(self, key: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._live(key, time.monotonic()))

    def _live(self, key: str, now: float) -> dict[str, Any]:
        found = self._journeys.get(key)
        if found is None or found[0] <= now:
            self._journeys.pop(key, None)
            return {}
        return found[1]
