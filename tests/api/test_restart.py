"""Every service process killed and started again: everything stored is still there.

A scenario runs against gunicorn (two workers, PostgreSQL, Redis); then the whole
process group is killed with SIGKILL (no orderly shutdown) and a new service starts on
the same store. Rules, versions, approvals, decisions, hits, dispositions, watchlist
entries and the audit log must all be there, with the chain verifying.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing.live import free_port
from tests.api.conftest import REDIS_KEY_PREFIX, REDIS_URL, _reset, passenger, rule
from tests.api.test_rollout import _request

GUNICORN = (sys.executable, "-m", "gunicorn", "--workers", "2", "--config", "python:api.gunicorn_conf", "api.wsgi:app")


def _start(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [*GUNICORN, "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so one signal reaches every process
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _request(port, "GET", "/healthz", "", None)[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    os.killpg(server.pid, signal.SIGKILL)  # nothing of it may outlive the test (its database is dropped)
    server.wait(timeout=30)
    raise AssertionError("service did not start")


def test_everything_survives_killing_every_process(backend, services, tmp_path: Path):
    if backend.name != "postgresql":
        pytest.skip("the restart test runs against PostgreSQL, the production store")
    _reset(services.engine)
    port = free_port()
    (tmp_path / "metrics").mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": backend.url,
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": REDIS_KEY_PREFIX,
        "IDENTITY_HASH_KEY": "restart-test",
        "INSTANCE_PATH": str(tmp_path),
        "LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    keys = backend.keys

    def call(method: str, path: str, who: str, body: object = None) -> dict:
        status, found, _ = _request(port, method, path, keys[who], body)
        assert status in (200, 201), (path, status, found)
        return found

    server = _start(port, env)
    try:
        call("POST", "/v1/rules", "customs_officer", {"rule": rule(), "reason": "r"})
        call("POST", "/v1/rules/CUS-0500/versions/1/submit", "customs_officer", {})
        call("POST", "/v1/rules/CUS-0500/versions/1/approve", "customs_approver", {})
        call("POST", "/v1/rules/CUS-0500/versions/1/activate", "customs_approver", {})
        entry = {"id": "CUS-W9", "family_name": "Other", "category": "customs", "reason": "r", "expires": "2030-01-01"}
        call("POST", "/v1/watchlist", "customs_officer", entry)
        # Each worker loads the activated ruleset on its next poll of the store, so the
        # evaluation is repeated until the worker that answers has it.
        manifest = {"passengers": [passenger() for _ in range(3)]}
        deadline = time.monotonic() + 15
        while True:
            evaluated = call("POST", "/v1/evaluations", "customs_system", manifest)
            if all(result["matches"] for result in evaluated["results"]) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        decision_ids = [result["decision_id"] for result in evaluated["results"]]
        # Decisions and their hits are committed before the answer (the store is up).
        [hit] = call("GET", "/v1/hits", "customs_officer")["hits"]
        call("POST", f"/v1/hits/{hit['id']}/disposition", "customs_officer", {"status": "cleared", "note": "ok"})
        before = call("GET", "/v1/audit/verify", "auditor")
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)

    server = _start(port, env)
    try:
        version = call("GET", "/v1/rules/CUS-0500/versions/1", "customs_officer")
        assert (version["status"], version["approved_by"]) == ("active", "ben@customs")
        for decision_id in decision_ids:
            assert call("GET", f"/v1/decisions/{decision_id}", "customs_system")["matches"][0]["rule_id"] == "CUS-0500"
        assert call("GET", f"/v1/hits/{hit['id']}", "customs_officer")["status"] == "cleared"
        assert call("GET", "/v1/watchlist/CUS-W9", "customs_officer")["family_name"] == "Other"
        after = call("GET", "/v1/audit/verify", "auditor")
        assert after["ok"] is True and after["entries"] == before["entries"]
        # And it serves with the same ruleset it had.
        again = call("POST", "/v1/evaluations", "customs_system", {"passenger": passenger()})
        assert again["ruleset_version"] == evaluated["ruleset_version"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
