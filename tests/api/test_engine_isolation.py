"""With the engine in a worker process (the production default), killing the worker mid-run
costs no request: it is replaced, the batch retried, and the restart counted in /metrics."""

from __future__ import annotations

import os
import signal
from dataclasses import replace

from prometheus_client import REGISTRY

from api import create_app
from tests.api.conftest import ApiClient, _reset, build_services, live_rule, passenger


def test_killed_engine_worker_is_replaced_without_failing_requests(sql_backend, settings, backend):
    local = replace(settings, engine_isolation=True, engine_timeout_seconds=3)
    services = build_services(local)
    _reset(services.engine)
    api = ApiClient(create_app(local, services=services).test_client(), backend.keys)
    try:
        live_rule(api)
        before = REGISTRY.get_sample_value("targeting_engine_worker_restarts_total") or 0.0
        worker = services.rulesets.current.evaluator.pid
        assert worker is not None and worker != os.getpid()
        os.kill(worker, signal.SIGKILL)
        response = api.post("/v1/evaluations", "customs_system", json={"passengers": [passenger(), passenger()]})
        assert response.status_code == 200
        assert [len(r["matches"]) for r in response.json["results"]] == [1, 1]
        assert services.rulesets.current.evaluator.pid not in (None, worker)
        assert REGISTRY.get_sample_value("targeting_engine_worker_restarts_total") == before + 1
        assert "targeting_engine_worker_restarts_total" in api.get("/metrics").get_data(as_text=True)
    finally:
        services.rulesets.current.evaluator.close()
        services.engine.dispose()
