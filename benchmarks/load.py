"""Mixed load: ``python -m benchmarks.load [--seconds 60] [--clients 16] [--rules 1000]``.

Starts the service with gunicorn on loopback as ``targeting serve`` does (PostgreSQL and Redis
when reachable on this machine, else SQLite and the in-process cache; helpers from
``benchmarks.http``), then runs 16 clients for 60 s, each with its own system key, mixing single
passenger evaluations, 50-passenger manifests (JSON and PAXLST) and rule reads, and activates a
rule halfway through. Prints requests, errors, throughput and p50/p99 latency per kind, and exits
1 if any request failed. The clients share the service's 2 cores, so the figures are a floor.
Not run in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.http import _environment, _prepare, drop_database
from benchmarks.measure import percentile
from testing.live import call, gunicorn
from testing.synthetic import synthetic_paxlst, synthetic_records

ROOT = Path(__file__).resolve().parents[1]
#: What each client does, in turn: mostly single passengers, as agency systems send them.
CYCLE = ["single"] * 6 + ["manifest", "paxlst", "rule_list", "rule_read"]
KINDS = ["single", "manifest", "paxlst", "rule_list", "rule_read", "activation"]
MANIFEST_SIZE = 50
NEW_RULE = {
    "id": "CUS-990001",
    "title": "Load run: one-way booking",
    "weight": 10,
    "action": "notify",
    "valid_until": "2028-12-31",
    "when": {"field": "booking.one_way", "eq": True},
}


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: (time sent, ruleset version) of every evaluation, to see the activation arrive.
    versions: list[tuple[float, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, status: int, took: float, detail: str = "") -> None:
        with self.lock:
            if 200 <= status < 300:
                self.latencies[kind].append(took)
            else:
                self.errors[kind].append(f"{status} {detail}"[:200])


def _create_keys(env: dict[str, str], count: int) -> list[str]:
    """One system key per client, as each agency system has its own (and its own rate limit)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from api.common import Actor
        from api.config import Settings
        from api.container import Services

        services = Services.build(Settings.from_env())
        operator = Actor("bench", "operator:load", "central", frozenset({"admin"}))
        keys = [
            services.key_store.create_key(f"load-system-{n}", "customs", ["system"], operator)[1] for n in range(count)
        ]
        if services.engine is not None:
            services.engine.dispose()
        return keys
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _client(port: int, number: int, key: str, reader: str, rule_ids: list[str], stop: float, tally: Tally) -> None:
    passengers = synthetic_records(400, seed=1000 + number)
    manifests = [synthetic_records(MANIFEST_SIZE, seed=5000 + number * 100 + n) for n in range(8)]
    paxlst = synthetic_paxlst(MANIFEST_SIZE).encode()
    n = number  # clients start at different points of the cycle
    while time.monotonic() < stop:
        kind = CYCLE[n % len(CYCLE)]
        method, who, content_type, body = "POST", key, "application/json", None
        if kind == "single":
            path, body = "/v1/evaluations", json.dumps({"passenger": passengers[n % len(passengers)]}).encode()
        elif kind == "manifest":
            path, body = "/v1/evaluations", json.dumps({"passengers": manifests[n % len(manifests)]}).encode()
        elif kind == "paxlst":
            # A flight of its own each time: the same message again would evaluate no one (api.sources).
            body = paxlst.replace(b"TDT+20+NZ1+", f"TDT+20+NZ{1000 + (number * 1000 + n) % 9000}+".encode())
            path, content_type = "/v1/manifests/paxlst", "application/edifact"
        elif kind == "rule_list":
            method, path, who = "GET", "/v1/rules?agency=customs", reader
        else:
            method, path, who = "GET", f"/v1/rules/{rule_ids[n % len(rule_ids)]}", reader
        sent = time.monotonic()
        try:
            status, data, headers, took = call(port, method, path, who, body, content_type)
        except OSError as exc:
            tally.record(kind, 0, 0.0, repr(exc))
        else:
            tally.record(kind, status, took, data[:150].decode(errors="replace"))
            if method == "POST" and status == 200:
                with tally.lock:
                    tally.versions.append((sent, headers.get("X-Ruleset-Version", "")))
        n += 1


def _activate(port: int, approver: str, at: float, tally: Tally) -> dict[str, Any]:
    time.sleep(max(0.0, at - time.monotonic()))
    status, data, _, took = call(port, "POST", f"/v1/rules/{NEW_RULE['id']}/versions/1/activate", approver, b"{}")
    tally.record("activation", status, took, data[:150].decode(errors="replace"))
    body = json.loads(data or b"{}")
    return {"at": time.monotonic(), "status": status, "version": body.get("ruleset_version", "")}


