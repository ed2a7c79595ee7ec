"""Long differential run: the engine path against the reference evaluator at scale.

``python -m scripts.long_engine_run`` (defaults: 10,000 rules, 1,000,000 records, one
process per core). Every record is evaluated by the engine path (routing, shards,
durable-rules) and by the reference semantics; any disagreement fails the run and is
printed with the record's values.

The plain reference walks every rule for every record (about 30 ms a record at 10,000
rules), which would make a million records take hours. So each record is checked
against a *candidate-filtered* reference: a rule whose top-level ``all`` holds an
``eq``/``in`` (scalar field) or ``contains`` (list field) test can only match records
whose value equals one of that test's values, so only those rules, plus the rules with no
such test, are given to ``engine.reference.holds``. That filter is exact by Python's own
``==``/hash, and it is itself checked: a share of the records (``--plain-share``) is
also compared with the plain, unfiltered reference.

Records are the seeded synthetic passengers, and half of them are mutated towards the
rules: fields removed, values set to the rules' own literals and one step either side
of them (the boundaries where comparison bugs hide), lists filled with the rules'
countries. A few batches are evaluated after every rule has expired.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine import Evaluator, PackSource, check_record, compile_packs
from engine.catalogue import CATALOGUE, DECIMAL_SCALE, MAX_LIST_LENGTH, FieldType
from engine.language import All, Condition, Leaf, Rule, leaves
from engine.records import PassengerRecord
from engine.reference import holds, matching_rules
from testing.synthetic import synthetic_packs, synthetic_records

BATCH = 500
RULE_SEED = 7
WORKING_DAY = dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.UTC)
AFTER_EXPIRY = dt.datetime(2029, 1, 2, 6, 0, tzinfo=dt.UTC)  # the synthetic rules run to 2028-12-31


def _top_level(condition: Condition) -> Iterator[Condition]:
    """The conditions a match needs every one of (nested ``all`` flattened)."""
    if isinstance(condition, All):
        for item in condition.items:
            yield from _top_level(item)
    else:
        yield condition


def _key_options(rule: Rule) -> list[list[tuple[str, Any]]]:
    """Each a set of (field, value) pairs one of which a matching record must have."""
    options = []
    for item in _top_level(rule.when):
        if not isinstance(item, Leaf):
            continue
        is_list = CATALOGUE[item.field].type is FieldType.CODE_LIST
        if item.op == "eq" and not is_list:
            options.append([(item.field, item.value)])
        elif item.op == "in" and not is_list:
            options.append([(item.field, value) for value in item.value])
        elif item.op == "contains" and is_list:
            options.append([(item.field, item.value)])
    return options


def _keys_of(record: PassengerRecord, fields: list[str]) -> Iterator[tuple[str, Any]]:
    for name in fields:
        value = record.get(name)
        if value is None:
            continue
        for one in value if isinstance(value, tuple) else (value,):
            yield name, one


class FilteredReference:
    """``engine.reference`` semantics, given only the rules a record can possibly match.

    A rule's candidates are the records that pass every one of its key tests (the
    ``eq``/``in``/``contains`` tests a match needs), found through an index of the
    tests' values. That only skips rules that cannot match; ``holds`` decides the rest.
    """

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.unkeyed: list[Rule] = []
        self.needed: dict[int, int] = {}
        self.postings: dict[tuple[str, Any], list[tuple[int, int]]] = defaultdict(list)
        for position, rule in enumerate(rules):
            options = _key_options(rule)
            if not options:
                self.unkeyed.append(rule)
            self.needed[position] = len(options)
            for number, keys in enumerate(options):
                for key in keys:
                    self.postings[key].append((position, number))
        self.fields = sorted({name for name, _ in self.postings})

    def matching_rules(self, record: PassengerRecord, at: dt.datetime) -> list[str]:
        passed: set[tuple[int, int]] = set()
        for key in _keys_of(record, self.fields):
            passed.update(self.postings.get(key, ()))
        candidates = list(self.unkeyed)
        for position, count in Counter(position for position, _ in passed).items():
            if count == self.needed[position]:
                candidates.append(self.rules[position])
        day = at.date()
        return sorted(rule.id for rule in candidates if rule.valid_on(day) and holds(rule.when, record))


def _literal_pool(rules: list[Rule]) -> dict[str, list[Any]]:
    """Per field, the values the rules compare with and, for ordered types, one step either side."""
    pool: dict[str, set[Any]] = defaultdict(set)
    for rule in rules:
        for leaf in leaves(rule.when):
            if leaf.op in ("exists", "matches"):
                continue
            values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
            kind = CATALOGUE[leaf.field].type
            for value in values:
                pool[leaf.field].update(_around(value, kind))
    return {name: sorted(values, key=repr) for name, values in pool.items()}


def _around(value: Any, kind: FieldType) -> list[Any]:
    if kind is FieldType.INTEGER:
        return [value - 1, value, value + 1]
    if kind is FieldType.DECIMAL:
        step = Decimal(1) / DECIMAL_SCALE
        return [value - step, value, value + step]
    if kind is FieldType.DATE:
        return [value - dt.timedelta(days=1), value, value + dt.timedelta(days=1)]
    if kind is FieldType.DATETIME:
        return [value - dt.timedelta(seconds=1), value, value + dt.timedelta(seconds=1)]
    if kind is FieldType.BOOLEAN:
        return [True, False]
    return [value]


def _in_range(name: str, value: Any) -> bool:
    spec = CATALOGUE[name]
    if spec.type not in (FieldType.INTEGER, FieldType.DECIMAL):
        return True
    return (spec.minimum is None or value >= spec.minimum) and (spec.maximum is None or value <= spec.maximum)


def _mutate(
    record: PassengerRecord, rules: list[Rule], pool: dict[str, list[Any]], rnd: random.Random
) -> PassengerRecord:
    """The record moved towards one rule's literals (most of them), then a few random changes."""
    values = dict(record.values)
    for leaf in leaves(rnd.choice(rules).when):
        if rnd.random() < 0.85:
            _aim(values, leaf, rnd)
    for _ in range(rnd.randint(0, 3)):
        if rnd.random() < 0.3:
            present = [name for name in values if name != "passenger_id"]
            if present:
                del values[rnd.choice(present)]
            continue
        name = rnd.choice(list(pool))
        if CATALOGUE[name].type is FieldType.CODE_LIST:
            count = rnd.randint(0, min(4, MAX_LIST_LENGTH))
            values[name] = tuple(rnd.choice(pool[name]) for _ in range(count))
            continue
        value = rnd.choice(pool[name])
        if _in_range(name, value):
            values[name] = value
    return PassengerRecord(values)


