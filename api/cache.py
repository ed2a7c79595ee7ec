"""Evaluation result caches: Redis, and an in-process one for the embedded default.

Neither raises. When Redis fails the cache logs, counts it, treats the call as a miss,
and stops trying for a few seconds, so a dead Redis costs requests nothing but the cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Protocol

import redis

from api import metrics

log = logging.getLogger(__name__)


class Cache(Protocol):
    """Evaluation results by key. Never raises: a failing cache is a miss."""

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """The value of each key, None where there is none (or the cache is down)."""

    def set_many(self, items: Mapping[str, str], ttl_seconds: int) -> None: ...

    def healthy(self) -> bool: ...

    def describe(self) -> str: ...


class RedisCache:
    RETRY_AFTER_SECONDS = 2.0

    def __init__(self, url: str, key_prefix: str = "") -> None:
        self._prefix = key_prefix
        self._client = redis.Redis.from_url(
            url, socket_connect_timeout=0.25, socket_timeout=0.25, health_check_interval=10
        )
        self._url = url
        self._down_until = 0.0

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, operation: str, exc: Exception) -> None:
        self._down_until = time.monotonic() + self.RETRY_AFTER_SECONDS
        metrics.CACHE_ERRORS.labels(operation).inc()
        log.warning("cache unavailable", extra={"operation": operation, "error": type(exc).__name__})

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys or not self._available():
            return [None] * len(keys)
        try:
            values = self._client.mget([self._prefix + key for key in keys])
        except redis.RedisError as exc:
            self._failed("get", exc)
            return [None] * len(keys)
        return [value.decode() if isinstance(value, bytes) else value for value in values]

    def set_many(self, items: Mapping[str, str], ttl_seconds: int) -> None:
        if not items or not self._available():
            return
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for key, value in items.items():
                    pipe.set(self._prefix + key, value, ex=ttl_seconds)
                pipe.execute()
        except redis.RedisError as exc:
            self._failed("set", exc)

    def healthy(self) -> bool:
        try:
            ok = bool(self._client.ping())
        except redis.RedisError:
            ok = False
        if ok:
            self._down_until = 0.0
        return ok

    def describe(self) -> str:
        return "redis"


class MemoryCache:
    """A bounded in-process cache with expiry, for running without Redis."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        now = time.monotonic()
        found: list[str | None] = []
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is not None and entry[0] <= now:
                    del self._entries[key]
                    entry = None
                if entry is not None:
                    self._entries.move_to_end(key)
                found.append(entry[1] if entry else None)
        return found

    def set_many(self, items: Mapping[str, str], ttl_seconds: int) -> None:
        expires = time.monotonic() + ttl_seconds
        with self._lock:
            for key, value in items.items():
                self._entries[key] = (expires, value)
                self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def healthy(self) -> bool:
        return True

    def describe(self) -> str:
        return "memory"
