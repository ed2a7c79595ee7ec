"""HTTP end to end: ``python -m benchmarks.http [--rules 1000] [--seconds 10]``.

Starts the service with gunicorn on loopback (PostgreSQL and Redis when reachable on this
machine, else SQLite and the in-process cache), loads synthetic rules, and measures:
single-passenger latency with 16 concurrent clients, a 300-passenger manifest, passengers
per second through the batch endpoint, a cache hit against a miss, and failed requests
while a rule is activated under load. The load generator runs on the same 2 cores as the
service, so the figures are a floor.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import percentile
from testing.live import call, gunicorn, reachable
from testing.synthetic import synthetic_packs, synthetic_paxlst, synthetic_records

ROOT = Path(__file__).resolve().parents[1]


def _call(port: int, method: str, path: str, key: str, body: Any = None) -> tuple[int, Any, float]:
    status, raw, _, took = call(port, method, path, key, body)
    return status, json.loads(raw or b"{}"), took


def _environment(tmp: str) -> dict[str, str]:
    env = {
        **os.environ,
        "INSTANCE_PATH": tmp,
        "LOG_LEVEL": "WARNING",
        "IDENTITY_HASH_KEY": "benchmark",
    }
    # 16 clients on one key measure the service, not its per-key allowance.
    env["RATE_LIMIT"] = "1000000/minute"
    if reachable(5432):
        from sqlalchemy import text

        from api.db import make_engine

        name = f"targeting_bench_{os.getpid()}"
        admin = make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        env["DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    if reachable(6379):
        env["REDIS_URL"] = "redis://127.0.0.1:6379/14"
        # Keys of this run's own, deleted at the end: Redis is shared, and nothing of this run may outlive it.
        env["REDIS_KEY_PREFIX"] = f"targeting-bench:{os.getpid()}:"
    return env


def drop_database(env: dict[str, str]) -> None:
    """Drop the PostgreSQL database ``_environment`` created, if it did, and delete its Redis keys."""
    prefix = env.get("REDIS_KEY_PREFIX", "")
    if prefix.startswith("targeting-bench:"):
        import redis

        client = redis.Redis.from_url(env["REDIS_URL"])
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
        client.close()
    url = env.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import text

    from api.db import make_engine

    admin = make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[-1]}" WITH (FORCE)'))
    admin.dispose()


def _prepare(env: dict[str, str], rule_count: int, packs: list[dict[str, Any]] | None = None) -> dict[str, str]:
    """Import the synthetic rules (or ``packs``) and create the keys, through the service's own store."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from api.common import Actor
        from api.config import Settings
        from api.container import Services
        from api.db import upgrade

        services = Services.build(Settings.from_env())
        engine = services.engine
        assert engine is not None, "the benchmark needs a SQL store (DATABASE_URL)"
        upgrade(engine)
        operator = Actor("bench", "operator:benchmark", "central", frozenset({"admin"}))
        sources = [(f"synthetic-{n}", pack) for n, pack in enumerate(packs or synthetic_packs(rule_count))]
        services.rule_store.import_packs(sources, operator)
        keys = {}
        for label, agency, roles in (
            ("system", "customs", ["system"]),
            ("officer", "customs", ["officer"]),
            ("approver", "customs", ["approver"]),
        ):
            _, keys[label] = services.key_store.create_key(f"bench-{label}", agency, roles, operator)
        engine.dispose()
        return keys
    finally:
        os.environ.clear()
        os.environ.update(saved)


def serve(env: dict[str, str], workers: int) -> contextlib.AbstractContextManager[tuple[subprocess.Popen[bytes], int]]:
    """gunicorn with ``workers`` sync workers on a free loopback port, until the block ends."""
    return gunicorn(env, workers, config=False)


def _load(port: int, key: str, clients: int, seconds: float, passengers: list[dict]) -> dict[str, Any]:
    latencies: list[float] = []
    failures: list[int] = []
    stop = time.monotonic() + seconds

    def client(offset: int) -> None:
        n = offset
        while time.monotonic() < stop:
            status, _, took = _call(
                port, "POST", "/v1/evaluations", key, {"passenger": passengers[n % len(passengers)]}
            )
            if status == 200:
                latencies.append(took)
            else:
                failures.append(status)
            n += clients

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "requests": len(latencies) + len(failures),
        "failed": len(failures),
        "per_s": round((len(latencies) + len(failures)) / seconds),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


