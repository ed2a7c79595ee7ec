"""Redis stopped mid-run: evaluations keep succeeding uncached, /readyz says degraded, and the
cache is used again once Redis is back. A private redis-server is started and killed here."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from dataclasses import replace

import pytest
import redis

from api import create_app
from api.cache import RedisCache
from testing.live import free_port
from tests.api.conftest import ApiClient, build_services, live_rule, passenger


class PrivateRedis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process:
            self.process.kill()
            self.process.wait()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_evaluations_survive_a_redis_outage(sql_backend, settings, backend, monkeypatch):
    monkeypatch.setattr(RedisCache, "RETRY_AFTER_SECONDS", 0.2)
    server = PrivateRedis(free_port())
    server.start()
    local = replace(settings, redis_url=f"redis://127.0.0.1:{server.port}/0")
    services = build_services(local)
    from tests.api.conftest import _reset

    _reset(services.engine)
    api = ApiClient(create_app(local, services=services).test_client(), backend.keys)
    try:
        live_rule(api)
        record = passenger()
        assert (
            api.post("/v1/evaluations", "customs_system", json={"passenger": record}).json["results"][0]["cached"]
            is False
        )
        assert (
            api.post("/v1/evaluations", "customs_system", json={"passenger": record}).json["results"][0]["cached"]
            is True
        )
        assert api.get("/readyz").json["status"] == "ready"

        server.stop()
        for _ in range(5):
            response = api.post("/v1/evaluations", "customs_system", json={"passenger": record})
            assert response.status_code == 200
            assert response.json["results"][0]["cached"] is False
            assert [m["rule_id"] for m in response.json["results"][0]["matches"]] == ["CUS-0500"]
        ready = api.get("/readyz")
        assert (ready.status_code, ready.json["status"], ready.json["cache"]) == (200, "degraded", "redis: unavailable")

        server.start()
        time.sleep(0.3)
        assert api.get("/readyz").json["status"] == "ready"
        first = api.post("/v1/evaluations", "customs_system", json={"passenger": record}).json["results"][0]
        second = api.post("/v1/evaluations", "customs_system", json={"passenger": record}).json["results"][0]
        assert (first["cached"], second["cached"]) == (False, True)
    finally:
        server.stop()
        services.engine.dispose()


def test_a_failing_cache_is_a_miss_not_an_error():
    cache = RedisCache("redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert cache.get_many(["k", "l"]) == [None, None]
    cache.set_many({"k": "v"}, 10)
    assert cache.healthy() is False


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_redis_killed_and_restarted_under_evaluation_load(sql_backend, settings, backend, monkeypatch):
    """Four clients evaluate flat out while the cache's Redis is killed and started again on the same
    port: no evaluation fails, and the cache (and the rate limiter, which shares it) is used again."""
    monkeypatch.setattr(RedisCache, "RETRY_AFTER_SECONDS", 0.2)
    server = PrivateRedis(free_port())
    server.start()
    # The limit is far above this load: the point is that counting in Redis survives the outage.
    local = replace(settings, redis_url=f"redis://127.0.0.1:{server.port}/0", rate_limit="1000000/minute")
    prefix = local.redis_key_prefix
    services = build_services(local)
    from tests.api.conftest import _reset

    _reset(services.engine)
    app = create_app(local, services=services)
    live_rule(ApiClient(app.test_client(), backend.keys))
    records = [passenger() for _ in range(12)]  # few enough that the load keeps finding them cached
    phase = ["before"]
    outcomes: list[tuple[str, int, bool | None]] = []
    stop = threading.Event()

    def client(offset: int) -> None:
        api = ApiClient(app.test_client(), backend.keys)  # a client per thread, as each would be over HTTP
        n = offset
        while not stop.is_set():
            seen = phase[0]
            try:
                response = api.post("/v1/evaluations", "customs_system", json={"passenger": records[n % len(records)]})
            except Exception:  # counted as a failure rather than ending this client
                outcomes.append((seen, 0, None))
                continue
            finally:
                n += 1
            cached = response.json["results"][0]["cached"] if response.status_code == 200 else None
            outcomes.append((seen, response.status_code, cached))

    threads = [threading.Thread(target=client, args=(n * 3,)) for n in range(4)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        phase[0] = "killing"
        server.stop()
        phase[0] = "down"
        time.sleep(1.5)
        phase[0] = "restarting"
        server.start()
        phase[0] = "after"
        # Load goes on until both are back in the new Redis (the limiter looks for it after 1 s, 2 s, 4 s...).
        restarted = redis.Redis(port=server.port)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (
            restarted.keys(f"{prefix}tgt:eval:*") and restarted.keys(f"{prefix}LIMITS:LIMITER/targeting/*")
        ):
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        ready = ApiClient(app.test_client(), backend.keys).get("/readyz").json
        stored = redis.Redis(port=server.port).keys("*")
        server.stop()
        services.engine.dispose()

    by_phase = {name: [o for o in outcomes if o[0] == name] for name in ("before", "down", "after")}
    assert all(by_phase.values()), {name: len(found) for name, found in by_phase.items()}
    assert [o for o in outcomes if o[1] != 200] == []
    assert any(cached for _, _, cached in by_phase["before"])
    assert not any(cached for _, _, cached in by_phase["down"])
    assert any(cached for _, _, cached in by_phase["after"])
    assert ready["status"] == "ready"
    # Evaluations were cached in the restarted Redis, and the limiter counts there again.
    assert any(key.decode().startswith(f"{prefix}tgt:eval:") for key in stored)
    assert any(key.decode().startswith(f"{prefix}LIMITS:LIMITER/targeting/") for key in stored)
    assert all(key.decode().startswith(prefix) for key in stored)  # REDIS_KEY_PREFIX covers every key
