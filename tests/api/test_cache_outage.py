"""Redis stopped mid-run: evaluations keep succeeding uncached, /readyz says degraded, and the
cache is used again once Redis is back. A private redis-server is started and killed here."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import replace

import pytest

from api import create_app
from api.services.cache import RedisCache
from tests.api.conftest import ApiClient, build_services, live_rule, passenger


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
def test_evaluations_survive_a_redis_outage(settings, backend, monkeypatch):
    monkeypatch.setattr(RedisCache, "RETRY_AFTER_SECONDS", 0.2)
    server = PrivateRedis(_free_port())
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
