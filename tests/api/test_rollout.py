"""Two gunicorn workers under continuous evaluation load: an activation reaches every worker
within one second and no request fails (acceptance point 4 of the service issue)."""

from __future__ import annotations

import http.client
import json
import os
import threading
import time

import pytest

from testing.live import call, gunicorn
from tests.api.conftest import REDIS_KEY_PREFIX, REDIS_URL, _reset, passenger, rule


def _request(port: int, method: str, path: str, key: str, body: object) -> tuple[int, dict, dict]:
    status, raw, headers, _ = call(port, method, path, key, body, timeout=10)
    return status, json.loads(raw or b"{}"), headers


def test_activation_reaches_every_worker_within_a_second_without_failures(backend, services, tmp_path):
    if backend.name != "postgresql":
        pytest.skip("the rollout test runs against PostgreSQL, the production store")
    _reset(services.engine)
    env = {
        **os.environ,
        "DATABASE_URL": backend.url,
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": REDIS_KEY_PREFIX,
        "IDENTITY_HASH_KEY": "rollout-test",
        "INSTANCE_PATH": str(tmp_path),
        "LOG_LEVEL": "WARNING",
        # Four clients flat out on one key are far past its production allowance; this test is about rollout.
        "RATE_LIMIT": "1000000/minute",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    keys = backend.keys
    with gunicorn(env, 2, start_seconds=30) as (_, port):
        created = _request(port, "POST", "/v1/rules", keys["customs_officer"], {"rule": rule(), "reason": "r"})
        assert created[0] == 201, created
        assert _request(port, "POST", "/v1/rules/CUS-0500/versions/1/submit", keys["customs_officer"], {})[0] == 200
        assert _request(port, "POST", "/v1/rules/CUS-0500/versions/1/approve", keys["customs_approver"], {})[0] == 200

        observations: list[tuple[float, float, int, str, str]] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                sent = time.monotonic()
                try:
                    status, _, headers = _request(
                        port, "POST", "/v1/evaluations", keys["customs_system"], {"passenger": passenger()}
                    )
                    observations.append(
                        (
                            sent,
                            time.monotonic(),
                            status,
                            headers.get("X-Served-By", ""),
                            headers.get("X-Ruleset-Version", ""),
                        )
                    )
                except OSError as exc:
                    observations.append((sent, time.monotonic(), 0, "", repr(exc)))

        clients = [threading.Thread(target=load) for _ in range(4)]
        for client in clients:
            client.start()
        time.sleep(1.5)
        status, activation, _ = _request(
            port, "POST", "/v1/rules/CUS-0500/versions/1/activate", keys["customs_approver"], {}
        )
        activated_at = time.monotonic()
        assert status == 200, activation
        new_version = activation["ruleset_version"]
        time.sleep(2.5)
        stop.set()
        for client in clients:
            client.join()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/metrics")
        exposition = connection.getresponse().read().decode()
        connection.close()

    failures = [o for o in observations if o[2] != 200]
    assert failures == []
    workers = {o[3] for o in observations}
    assert len(workers) == 2, workers
    lag = {}
    for worker in workers:
        mine = [o for o in observations if o[3] == worker]
        assert any(o[4] != new_version and o[0] < activated_at for o in mine), "worker seen before activation"
        assert any(o[4] == new_version for o in mine), "worker seen after activation"
        stale = [o for o in mine if o[4] != new_version and o[0] >= activated_at]
        lag[worker] = max((o[1] - activated_at for o in stale), default=0.0)
        late = [o for o in mine if o[4] != new_version and o[0] > activated_at + 1.0]
        assert late == [], f"{worker} still served the old ruleset more than 1 s after activation"
    print(f"requests: {len(observations)}, convergence lag per worker (s): {lag}")
    # /metrics adds up both workers: every evaluated passenger is counted once.
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in exposition.splitlines()
        if line.startswith("targeting_evaluations_total{")
    )
    assert counted == len(observations)
