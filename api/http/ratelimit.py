"""Rate limits: requests per API key (``RATE_LIMIT``), failed authentications per client address
(``AUTH_FAILURE_LIMIT``), with flask-limiter.

Only ``/v1`` is limited. Health, readiness and metrics stay reachable for load balancers and
monitoring however busy a client is, and the console reaches data only through ``/v1`` calls
made with the signed-in key, so its users are limited as that key.

The counters live in the cache's Redis when ``REDIS_URL`` is set, so every worker and host
shares them; otherwise in this process. A Redis outage must not turn into refused or failed
requests: the limiter then counts in this process until Redis answers again.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Any

from flask import Flask, jsonify, request
from flask.wrappers import Response
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from limits import parse_many

from api import metrics
from api.config import Settings
from api.http.auth import _presented_key
from api.http.errors import error_body

log = logging.getLogger(__name__)

#: Scopes of the two limits, as they appear in the limiter's storage keys and in the metric's label.
KEY_SCOPE = "api-key"
AUTH_FAILURE_SCOPE = "auth-failures"


def _address() -> str:
    return request.remote_addr or "unknown"


def _per_key() -> str:
    presented = _presented_key()
    if not presented:
        return f"address:{_address()}"
    # The bucket is named by a digest of the whole presented key, never the key itself (the limiter's
    # storage is no place for secrets), and not by its id part: a wrong secret sent with someone's key
    # id fills its own bucket and the per-address failure limit, not that key's allowance.
    return "key:" + hashlib.sha256(presented.encode()).hexdigest()[:32]


def _per_address() -> str:
    return f"address:{_address()}"


def _refused_authentication(response: Response) -> bool:
    return response.status_code == 401


def _not_api() -> bool:
    return not request.path.startswith("/v1/")


def _storage_options(settings: Settings) -> dict[str, Any]:
    if not settings.redis_url:
        return {}
    # Short timeouts like the cache's: a Redis that hangs must not hang requests.
    options: dict[str, Any] = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
    if settings.redis_key_prefix:
        options["key_prefix"] = settings.redis_key_prefix + "LIMITS"  # the limits library's own prefix
    return options


def register(app: Flask, settings: Settings) -> Limiter:
    """Limit ``/v1`` requests of ``app`` per ``settings``; a limited request is a 429 in the error shape."""
    for name in ("rate_limit", "auth_failure_limit"):
        try:
            parse_many(getattr(settings, name))
        except ValueError as exc:
            # Refuse to start rather than find out on the first request.
            raise ValueError(f"{name.upper()}: {exc}") from exc
    limiter = Limiter(
        _per_key,
        app=app,
        application_limits=[
            ApplicationLimit(
                settings.rate_limit, key_function=_per_key, scope=KEY_SCOPE, error_message="too many requests"
            ),
            # Checked before the key is even looked at, and counted only when the key was refused: an
            # address that keeps presenting bad keys is refused outright, so guessing gains nothing and
            # costs neither argon2 time nor an audit entry per guess.
            ApplicationLimit(
                settings.auth_failure_limit,
                key_function=_per_address,
                scope=AUTH_FAILURE_SCOPE,
                deduct_when=_refused_authentication,
                error_message="too many failed authentications from this address",
            ),
        ],
        storage_uri=settings.redis_url or "memory://",
        storage_options=_storage_options(settings),
        strategy="fixed-window",
        key_prefix="targeting",
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        headers_enabled=False,
    )
    limiter.request_filter(_not_api)

    @app.errorhandler(RateLimitExceeded)
    def _limited(error: RateLimitExceeded) -> Any:
        scope = str(error.limit.scope)
        metrics.RATE_LIMITED.labels(scope).inc()
        retry_after = _retry_after(limiter, error)
        log.warning("rate limited", extra={"limit": scope, "retry_after": retry_after})
        message = f"{error.description} (limit {error.limit.limit}); retry after {retry_after} s"
        return jsonify(error_body("rate_limited", message)), 429, {"Retry-After": str(retry_after)}

    return limiter


def _retry_after(limiter: Limiter, error: RateLimitExceeded) -> int:
    """Whole seconds until the breached limit's window resets (at least 1)."""
    try:
        current = limiter.current_limit
        if current is not None and current.breached:
            return max(1, math.ceil(current.window[0] - time.time()))
    except Exception:  # the storage just failed: the window's length is a safe answer
        log.warning("rate limit window unavailable")
    return max(1, int(error.limit.limit.get_expiry()))
