"""The long differential run (scripts/long_engine_run.py) is itself right: it agrees, and it notices."""

from __future__ import annotations

import random

import pytest

from engine import Evaluator, PackSource, check_record, compile_packs
from engine.reference import matching_rules
from scripts import long_engine_run
from testing.synthetic import synthetic_packs, synthetic_records


@pytest.fixture(scope="module")
def rules():
    packs = [PackSource(f"synthetic-{n}", pack) for n, pack in enumerate(synthetic_packs(600, seed=3))]
    return [compiled.rule for compiled in compile_packs(packs).rules]


def test_the_filtered_reference_is_the_plain_reference(rules):
    reference = long_engine_run.FilteredReference(rules)
    pool = long_engine_run._literal_pool(rules)
    rnd = random.Random(5)
    records = [check_record(raw) for raw in synthetic_records(600, seed=4)]
    records += [long_engine_run._mutate(record, rules, pool, rnd) for record in records]
    at = long_engine_run.WORKING_DAY
    found = [reference.matching_rules(record, at) for record in records]
    assert found == [matching_rules(rules, record, at) for record in records]
    assert sum(map(bool, found)) > 20  # the comparison is not vacuous
    # Most rules are reached through the filter; only a few are given to every record.
    assert len(reference.unkeyed) < len(rules) / 10


def test_mutated_records_move_towards_the_rules(rules):
    pool = long_engine_run._literal_pool(rules)
    rnd = random.Random(6)
    plain = [check_record(raw) for raw in synthetic_records(400, seed=9)]
    at = long_engine_run.WORKING_DAY
    mutated = [long_engine_run._mutate(record, rules, pool, rnd) for record in plain]
    assert sum(r.values != m.values for r, m in zip(plain, mutated, strict=True)) > 0.9 * len(plain)
    assert sum(bool(matching_rules(rules, r, at)) for r in mutated) > sum(
        bool(matching_rules(rules, r, at)) for r in plain
    )


def test_a_small_run_agrees():
    tally = long_engine_run._run_worker(0, 1, rule_count=500, record_count=1500, plain_share=0.1)
    assert (tally.records, tally.disagreements) == (1500, [])
    assert tally.matched_records > 0 and tally.plain_checked > 50


def test_an_engine_that_loses_a_match_is_caught(monkeypatch):
    class Forgetful(Evaluator):
        def fire_batch(self, records):
            fired = super().fire_batch(records)
            for found in fired:
                if found:
                    del found[max(found)]
            return fired

    monkeypatch.setattr(long_engine_run, "Evaluator", Forgetful)
    tally = long_engine_run._run_worker(0, 1, rule_count=500, record_count=1000, plain_share=0.0)
    assert tally.disagreements and tally.disagreements[0].startswith("engine [")