def _aim(values: dict[str, Any], leaf: Leaf, rnd: random.Random) -> None:
    """Set the leaf's field to one of its literals, or one step beside it."""
    kind = CATALOGUE[leaf.field].type
    if leaf.op == "exists":
        if not leaf.value:
            values.pop(leaf.field, None)
        return
    if leaf.op == "matches":
        return
    literals = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
    if kind is FieldType.CODE_LIST:
        present = values.get(leaf.field) or ()
        values[leaf.field] = (*present, rnd.choice(literals))[-MAX_LIST_LENGTH:]
        return
    value = rnd.choice(_around(rnd.choice(literals), kind))
    if _in_range(leaf.field, value):
        values[leaf.field] = value


@dataclass
class Tally:
    records: int = 0
    mutated: int = 0
    matched_records: int = 0
    matches: int = 0
    plain_checked: int = 0
    seconds: float = 0.0
    disagreements: list[str] = field(default_factory=list)


def _batch(number: int, size: int, rules: list[Rule], pool: dict[str, list[Any]]) -> tuple[list[PassengerRecord], int]:
    """Batch ``number``'s records (the same for every run) and how many were mutated."""
    rnd = random.Random(number)
    records, mutated = [], 0
    for raw in synthetic_records(size, seed=1_000_000 + number):
        record = check_record(raw)
        if rnd.random() < 0.5:
            record = _mutate(record, rules, pool, rnd)
            mutated += 1
        records.append(record)
    return records, mutated


def _run_worker(worker: int, workers: int, rule_count: int, record_count: int, plain_share: float) -> Tally:
    packs = [PackSource(f"synthetic-{n}", pack) for n, pack in enumerate(synthetic_packs(rule_count, seed=RULE_SEED))]
    ruleset = compile_packs(packs)
    rules = [compiled.rule for compiled in ruleset.rules]
    pool = _literal_pool(rules)
    reference = FilteredReference(rules)
    tally = Tally()
    started = time.perf_counter()
    with Evaluator(ruleset) as evaluator:
        batches = range(worker, (record_count + BATCH - 1) // BATCH, workers)
        for batch_number in batches:
            rnd = random.Random(-batch_number)
            size = min(BATCH, record_count - batch_number * BATCH)
            records, mutated = _batch(batch_number, size, rules, pool)
            tally.mutated += mutated
            at = AFTER_EXPIRY if batch_number % 97 == 96 else WORKING_DAY
            for record, evaluation in zip(records, evaluator.evaluate_batch(records, at), strict=True):
                engine_ids = evaluation.rule_ids
                expected = reference.matching_rules(record, at)
                if rnd.random() < plain_share:
                    tally.plain_checked += 1
                    plain = matching_rules(rules, record, at)
                    if plain != expected:
                        tally.disagreements.append(f"filtered reference {expected} != plain {plain}: {record.values}")
                if engine_ids != expected:
                    tally.disagreements.append(f"engine {engine_ids} != reference {expected} at {at}: {record.values}")
                tally.records += 1
                tally.matches += len(expected)
                tally.matched_records += bool(expected)
            if len(tally.disagreements) >= 20:
                break
            if tally.records % 50_000 < BATCH:
                elapsed = time.perf_counter() - started
                print(f"worker {worker}: {tally.records:,} records, {elapsed:.0f} s", file=sys.stderr, flush=True)
    tally.seconds = time.perf_counter() - started
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--plain-share", type=float, default=0.01, help="share also checked by the plain reference")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"long engine run: {args.rules} rules, {args.records} records, {args.processes} processes", flush=True)
    jobs = [(worker, args.processes, args.rules, args.records, args.plain_share) for worker in range(args.processes)]
    # Spawned, not forked: each worker loads its own durable-rules from a clean process.
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        tallies = pool.starmap(_run_worker, jobs)
    total = Tally()
    for tally in tallies:
        total.records += tally.records
        total.mutated += tally.mutated
        total.matched_records += tally.matched_records
        total.matches += tally.matches
        total.plain_checked += tally.plain_checked
        total.disagreements += tally.disagreements
    elapsed = time.perf_counter() - started
    rows = [
        ("rules", args.rules),
        ("records evaluated", total.records),
        ("records mutated towards the rules", total.mutated),
        ("records with a match", total.matched_records),
        ("matches", total.matches),
        ("records also checked by the plain reference", total.plain_checked),
        ("disagreements", len(total.disagreements)),
        ("wall time, s", f"{elapsed:.0f}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    for disagreement in total.disagreements[:20]:
        print("DISAGREEMENT:", disagreement, file=sys.stderr)
    return 1 if total.disagreements or total.records < args.records else 0


if __name__ == "__main__":
    raise SystemExit(main())
