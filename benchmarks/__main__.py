"""Benchmarks: ``python -m benchmarks [--quick] [--skip-memory] [--skip-watchlist] [--skip-http] [--skip-ingest]
[--skip-worklist] [--json PATH]``.

Prints a table per case and a summary against the targets, and writes JSON. Each case is
measured side by side in the same run, so ratios stay meaningful on a shared, noisy machine:

1. in-process evaluation at 100 / 500 / 1,000 / 5,000 / 10,000 active rules: this engine
   vs. a naive single durable-rules ruleset holding the same rules (run in a child process
   with a timeout, since it hangs past 511 rules);
2. memory: RSS at start and after many evaluations (``--skip-memory``: about 1.5 min);
3. activation: compile and load of 1,000 and 10,000 rules, in this process and into the
   isolated engine worker as the service does it (``benchmarks.activation``);
4. watchlist screening at 10,000 and 100,000 entries, passengers per CPU second of one
   process (``benchmarks.watchlist``; ``--skip-watchlist``: about 30 s);
5. HTTP end to end with gunicorn on loopback at 1,000 rules: single-passenger latency with
   16 concurrent clients, a 300-passenger manifest, batch throughput, cache hit vs miss
   (``benchmarks.http``), then failed requests while a 10,000-rule ruleset is activated
   through the API under load and the time until every gunicorn worker serves it
   (``benchmarks.activation``); ``--skip-http`` skips both (about 2 min);
6. reading airline messages: every PNRGOV sample (the largest pushes 268 travellers at once) and
   the PAXLST ones beside them, messages and travellers per CPU second (``benchmarks.messages``);
7. ingest end to end: ``targeting ingest`` workers from a RabbitMQ queue of their own (1 and 2
   workers) and from a folder, to committed decisions (``benchmarks.ingest``; ``--skip-ingest``:
   about 2 min);
8. the worklist's first page with 5,000 passengers arriving on one day, on SQLite and PostgreSQL,
   against 200 ms (``benchmarks.worklist``; ``--skip-worklist``: about 3 min).

``--quick`` is a smoke run: fewer records, one repeat, 1,000 rules under load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import time
from pathlib import Path
from typing import Any

from benchmarks import airline, engine_core, http
from benchmarks.activation import TARGET_ACTIVATION_S, activation_time, activation_under_load
from benchmarks.measure import machine, percentile, rss_mb
from benchmarks.watchlist import run as screening
from testing.synthetic import synthetic_packs, synthetic_records

AT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _ours(rule_count: int, record_count: int) -> dict[str, Any]:
    from engine import Evaluator, PackSource, check_record, compile_packs

    packs = [PackSource(f"synthetic-{n}", pack) for n, pack in enumerate(synthetic_packs(rule_count))]
    started = time.perf_counter()
    ruleset = compile_packs(packs)
    compiled = time.perf_counter()
    evaluator = Evaluator(ruleset)
    loaded = time.perf_counter()
    records = [check_record(raw) for raw in synthetic_records(record_count)]
    for record in records[:200]:
        evaluator.evaluate(record, AT)
    timings = []
    hits = 0
    begin = time.perf_counter()
    for record in records:
        one = time.perf_counter()
        hits += bool(evaluator.evaluate(record, AT).matches)
        timings.append(time.perf_counter() - one)
    total = time.perf_counter() - begin
    evaluator.close()
    return {
        "records_per_s": round(len(records) / total),
        "p50_us": round(percentile(timings, 0.5) * 1e6, 1),
        "p99_us": round(percentile(timings, 0.99) * 1e6, 1),
        "hit_share": round(hits / len(records), 3),
        "compile_s": round(compiled - started, 3),
        "load_s": round(loaded - compiled, 3),
        "engine_rulesets": len(ruleset.shards),
    }


def _naive_child(rule_count: int, record_count: int, out: Any) -> None:
    from benchmarks.naive import REGEX_FLAGS, RegexTable, TooComplex, normalise
    from engine import EngineFailure, check_record, durable_adapter
    from engine.language import parse_pack
    from engine.values import encode

    regexes = RegexTable()
    engine_rules = {}
    for number, pack in enumerate(synthetic_packs(rule_count)):
        rules, _ = parse_pack(pack, f"synthetic-{number}")
        for rule in rules:
            try:
                branches = normalise(rule.when, regexes)
            except TooComplex:
                continue
            engine_rules.update({f"c{rule.id}_{b}": conjunction for b, conjunction in enumerate(branches)})
    try:
        single = durable_adapter.EngineRuleset(durable_adapter.ruleset_definition(engine_rules))
    except EngineFailure as exc:
        out.put({"failed": str(exc)})
        return
    fields = sorted({t.field for c in engine_rules.values() for t in c if not t.field.startswith("#")})
    patterns = list(enumerate(regexes.patterns, start=REGEX_FLAGS))
    records = [check_record(raw) for raw in synthetic_records(record_count)]
    errors = 0
    begin = time.perf_counter()
    for record in records:
        values: list[tuple[str, object]] = [(f, encode(v)) for f in fields if (v := record.get(f)) is not None]
        for flag, (field, pattern) in patterns:
            text = record.get(field)
            values.append((f"#{flag}", 1 if isinstance(text, str) and pattern.fullmatch(text) else 0))
        try:
            single.fire(durable_adapter.encode_payload(values))
        except Exception:
            errors += 1
    out.put({"records_per_s": round(len(records) / (time.perf_counter() - begin)), "errors": errors})


def _naive(rule_count: int, record_count: int, timeout: float) -> dict[str, Any]:
    context = mp.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_naive_child, args=(rule_count, record_count, out), daemon=True)
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return {"result": f"hangs (> {timeout:.0f} s)"}
    if child.exitcode != 0:
        return {"result": f"crashed (exit {child.exitcode})"}
    result = out.get()
    if "failed" in result:
        return {"result": f"fails: {result['failed']}"}
    if result["errors"]:
        return {"result": f"{result['errors']} records failed", **result}
    return {"result": "ok", **result}


def _memory(evaluations: int) -> dict[str, Any]:
    from engine import Evaluator, PackSource, check_record, compile_packs

    ruleset = compile_packs([PackSource(f"s{n}", p) for n, p in enumerate(synthetic_packs(1000))])
    evaluator = Evaluator(ruleset)
    records = [check_record(raw) for raw in synthetic_records(2000)]
    for record in records:
        evaluator.evaluate(record, AT)
    start = rss_mb()
    for number in range(evaluations):
        evaluator.evaluate(records[number % len(records)], AT)
    end = rss_mb()
    return {
        "evaluations": evaluations,
        "rss_start_mb": round(start, 1),
        "rss_end_mb": round(end, 1),
        "growth_percent": round(100 * (end - start) / start, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer records and evaluations (a smoke run)")
    parser.add_argument("--skip-memory", action="store_true", help="skip the 1,000,000-evaluation memory case")
    parser.add_argument("--skip-watchlist", action="store_true", help="skip watchlist screening")
    parser.add_argument("--skip-http", action="store_true", help="skip the HTTP cases (gunicorn)")
    parser.add_argument("--skip-ingest", action="store_true", help="skip end-to-end ingest (RabbitMQ, folder)")
    parser.add_argument("--skip-worklist", action="store_true", help="skip the worklist's first page at 5,000")
    parser.add_argument("--json", default="benchmarks/results.json", help="where to write the results")
    args = parser.parse_args()
    began = time.monotonic()
    records = 2000 if args.quick else 20000
    sizes = (100, 500, 1000, 10000, 100000)
    results: dict[str, Any] = {
        "machine": machine(),
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        # What else the shared machine was running: its 1, 5 and 15-minute load averages at the start.
        "load_average": [round(load, 1) for load in os.getloadavg()],
        "in_process": [],
    }
    print(
        f"in-process evaluation, one core, {records:,} synthetic passengers\n"
        f"{'rules':>6} | {'ours rec/s':>10} | {'p50 us':>7} | {'p99 us':>7} | {'hits':>5} | "
        f"{'compile s':>9} | {'load s':>6} | {'rulesets':>8} | {'naive rec/s':>11} | naive | reference rec/s"
    )
    # Per-record work grows with the share of passengers that hit, so it is printed with every row.
    for size in sizes:
        ours = _ours(size, records)
        naive = _naive(size, min(records, 5000), timeout=60) if size <= 10000 else {"result": "not run"}
        reference = engine_core.reference_rate(size, 300) if size <= 1000 else None
        results["in_process"].append({"rules": size, "ours": ours, "naive": naive, "reference_per_s": reference})
        print(
            f"{size:>6} | {ours['records_per_s']:>10} | {ours['p50_us']:>7} | {ours['p99_us']:>7} | "
            f"{ours['hit_share']:>5.1%} | {ours['compile_s']:>9} | {ours['load_s']:>6} | "
            f"{ours['engine_rulesets']:>8} | "
            f"{naive.get('records_per_s', '-'):>11} | {naive['result']} | {reference or '-'}",
            flush=True,
        )
    per_record = {row["rules"]: 1 / row["ours"]["records_per_s"] for row in results["in_process"]}
    results["slowdown_10000_vs_100"] = round(per_record[10000] / per_record[100], 2)
    results["slowdown_100000_vs_10000"] = round(per_record[100000] / per_record[10000], 2)
    print(
        f"per-record cost at 10,000 rules vs 100: {results['slowdown_10000_vs_100']}x; "
        f"at 100,000 vs 10,000: {results['slowdown_100000_vs_10000']}x"
    )
    shapes = engine_core.lists_and_nesting(1000, min(records, 10000))
    results["lists_and_nesting"] = shapes
    print(
        f"lists and nesting, {shapes['rules']:,} rules: plain {shapes['plain_records_per_s']} rec/s, "
        f"each with a 10,000-value list {shapes['list_10000_records_per_s']} ({shapes['list_ratio']}x), "
        f"nested 32 deep {shapes['nested_32_records_per_s']} ({shapes['nested_ratio']}x), "
        f"nested 32 deep with an any at every other level {shapes['nested_32_any_records_per_s']} "
        f"({shapes['nested_any_ratio']}x)",
        flush=True,
    )
    run = engine_core.whole_run(10000, 10000 if args.quick else 100000)
    results["whole_run"] = run
    print(
        f"targeting evaluate: {run['records']:,} records at {run['rules']:,} rules from YAML packs in "
        f"{run['seconds']} s = {run['records_per_s']:,} records/s (exit {run['exit']})",
        flush=True,
    )
    results["peak_rss_mb"] = {size: engine_core.peak_rss_mb(size) for size in (10000, 100000)}
    print(f"peak RSS (compile, load, 2,000 evaluations): {results['peak_rss_mb']} MB", flush=True)
    if not args.skip_memory:
        memory = _memory(50_000 if args.quick else 1_000_000)
        results["memory"] = memory
        print(
            f"memory: RSS {memory['rss_start_mb']} MB -> {memory['rss_end_mb']} MB after "
            f"{memory['evaluations']:,} evaluations ({memory['growth_percent']}%)"
        )

    print(
        f"\nactivation, median of {1 if args.quick else 3} (seconds)\n"
        f"{'rules':>6} | {'shards':>6} | {'compile':>7} | {'load here':>9} | {'load in worker':>14} | "
        f"{'service: compile + worker':>25}"
    )
    results["activation"] = []
    for size in (1000, 10000):
        row = activation_time(size, repeats=1 if args.quick else 3)
        results["activation"].append(row)
        print(
            f"{size:>6} | {row['shards']:>6} | {row['compile_s']:>7} | {row['load_s']:>9} | "
            f"{row['worker_s']:>14} | {row['service_s']:>25}",
            flush=True,
        )

    if not args.skip_watchlist:
        passengers = 2000 if args.quick else 20000
        print(
            f"\nwatchlist screening, {passengers:,} passengers per list\n"
            f"{'entries':>8} | {'build s':>7} | {'pax/cpu-s':>9} | {'p50 us':>6} | {'p99 us':>6} | "
            f"{'candidates':>10} | {'hits':>5} | planted found"
        )
        results["watchlist"] = []
        for size in (10_000, 100_000):
            row = screening(size, passengers)
            results["watchlist"].append(row)
            print(
                f"{size:>8} | {row['build_s']:>7} | {row['passengers_per_cpu_s']:>9} | {row['p50_us']:>6} | "
                f"{row['p99_us']:>6} | {row['candidates_mean']:>10} | {row['hit_share']:>5.1%} | "
                f"{row['planted_found']}/{row['planted']}",
                flush=True,
            )

    if not args.skip_http:
        print("\nHTTP end to end, gunicorn on loopback, 1,000 rules (client and service share the cores)", flush=True)
        served = http.measure(1000, seconds=4 if args.quick else 10, workers=2)
        results["http"] = served
        single = served["single_16_clients"]
        print(
            f"store {served['store']}, cache {served['cache']}, {served['workers']} workers; single passenger, "
            f"16 clients: {single['per_s']} req/s, p50 {single['p50_ms']} ms, p99 {single['p99_ms']} ms, "
            f"{single['failed']} failed; 300-passenger manifest p50 {served['manifest_300_p50_ms']} ms "
            f"(PAXLST {served['paxlst_300_p50_ms']} ms); batch of 1,000: "
            f"{served['batch_1000_passengers_per_s_miss']} passengers/s on a miss, "
            f"{served['batch_1000_passengers_per_s_hit']} on a hit ({served['cache_hit_speedup']}x)",
            flush=True,
        )
        size = 1000 if args.quick else 10000
        print(f"\nactivating a {size:,}-rule ruleset through the API under load (seeding the store first)", flush=True)
        load = activation_under_load(size)
        results["activation_under_load"] = load
        print(
            f"seeded in {load['seed_s']} s, service up in {load['startup_s']} s; activate answered "
            f"{load['activate_status']} in {load['activate_request_s']} s; every worker on the new version after "
            f"{load['all_workers_new_version_s']} s (per worker: {load['per_worker_s']}); "
            f"{load['failed']} of {load['requests']} requests failed; p50/p99 "
            f"{load['p50_ms_before']}/{load['p99_ms_before']} ms before, "
            f"{load['p50_ms_during']}/{load['p99_ms_during']} ms while switching",
            flush=True,
        )

    airline.run(results, args.quick, args.skip_ingest, args.skip_worklist)
    results["summary"] = _summary(results)
    print("\n| case | measured | target | met |\n| --- | --- | --- | --- |")
    for row in results["summary"]:
        print(f"| {row['case']} | {row['measured']} | {row['target']} | {row['met']} |")
    results["seconds"] = round(time.monotonic() - began)
    Path(args.json).write_text(json.dumps(results, indent=2))
    print(
        f"\n{results['machine']}; load average at the start {results['load_average']}; whole run "
        f"{results['seconds']} s; written: {args.json}"
    )
    return 0


def _summary(results: dict[str, Any]) -> list[dict[str, str]]:
    """One row per measured case: its figure, the issue's target where it sets one, and whether it is met."""
    rows: list[dict[str, str]] = []

    def add(case: str, measured: str, target: str = "-", met: bool | None = None) -> None:
        rows.append(
            {"case": case, "measured": measured, "target": target, "met": {None: "-", True: "yes", False: "no"}[met]}
        )

    by_size = {row["rules"]: row["ours"] for row in results["in_process"]}
    if 10000 in by_size:
        rate = by_size[10000]["records_per_s"]
        add("in-process evaluation, 10,000 rules, one core", f"{rate:,} records/s", "30,000 records/s", rate >= 30000)
    naive_500 = next((row["naive"] for row in results["in_process"] if row["rules"] == 500), None)
    if naive_500 is not None and "records_per_s" in naive_500:
        ratio = round(by_size[500]["records_per_s"] / naive_500["records_per_s"], 1)
        add("vs naive single ruleset, 500 rules", f"{ratio}x")
    if "slowdown_10000_vs_100" in results:
        slowdown = results["slowdown_10000_vs_100"]
        add("per-record cost, 10,000 vs 100 rules", f"{slowdown}x", "1.5x", slowdown <= 1.5)
    if "slowdown_100000_vs_10000" in results:
        slowdown = results["slowdown_100000_vs_10000"]
        add("per-record cost, 100,000 vs 10,000 rules", f"{slowdown}x", "1.2x", slowdown <= 1.2)
    if "lists_and_nesting" in results:
        shapes = results["lists_and_nesting"]
        for name, key in (
            ("a 10,000-value list in every rule", "list_ratio"),
            ("32-level nesting (all, not)", "nested_ratio"),
            ("32-level nesting (all, any)", "nested_any_ratio"),
        ):
            ratio = shapes[key]
            add(f"{name} vs plain rules (speed ratio)", f"{ratio}x", "same speed (>= 0.8x)", ratio >= 0.8)
    if "whole_run" in results:
        run = results["whole_run"]
        rate = run["records_per_s"]
        add(
            f"targeting evaluate, {run['records']:,} records at {run['rules']:,} rules, start-up included",
            f"{rate:,} records/s",
            "20,000 records/s",
            rate >= 20000 and run["exit"] == 0,
        )
    for size, limit in ((10000, 260), (100000, 2200)):
        peak = results.get("peak_rss_mb", {}).get(size)
        if peak is not None:
            add(f"peak RSS at {size:,} rules", f"{peak} MB", f"{limit} MB", peak <= limit)
    if "memory" in results:
        memory = results["memory"]
        growth = memory["growth_percent"]
        add(f"RSS growth over {memory['evaluations']:,} evaluations", f"{growth} %", "< 5 %", growth < 5)
    for row in results["activation"]:
        target = f"{TARGET_ACTIVATION_S:g} s" if row["rules"] == 10000 else "-"
        add(
            f"activation, {row['rules']:,} rules (compile + isolated worker)",
            f"{row['service_s']} s",
            target,
            row["service_s"] <= TARGET_ACTIVATION_S if row["rules"] == 10000 else None,
        )
    for row in results.get("watchlist", []):
        rate = row["passengers_per_cpu_s"]
        target = row["entries"] == 100_000
        add(
            f"watchlist screening, {row['entries']:,} entries",
            f"{rate:,} passengers/s per core",
            "2,000 passengers/s per core" if target else "-",
            rate >= 2000 if target else None,
        )
    if "http" in results:
        served = results["http"]
        manifest = served["manifest_300_p50_ms"]
        add("HTTP: 300-passenger manifest at 1,000 rules, p50", f"{manifest} ms", "50 ms", manifest <= 50)
        p99 = served["single_16_clients"]["p99_ms"]
        add("HTTP: single passenger, 16 clients, p99", f"{p99} ms", "10 ms", p99 <= 10)
        speedup = served["cache_hit_speedup"]
        add("HTTP: cache hit vs miss (batch of 1,000)", f"{speedup}x faster", "5x", speedup >= 5)
        add("HTTP: batch endpoint throughput (miss)", f"{served['batch_1000_passengers_per_s_miss']:,} passengers/s")
    if "activation_under_load" in results:
        load = results["activation_under_load"]
        add(
            f"failed requests while activating {load['rules']:,} rules under load",
            f"{load['failed']} of {load['requests']:,}",
            "0",
            load["failed"] == 0 and load["activate_status"] == 200,
        )
        add("activate request under load (store, then this worker's reload)", f"{load['activate_request_s']} s")
        add(
            f"time until all {load['workers']} workers serve the new version",
            f"{load['all_workers_new_version_s']} s",
        )
    for row in airline.summary(results):
        add(*row)
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
