"""Rate limits: per API key across every /v1 endpoint, failed authentications per client address.

Each test runs against the real Redis of the suite (counters shared by every app on it) and,
for the settings without Redis, against the in-process counters.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace

import pytest
import redis

from api import create_app
from tests.api.conftest import REDIS_KEY_PREFIX, ApiClient

OTHER_ADDRESS = "192.0.2.7"  # TEST-NET-1: only ever a WSGI environ value here


def _client(services, backend, **limits):
    app = create_app(replace(services.settings, **limits), services=services)
    return ApiClient(app.test_client(), backend.keys)


def _failures(services):
    return [e for e in services.audit.entries(limit=1000) if e.action == "auth.failed"]


def test_a_key_past_its_limit_gets_429_in_the_error_shape_with_retry_after(services, backend):
    api = _client(services, backend, rate_limit="3/minute")
    # The allowance is the key's across endpoints, not per endpoint.
    assert api.get("/v1/rulesets/current", "customs_officer").status_code == 200
    assert api.get("/v1/rules", "customs_officer").status_code == 200
    assert api.get("/v1/rulesets/current", "customs_officer").status_code == 200

    refused = api.get("/v1/rules", "customs_officer")
    assert refused.status_code == 429
    assert set(refused.json) == {"code", "message", "errors"}
    assert refused.json["code"] == "rate_limited"
    assert refused.json["errors"] == {}
    assert "3 per 1 minute" in refused.json["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # A write is refused before its body is looked at, like any other request.
    assert api.post("/v1/rules", "customs_officer", json={}).status_code == 429


def test_the_limit_is_per_key(services, backend):
    api = _client(services, backend, rate_limit="2/minute")
    for _ in range(2):
        assert api.get("/v1/rulesets/current", "customs_system").status_code == 200
    assert api.get("/v1/rulesets/current", "customs_system").status_code == 429
    assert api.get("/v1/rulesets/current", "mpi_system").status_code == 200
    assert api.get("/v1/rulesets/current", "auditor").status_code == 200
    # The same key from another address is still the same key.
    other = api.get("/v1/rulesets/current", "customs_system", environ_base={"REMOTE_ADDR": OTHER_ADDRESS})
    assert other.status_code == 429


def test_every_process_on_the_same_redis_shares_the_count(services, backend, suite_redis):
    first = _client(services, backend, rate_limit="4/minute")
    second = _client(services, backend, rate_limit="4/minute")
    for api in (first, second, first, second):
        assert api.get("/v1/rulesets/current", "customs_system").status_code == 200
    assert second.get("/v1/rulesets/current", "customs_system").status_code == 429
    assert first.get("/v1/rulesets/current", "customs_system").status_code == 429


def test_the_limiter_keeps_no_secret_in_redis(services, backend, suite_redis):
    api = _client(services, backend, rate_limit="5/minute")
    api.get("/v1/rulesets/current", "customs_system")
    api.get("/v1/rules", headers={"X-API-Key": "tgt_kcustomssystem_guessedsecret"})
    stored = [
        key.decode() for key in redis.Redis.from_url(suite_redis).scan_iter(match=f"{REDIS_KEY_PREFIX}*targeting*")
    ]
    assert stored  # the counters are in the shared Redis (under the run's prefix), not in this process
    secret = backend.keys["customs_system"].split("_", 2)[2]
    assert not [key for key in stored if secret in key or "guessedsecret" in key]


def test_without_redis_the_limit_is_counted_in_process(services, backend):
    api = _client(services, backend, redis_url="", rate_limit="2/minute")
    assert [api.get("/v1/rulesets/current", "customs_system").status_code for _ in range(3)] == [200, 200, 429]


def test_failed_authentication_is_limited_per_address_and_each_failure_audited(services, backend):
    api = _client(services, backend, auth_failure_limit="3/minute")
    # Successful requests do not count towards the failure limit.
    for _ in range(5):
        assert api.get("/v1/rulesets/current", "customs_system").status_code == 200

    refused = [
        api.get("/v1/rules", headers={"X-API-Key": "tgt_kcustomsofficer_notthesecret"}),
        api.get("/v1/rules"),
        api.get("/v1/rules", headers={"X-API-Key": "tgt_nounderscoresecretvalue"}),
    ]
    assert [r.status_code for r in refused] == [401, 401, 401]
    failures = _failures(services)
    assert [(e.object_id, e.detail["address"]) for e in failures] == [
        ("kcustomsofficer", "127.0.0.1"),
        ("none", "127.0.0.1"),
        ("malformed", "127.0.0.1"),
    ]
    assert [e.detail["reason"] for e in failures] == [
        "invalid, revoked or expired key",
        "no API key presented",
        "invalid, revoked or expired key",
    ]
    recorded = json.dumps([dataclasses.asdict(e) for e in failures], default=str)
    assert "notthesecret" not in recorded and "nounderscoresecretvalue" not in recorded

    # The address is now refused before its key is looked at: a right key gains nothing and costs no audit entry.
    for headers in ({"X-API-Key": "tgt_kcustomsofficer_another"}, {"X-API-Key": backend.keys["customs_system"]}):
        limited = api.get("/v1/rulesets/current", headers=headers)
        assert limited.status_code == 429
        assert limited.json["code"] == "rate_limited"
        assert "failed authentications" in limited.json["message"]
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert len(_failures(services)) == 3

    # Another address is unaffected, and its failures are its own.
    elsewhere = {"REMOTE_ADDR": OTHER_ADDRESS}
    assert api.get("/v1/rulesets/current", "customs_system", environ_base=elsewhere).status_code == 200
    assert api.get("/v1/rules", environ_base=elsewhere).status_code == 401
    assert _failures(services)[-1].detail["address"] == OTHER_ADDRESS


def test_health_and_metrics_are_never_limited(services, backend):
    api = _client(services, backend, rate_limit="1/minute", auth_failure_limit="1/minute")
    assert api.get("/v1/rules").status_code == 401
    assert api.get("/v1/rules").status_code == 429
    for _ in range(5):
        for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
            assert api.get(path).status_code == 200, path
    # Both limits are one a minute: the second keyless request is over the per-key (here per-address) one.
    assert 'targeting_rate_limited_total{limit="api-key"}' in api.get("/metrics").text


def test_a_malformed_limit_is_refused_at_start(services):
    with pytest.raises(ValueError, match="RATE_LIMIT"):
        create_app(replace(services.settings, rate_limit="lots"), services=services)


def test_behind_a_trusted_proxy_the_forwarded_client_is_limited_and_audited(services, backend):
    api = _client(services, backend, auth_failure_limit="1/minute", trusted_proxies=1)
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    first = {"X-Forwarded-For": OTHER_ADDRESS}
    assert api.get("/v1/rules", headers=first, environ_base=proxy).status_code == 401
    assert _failures(services)[-1].detail["address"] == OTHER_ADDRESS
    assert api.get("/v1/rules", headers=first, environ_base=proxy).status_code == 429
    # Another client behind the same proxy is not refused for the first one's failures.
    second = {"X-Forwarded-For": "198.51.100.9", "X-API-Key": backend.keys["customs_system"]}
    assert api.get("/v1/rulesets/current", headers=second, environ_base=proxy).status_code == 200


def test_without_trusted_proxies_a_forwarded_address_is_ignored(services, backend):
    api = _client(services, backend, auth_failure_limit="1/minute")
    # A client cannot escape its limit by claiming another address.
    assert api.get("/v1/rules", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 401
    assert _failures(services)[-1].detail["address"] == "127.0.0.1"
    assert api.get("/v1/rules", headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 429


def test_every_api_operation_documents_401_and_429_with_retry_after(services, backend):
    spec = _client(services, backend).get("/openapi.json").json
    operations = {
        (path, method): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }
    for (path, method), operation in operations.items():
        documented = set(operation["responses"])
        if path.startswith("/v1/"):
            assert {"401", "429"} <= documented, (method, path)
            limited = operation["responses"]["429"]
            assert limited["content"]["application/json"]["schema"]["properties"]["code"]["enum"] == ["rate_limited"]
            assert "Retry-After" in limited["headers"]
        else:  # health, readiness and metrics are neither keyed nor limited
            assert not {"401", "429"} & documented, (method, path)
