"""Engine-core cases: the reference evaluator, long lists and deep nesting, the whole CLI run, memory.

Each runs in a fresh child process where memory is measured, so one case's heap does not
inflate the next one's figure.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import multiprocessing as mp
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from testing.synthetic import synthetic_packs, synthetic_records

AT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[1]


def reference_rate(rule_count: int, record_count: int) -> int:
    """Records per second of the plain reference evaluator (the language's definition)."""
    from engine import PackSource, check_record, compile_packs
    from engine.reference import matching_rules

    ruleset = compile_packs([PackSource(f"s{n}", pack) for n, pack in enumerate(synthetic_packs(rule_count))])
    rules = [compiled.rule for compiled in ruleset.rules]
    records = [check_record(raw) for raw in synthetic_records(record_count)]
    began = time.perf_counter()
    for record in records:
        matching_rules(rules, record, AT)
    return round(len(records) / (time.perf_counter() - began))


def _long_lists(packs: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """Each rule also requires a membership in a list of ``size`` values that every passenger passes."""
    values = [f"Agency {n}" for n in range(size)] + ["Direct", "Flight Centre", "Quick Travel NZ", "Fast Travel Ltd"]
    changed = copy.deepcopy(packs)
    for pack in changed:
        for rule in pack["rules"]:
            rule["when"] = {"all": [rule["when"], {"field": "booking.travel_agency", "in": values}]}
    return changed


def _nested(packs: list[dict[str, Any]], depth: int, with_any: bool = True) -> list[dict[str, Any]]:
    """Each rule's condition wrapped ``depth`` levels deep so that no level simplifies away:
    an ``all`` with a test every passenger passes, alternating (``with_any``) with an ``any``
    with a test none passes, or with a ``not`` around a test none passes."""
    always = {"field": "passenger_id", "exists": True}
    never = {"field": "booking.checked_bags", "gt": 50}
    changed = copy.deepcopy(packs)
    for pack in changed:
        for rule in pack["rules"]:
            condition = rule["when"]
            for level in range(depth):
                if level % 2:
                    condition = {"all": [condition, always]}
                elif with_any:
                    condition = {"any": [condition, never]}
                else:
                    condition = {"all": [condition, {"not": never}]}
            rule["when"] = condition
    return changed


def _rate(packs: list[dict[str, Any]], record_count: int) -> int:
    from engine import Evaluator, PackSource, check_record, compile_packs

    ruleset = compile_packs([PackSource(f"s{n}", pack) for n, pack in enumerate(packs)])
    records = [check_record(raw) for raw in synthetic_records(record_count)]
    with Evaluator(ruleset) as evaluator:
        for record in records[:200]:
            evaluator.evaluate(record, AT)
        began = time.perf_counter()
        for record in records:
            evaluator.evaluate(record, AT)
        return round(len(records) / (time.perf_counter() - began))


def lists_and_nesting(rule_count: int, record_count: int) -> dict[str, Any]:
    """Rules as generated, with a 10,000-value list added to each, and nested 32 deep: records/s."""
    packs = synthetic_packs(rule_count)
    plain = _rate(packs, record_count)
    listed = _rate(_long_lists(packs, 10_000), record_count)
    nested = _rate(_nested(packs, 32, with_any=False), record_count)
    nested_any = _rate(_nested(packs, 32), record_count)
    return {
        "rules": rule_count,
        "plain_records_per_s": plain,
        "list_10000_records_per_s": listed,
        "nested_32_records_per_s": nested,
        "nested_32_any_records_per_s": nested_any,
        "list_ratio": round(listed / plain, 2),
        "nested_ratio": round(nested / plain, 2),
        "nested_any_ratio": round(nested_any / plain, 2),
    }


def whole_run(rule_count: int, record_count: int) -> dict[str, Any]:
    """``targeting evaluate`` over ``record_count`` records at ``rule_count`` rules from YAML packs,
    start-up, reading and compiling included, output to /dev/null."""
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        for number, pack in enumerate(synthetic_packs(rule_count)):
            (base / f"pack-{number}.yaml").write_text(yaml.safe_dump(pack, sort_keys=False))
        records = base / "records.jsonl"
        with records.open("w") as out:
            for record in synthetic_records(record_count, seed=31):
                out.write(json.dumps(record) + "\n")
        command = [
            sys.executable,
            "-m",
            "targeting",
            "evaluate",
            "--rules",
            str(base),
            "--at",
            AT.isoformat(),
            str(records),
        ]
        began = time.perf_counter()
        finished = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        seconds = time.perf_counter() - began
    return {
        "rules": rule_count,
        "records": record_count,
        "seconds": round(seconds, 1),
        "records_per_s": round(record_count / seconds),
        "exit": finished.returncode,
    }


def _memory_child(rule_count: int, out: Any) -> None:
    from engine import Evaluator, PackSource, check_record, compile_packs

    ruleset = compile_packs([PackSource(f"s{n}", pack) for n, pack in enumerate(synthetic_packs(rule_count))])
    evaluator = Evaluator(ruleset)
    for raw in synthetic_records(2000):
        evaluator.evaluate(check_record(raw), AT)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent that spawned us.
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    out.put(peak / 1024)


def peak_rss_mb(rule_count: int) -> float:
    """Peak RSS of a fresh process that compiles, loads and evaluates at ``rule_count`` rules."""
    context = mp.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_memory_child, args=(rule_count, out))
    child.start()
    value = out.get(timeout=1800)
    child.join()
    return round(float(value), 1)
