"""Benchmarks: ``python -m benchmarks [--quick] [--json PATH]``.

Prints a table and writes JSON. Each case is measured side by side in the same run, so
ratios stay meaningful on a shared, noisy machine. Cases so far:

1. in-process evaluation at 100 / 1,000 / 5,000 / 10,000 active rules: this engine vs. a
   naive single durable-rules ruleset holding the same rules (run in a child process with
   a timeout, since it hangs past 511 rules);
4. activation: compile and load time of a ruleset;
5. memory: RSS at start and after many evaluations.

HTTP, watchlist and failure-during-activation cases are still to come (see the issue).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import platform
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import percentile, rss_mb
from benchmarks.synthetic import synthetic_packs, synthetic_records

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
    from engine import EngineFailure, PackSource, check_record, compile_packs, durable_adapter
    from engine.evaluation import Evaluator

    ruleset = compile_packs([PackSource(f"synthetic-{n}", p) for n, p in enumerate(synthetic_packs(rule_count))])
    engine_rules = {
        f"c{position}_{branch}": conjunction
        for position, compiled in enumerate(ruleset.rules)
        for branch, conjunction in enumerate(compiled.conjunctions)
    }
    try:
        single = durable_adapter.EngineRuleset(durable_adapter.ruleset_definition(engine_rules))
    except EngineFailure as exc:
        out.put({"failed": str(exc)})
        return
    helper = Evaluator.__new__(Evaluator)  # reuse only the value encoding of the real evaluator
    helper._patterns = {f"regex:{n}": entry for n, entry in enumerate(ruleset.regexes)}
    fields = sorted({t.field for c in engine_rules.values() for t in c})
    records = [check_record(raw) for raw in synthetic_records(record_count)]
    errors = 0
    begin = time.perf_counter()
    for record in records:
        values = [(f, v) for f in fields if (v := helper._engine_value(f, record)) is not None]
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
    parser.add_argument("--json", default="benchmarks/results.json", help="where to write the results")
    args = parser.parse_args()
    records = 2000 if args.quick else 20000
    sizes = (100, 1000, 5000, 10000)
    results: dict[str, Any] = {
        "machine": f"{platform.node()} {platform.machine()} {platform.python_version()} cpus={mp.cpu_count()}",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "in_process": [],
    }
    print(
        f"{'rules':>6} | {'ours rec/s':>10} | {'p50 us':>7} | {'p99 us':>7} | {'hits':>5} | "
        f"{'compile s':>9} | {'load s':>6} | {'naive rec/s':>11} | naive"
    )
    for size in sizes:
        ours = _ours(size, records)
        naive = _naive(size, min(records, 5000), timeout=60)
        results["in_process"].append({"rules": size, "ours": ours, "naive": naive})
        print(
            f"{size:>6} | {ours['records_per_s']:>10} | {ours['p50_us']:>7} | {ours['p99_us']:>7} | "
            f"{ours['hit_share']:>5} | {ours['compile_s']:>9} | {ours['load_s']:>6} | "
            f"{naive.get('records_per_s', '-'):>11} | {naive['result']}",
            flush=True,
        )
    per_record = {row["rules"]: 1 / row["ours"]["records_per_s"] for row in results["in_process"]}
    results["slowdown_10000_vs_100"] = round(per_record[10000] / per_record[100], 2)
    print(f"per-record cost at 10,000 rules vs 100: {results['slowdown_10000_vs_100']}x")
    memory = _memory(50_000 if args.quick else 1_000_000)
    results["memory"] = memory
    print(
        f"memory: RSS {memory['rss_start_mb']} MB -> {memory['rss_end_mb']} MB after "
        f"{memory['evaluations']:,} evaluations ({memory['growth_percent']}%)"
    )
    Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"written: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
