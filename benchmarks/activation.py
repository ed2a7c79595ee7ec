"""Ruleset activation: ``python -m benchmarks.activation [--sizes 1000,10000] [--under-load 10000]``.

Two cases, both also run by ``python -m benchmarks``:

1. ``activation_time``: a ruleset of N synthetic rules made live in one process the way the
   service does it (``api.rules.rulesets.build``): compiled, then loaded into durable-rules in the
   isolated engine worker. Compiling, loading in this process and starting the isolated
   worker are also timed on their own, so a miss can be traced to its stage.
2. ``activation_under_load``: the service under gunicorn on loopback (``benchmarks.http``)
   holding N - 1 rules while clients keep evaluating single passengers; the N-th rule is
   created, submitted, approved and activated through the API, which makes a new N-rule
   ruleset. Counts every failed request and measures how long until every gunicorn worker
   answers with the new version (``X-Ruleset-Version``; ``X-Served-By`` names the worker).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from benchmarks.http import _call, _environment, _prepare, drop_database, serve
from benchmarks.measure import percentile
from testing.live import worker_pids
from testing.synthetic import synthetic_packs, synthetic_records

TARGET_ACTIVATION_S = 2.0  # 10,000 rules


def activation_time(rule_count: int, repeats: int = 3) -> dict[str, Any]:
    """Median seconds, over ``repeats``, to compile and load a ``rule_count``-rule ruleset."""
    from api.rules.interface import ActiveRule, RulesetInfo
    from api.rules.rulesets import EngineIsolation, build
    from engine import Evaluator, PackSource, compile_packs
    from engine.compiler import forget_compiled
    from engine.isolation import IsolatedEvaluator

    packs = synthetic_packs(rule_count)
    rules = [ActiveRule(rule["id"], 1, pack["agency"], rule) for pack in packs for rule in pack["rules"]]
    info = RulesetInfo(1, "", tuple((rule.rule_id, 1) for rule in rules), dt.datetime.now(dt.UTC), "benchmark")
    isolation = EngineIsolation(timeout_seconds=10.0)
    # The service builds an empty ruleset at start-up, which starts the forkserver; an
    # activation pays only for the worker it forks from it.
    build(RulesetInfo(0, "", (), dt.datetime.now(dt.UTC), ""), [], isolation).evaluator.close()
    stages: dict[str, list[float]] = {"compile_s": [], "load_s": [], "worker_s": [], "service_s": []}
    sources = [PackSource(f"synthetic-{n}", pack) for n, pack in enumerate(packs)]
    for _ in range(repeats):
        # Cold compiles: the process that activates compiles once, every other process once too.
        forget_compiled()
        started = time.perf_counter()
        compiled = compile_packs(sources)
        stages["compile_s"].append(time.perf_counter() - started)

        started = time.perf_counter()
        Evaluator(compiled).close()
        stages["load_s"].append(time.perf_counter() - started)

        started = time.perf_counter()
        IsolatedEvaluator(compiled, timeout=isolation.timeout_seconds).close()
        stages["worker_s"].append(time.perf_counter() - started)

        forget_compiled()
        started = time.perf_counter()
        loaded = build(info, rules, isolation)
        stages["service_s"].append(time.perf_counter() - started)
        loaded.evaluator.close()
    result: dict[str, Any] = {"rules": rule_count, "repeats": repeats, "shards": len(compiled.shards)}
    result.update({name: round(statistics.median(values), 2) for name, values in stages.items()})
    return result


@dataclass
class _Observed:
    """Every evaluation answer under load: when it ended, its status and who served it with which version."""

    answers: list[tuple[float, int, str, str, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _evaluate(port: int, key: str, passenger: dict[str, Any]) -> tuple[int, str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = json.dumps({"passenger": passenger})
        connection.request("POST", "/v1/evaluations", body, {"X-API-Key": key, "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        served_by = response.getheader("X-Served-By", "").rpartition(":")[2]
        return response.status, response.getheader("X-Ruleset-Version", ""), served_by
    finally:
        connection.close()


def _client(
    port: int,
    key: str,
    passengers: list[dict[str, Any]],
    offset: int,
    step: int,
    stop: threading.Event,
    observed: _Observed,
) -> None:
    number = offset
    while not stop.is_set():
        started = time.monotonic()
        try:
            status, version, served_by = _evaluate(port, key, passengers[number % len(passengers)])
        except (OSError, http.client.HTTPException) as exc:
            # A refused or dropped connection is a failed request like a 5xx.
            status, version, served_by = 0, "", ""
            with observed.lock:
                observed.errors.append(type(exc).__name__)
        ended = time.monotonic()
        with observed.lock:
            observed.answers.append((ended, status, version, served_by, ended - started))
        number += step


def activation_under_load(
    rule_count: int = 10_000, workers: int = 2, clients: int = 8, settle: float = 3.0, timeout: float = 180.0
) -> dict[str, Any]:
    """Activate the ``rule_count``-th rule through the API while ``clients`` keep evaluating."""
    packs = synthetic_packs(rule_count)
    customs = next(pack for pack in packs if pack["agency"] == "customs")
    new_rule = customs["rules"].pop()  # created through the API; the rest are seeded
    result: dict[str, Any] = {"rules": rule_count, "workers": workers, "clients": clients}
    with tempfile.TemporaryDirectory() as tmp:
        env = _environment(tmp)
        result["store"] = "postgresql" if "DATABASE_URL" in env else "sqlite"
        result["cache"] = "redis" if "REDIS_URL" in env else "memory"
        if "REDIS_URL" in env:
            import redis

            redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        try:
            started = time.perf_counter()
            keys = _prepare(env, rule_count - 1, packs)
            result["seed_s"] = round(time.perf_counter() - started, 1)
            started = time.perf_counter()
            with serve(env, workers) as (server, port):
                result.update(_activate_under_load(server, port, keys, new_rule, clients, settle, timeout, started))
        finally:
            drop_database(env)
    return result


def _activate_under_load(
    server: Any,
    port: int,
    keys: dict[str, str],
    new_rule: dict[str, Any],
    clients: int,
    settle: float,
    timeout: float,
    started: float,
) -> dict[str, Any]:
    passengers = synthetic_records(5000, seed=11)
    pids = {str(pid) for pid in worker_pids(server)}
    # Every worker has loaded the seeded ruleset once each has answered.
    ready: set[str] = set()
    deadline = time.monotonic() + timeout
    while ready != pids:
        if time.monotonic() > deadline:
            raise SystemExit(f"workers {sorted(pids - ready)} never answered")
        status, _, served_by = _evaluate(port, keys["system"], passengers[0])
        if status == 200:
            ready.add(served_by)
    result: dict[str, Any] = {"startup_s": round(time.perf_counter() - started, 1)}
    rule_id = new_rule["id"]
    for key, path, body in (
        ("officer", "/v1/rules", {"rule": new_rule, "reason": "benchmark"}),
        ("officer", f"/v1/rules/{rule_id}/versions/1/submit", {}),
        ("approver", f"/v1/rules/{rule_id}/versions/1/approve", {}),
    ):
        status, answer, _ = _call(port, "POST", path, keys[key], body)
        if status not in (200, 201):
            raise SystemExit(f"{path}: {status} {answer}")

    observed = _Observed()
    stop = threading.Event()
    threads = [
        threading.Thread(target=_client, args=(port, keys["system"], passengers, n, clients, stop, observed))
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(settle)
    sent = time.monotonic()
    status, answer, took = _call(port, "POST", f"/v1/rules/{rule_id}/versions/1/activate", keys["approver"], {})
    new_version = answer.get("ruleset_version", "") if status == 200 else ""
    converged: dict[str, float] = {}
    deadline = sent + timeout
    while time.monotonic() < deadline and set(converged) != pids:
        time.sleep(0.2)
        with observed.lock:
            for ended, code, version, served_by, _ in observed.answers:
                if code == 200 and version == new_version and served_by not in converged:
                    converged[served_by] = ended
    time.sleep(settle)  # keep the load on a little after the last worker switched
    stop.set()
    for thread in threads:
        thread.join()

    answers = observed.answers
    failed = [answer for answer in answers if answer[1] != 200]
    window_end = max(converged.values()) if set(converged) == pids else deadline
    during = [answer[4] for answer in answers if sent <= answer[0] <= window_end and answer[1] == 200]
    before = [answer[4] for answer in answers if answer[0] < sent and answer[1] == 200]
    restarted = pids - {str(pid) for pid in worker_pids(server)}
    result.update(
        {
            "activate_status": status,
            "activate_request_s": round(took, 2),
            "all_workers_new_version_s": round(window_end - sent, 2) if set(converged) == pids else None,
            "per_worker_s": {pid: round(at - sent, 2) for pid, at in sorted(converged.items())},
            "requests": len(answers),
            "failed": len(failed),
            "failed_statuses": sorted({answer[1] for answer in failed}),
            "connection_errors": sorted(set(observed.errors)),
            "requests_during": len(during),
            "p50_ms_before": round(percentile(before, 0.5) * 1000, 1) if before else None,
            "p99_ms_before": round(percentile(before, 0.99) * 1000, 1) if before else None,
            "p50_ms_during": round(percentile(during, 0.5) * 1000, 1) if during else None,
            "p99_ms_during": round(percentile(during, 0.99) * 1000, 1) if during else None,
            "workers_restarted": len(restarted),
        }
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.activation")
    parser.add_argument("--sizes", default="1000,10000", help="ruleset sizes to time, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--under-load", type=int, default=10_000, help="ruleset size activated under load (0: skip)")
    args = parser.parse_args()
    for size in (int(part) for part in args.sizes.split(",")):
        print(json.dumps(activation_time(size, args.repeats)), flush=True)
    if args.under_load:
        print(json.dumps(activation_under_load(args.under_load)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