def _prepare_rule(port: int, officer: str, approver: str) -> None:
    """The rule to activate mid-run: created, submitted and approved before the load starts."""
    steps = [
        ("/v1/rules", officer, {"rule": NEW_RULE, "reason": "load run"}),
        (f"/v1/rules/{NEW_RULE['id']}/versions/1/submit", officer, {}),
        (f"/v1/rules/{NEW_RULE['id']}/versions/1/approve", approver, {}),
    ]
    for path, key, body in steps:
        status, data, _, _ = call(port, "POST", path, key, json.dumps(body).encode())
        if status not in (200, 201):
            raise SystemExit(f"preparing the rule to activate: {path} answered {status}: {data[:300]!r}")


def _table(tally: Tally, seconds: float) -> tuple[str, int]:
    lines = [
        "| kind | requests | errors | per s | p50 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    total_requests = total_errors = 0
    for kind in KINDS:
        ok, failed = tally.latencies.get(kind, []), tally.errors.get(kind, [])
        count = len(ok) + len(failed)
        if not count:
            continue
        total_requests += count
        total_errors += len(failed)
        p50 = f"{percentile(ok, 0.5) * 1000:.1f}" if ok else "-"
        p99 = f"{percentile(ok, 0.99) * 1000:.1f}" if ok else "-"
        lines.append(f"| {kind} | {count} | {len(failed)} | {count / seconds:.1f} | {p50} | {p99} |")
    lines.append(f"| all | {total_requests} | {total_errors} | {total_requests / seconds:.1f} | | |")
    return "\n".join(lines), total_errors


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--redis-db", type=int, default=12, help="Redis database when Redis is reachable (default 12; flushed)"
    )
    parser.add_argument(
        "--rate-limit",
        default="100000/minute",
        help="RATE_LIMIT per key: counted as in production, set so this load measures the service, not the limit",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = _environment(tmp)
        env["RATE_LIMIT"] = args.rate_limit
        env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(dir=tmp)
        if "REDIS_URL" in env:
            import redis

            env["REDIS_URL"] = f"redis://127.0.0.1:6379/{args.redis_db}"
            redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        store = "postgresql" if "DATABASE_URL" in env else "sqlite"
        keys = _prepare(env, args.rules)
        system_keys = _create_keys(env, args.clients)
        try:
            with gunicorn(env, args.workers) as (_, port):
                time.sleep(1)
                status, data, _, _ = call(port, "GET", "/v1/rules?agency=customs", keys["officer"], None)
                rule_ids = [rule["id"] for rule in json.loads(data)["rules"]][:200] if status == 200 else []
                if not rule_ids:
                    raise SystemExit(f"no rules to read: {status} {data[:300]!r}")
                _prepare_rule(port, keys["officer"], keys["approver"])

                tally = Tally()
                started = time.monotonic()
                stop = started + args.seconds
                threads = [
                    threading.Thread(
                        target=_client, args=(port, n, system_keys[n], keys["officer"], rule_ids, stop, tally)
                    )
                    for n in range(args.clients)
                ]
                activation: dict[str, Any] = {}
                activator = threading.Thread(
                    target=lambda: activation.update(
                        _activate(port, keys["approver"], started + args.seconds / 2, tally)
                    )
                )
                for thread in [*threads, activator]:
                    thread.start()
                for thread in [*threads, activator]:
                    thread.join()
                elapsed = time.monotonic() - started
        finally:
            drop_database(env)
    table, errors = _table(tally, elapsed)
    print(
        f"store {store}, cache {'redis' if 'REDIS_URL' in env else 'memory'}, {args.rules} rules, "
        f"{args.workers} gunicorn workers, {args.clients} clients, {elapsed:.0f} s"
    )
    print(table)
    if activation.get("status") == 200:
        stale = [at for at, version in tally.versions if version != activation["version"] and at > activation["at"]]
        lag = max(stale) - activation["at"] if stale else 0.0
        print(
            f"activation: ruleset {activation['version']}; the last request answered on the old ruleset "
            f"was sent {lag:.2f} s after the activation was answered"
        )
    for kind, failures in tally.errors.items():
        print(f"{kind}: {len(failures)} errors, first: {failures[0]}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