def _run(env: dict[str, str], rule_count: int, seconds: float, workers: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    keys = _prepare(env, rule_count)
    with serve(env, workers) as (_, port):
        time.sleep(1)
        passengers = synthetic_records(20000, seed=11)
        _call(port, "POST", "/v1/evaluations", keys["system"], {"passengers": passengers[:50]})

        results["single_16_clients"] = _load(port, keys["system"], 16, seconds, passengers)

        manifest_times = []
        for n in range(10):
            manifest = synthetic_records(300, seed=100 + n)
            status, _, took = _call(port, "POST", "/v1/evaluations", keys["system"], {"passengers": manifest})
            assert status == 200
            manifest_times.append(took)
        results["manifest_300_p50_ms"] = round(statistics.median(manifest_times) * 1000, 1)

        paxlst_times = []
        for n in range(10):
            # A flight of its own each time: the same message again would evaluate no one (api.sources).
            message = synthetic_paxlst(300).replace("TDT+20+NZ1+", f"TDT+20+NZ{100 + n}+").encode()
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request(
                "POST",
                "/v1/manifests/paxlst",
                message,
                {"X-API-Key": keys["system"], "Content-Type": "application/edifact"},
            )
            response = connection.getresponse()
            assert response.status == 200, response.read()[:300]
            response.read()
            connection.close()
            paxlst_times.append(time.perf_counter() - started)
        results["paxlst_300_p50_ms"] = round(statistics.median(paxlst_times) * 1000, 1)

        batch = synthetic_records(1000, seed=999)
        status, _, miss = _call(port, "POST", "/v1/evaluations", keys["system"], {"passengers": batch})
        status, body, hit = _call(port, "POST", "/v1/evaluations", keys["system"], {"passengers": batch})
        assert all(r["cached"] for r in body["results"])
        results["batch_1000_passengers_per_s_miss"] = round(1000 / miss)
        results["batch_1000_passengers_per_s_hit"] = round(1000 / hit)
        results["cache_hit_speedup"] = round(miss / hit, 1)

        rule = {
            "id": "CUS-999999",
            "title": "bench",
            "weight": 10,
            "action": "notify",
            "valid_until": "2028-12-31",
            "when": {"field": "booking.one_way", "eq": True},
        }
        _call(port, "POST", "/v1/rules", keys["officer"], {"rule": rule, "reason": "bench"})
        _call(port, "POST", "/v1/rules/CUS-999999/versions/1/submit", keys["officer"], {})
        _call(port, "POST", "/v1/rules/CUS-999999/versions/1/approve", keys["approver"], {})
        during: dict[str, Any] = {}
        loader = threading.Thread(target=lambda: during.update(_load(port, keys["system"], 8, 4, passengers)))
        loader.start()
        time.sleep(1.5)
        status, _, took = _call(port, "POST", "/v1/rules/CUS-999999/versions/1/activate", keys["approver"], {})
        loader.join()
        results["activation"] = {
            "status": status,
            "request_s": round(took, 3),
            "failed_during": during["failed"],
            "requests_during": during["requests"],
        }
    return results


def measure(rules: int, seconds: float, workers: int) -> dict[str, Any]:
    """Every HTTP case against a fresh service holding ``rules`` synthetic rules."""
    results: dict[str, Any] = {"rules": rules, "workers": workers}
    with tempfile.TemporaryDirectory() as tmp:
        env = _environment(tmp)
        results["store"] = "postgresql" if "DATABASE_URL" in env else "sqlite"
        results["cache"] = "redis" if "REDIS_URL" in env else "memory"
        if "REDIS_URL" in env:
            import redis

            redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        try:
            results.update(_run(env, rules, seconds, workers))
        finally:
            drop_database(env)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.http")
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", default="benchmarks/results-http.json")
    args = parser.parse_args()
    results = measure(args.rules, args.seconds, args.workers)
    single = results["single_16_clients"]
    print(f"store {results['store']}, cache {results['cache']}, {args.rules} rules, {args.workers} workers")
    print("| case | result |\n| --- | --- |")
    print(
        f"| single passenger, 16 clients | {single['per_s']} req/s, p50 {single['p50_ms']} ms, "
        f"p99 {single['p99_ms']} ms, {single['failed']} failed |"
    )
    print(f"| 300-passenger manifest | p50 {results['manifest_300_p50_ms']} ms |")
    print(f"| 300-passenger PAXLST message | p50 {results['paxlst_300_p50_ms']} ms |")
    print(
        f"| batch of 1,000 (miss / hit) | {results['batch_1000_passengers_per_s_miss']} / "
        f"{results['batch_1000_passengers_per_s_hit']} passengers/s, hit {results['cache_hit_speedup']}x faster |"
    )
    activation = results["activation"]
    print(
        f"| activation under load | {activation['request_s']} s, {activation['failed_during']} of "
        f"{activation['requests_during']} requests failed |"
    )
    Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
