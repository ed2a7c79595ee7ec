"""``targeting rules test``: the shipped packs' own tests, and what the runner reports when a case fails."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine import check_record
from engine.reference import matching_rules
from engine.values import parse_datetime
from targeting.cli import main
from targeting.rule_tests import DEFAULT_AT, find_test_files, run_tests

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = find_test_files([ROOT / "rules"])

PACK = """
agency: customs
rules:
  - id: CUS-0801
    title: cash through Bogota
    weight: 40
    action: refer
    when: {all: [{field: booking.payment_method, eq: cash}, {field: flight.departure_airport, eq: BOG}]}
  - id: CUS-0802
    title: heavy bags
    weight: 10
    action: notify
    when: {field: booking.checked_bags, gte: 4}
"""


def test_every_shipped_rule_is_matched_by_a_passing_case():
    run = run_tests([ROOT / "rules"])
    assert len(SHIPPED) >= 6
    assert [result.describe() for result in run.failed] == []
    assert run.uncovered() == []
    assert len(run.rules) >= 40


def _shipped_cases():
    for path in SHIPPED:
        for number, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]):
            yield pytest.param(path, number, id=f"{path.stem}:{case['name']}")


@pytest.mark.parametrize(("path", "number"), list(_shipped_cases()))
def test_shipped_cases_hold_on_the_reference_evaluator_too(path: Path, number: int):
    from engine import Evaluator, compile_packs
    from targeting.rule_tests import packs_of, watchlist_of

    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    case = spec["cases"][number]
    at = parse_datetime(str(case.get("at", spec.get("at", DEFAULT_AT))))
    watchlist = watchlist_of(path, spec.get("watchlist"))
    with Evaluator(compile_packs(packs_of(path, spec))) as evaluator:
        record = check_record(case["record"])
        [screened], _ = evaluator.screen([record], watchlist, at)
        expected = matching_rules([compiled.rule for compiled in evaluator.ruleset.rules], screened, at)
        assert evaluator.evaluate(record, at, watchlist).rule_ids == expected
    assert set(case["expect"]) <= set(expected)
    assert not set(case.get("expect_not", [])) & set(expected)


def _write(tmp_path: Path, cases: str) -> Path:
    (tmp_path / "pack.yaml").write_text(PACK)
    test = tmp_path / "pack_test.yaml"
    test.write_text("packs: [pack.yaml]\nat: 2026-12-01T00:00:00Z\ncases:\n" + cases)
    return test


def test_a_failing_case_names_the_missing_rule_its_first_failing_test_and_the_unexpected_ones(tmp_path, capsys):
    test = _write(
        tmp_path,
        "  - name: cash via Lima\n"
        "    record: {booking: {payment_method: cash, checked_bags: 5}, flight: {departure_airport: LIM}}\n"
        "    expect: [CUS-0801]\n"
        "    expect_not: [CUS-0802]\n"
        "  - name: passes\n"
        "    record: {booking: {payment_method: cash}, flight: {departure_airport: BOG}}\n"
        "    expect: [CUS-0801]\n",
    )
    assert main(["rules", "test", str(test)]) == 1
    out = capsys.readouterr()
    [line] = out.out.splitlines()
    assert "cash via Lima: FAILED" in line
    assert "missing CUS-0801 (when.all[1]: flight.departure_airport eq did not hold; the record has 'LIM')" in line
    assert "unexpected CUS-0802" in line
    assert "2 cases, 1 failed" in out.err


def test_coverage_lists_the_rules_no_case_matched(tmp_path, capsys):
    test = _write(
        tmp_path,
        "  - name: bags\n    record: {booking: {checked_bags: 5}}\n    expect: [CUS-0802]\n",
    )
    assert main(["rules", "test", "--coverage", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == f"{test}: CUS-0801: matched by no case"
    assert "coverage: 1 of 2 rules" in out.err


@pytest.mark.parametrize(
    ("cases", "message"),
    [
        ("  - name: x\n    record: {booking: {checked_bags: 5}}\n", "needs 'expect' and/or 'expect_not'"),
        ("  - name: x\n    record: {booking: {checked_bagz: 5}}\n    expect: [CUS-0802]\n", "booking.checked_bagz"),
        ("  - name: x\n    record: {}\n    expect: [CUS-0999]\n", "missing CUS-0999 (no such rule in the packs)"),
        ("  - name: x\n    record: {}\n    expect: [CUS-0802]\n    expected: []\n", "unknown case key expected"),
    ],
)
def test_a_broken_case_fails_with_a_message(tmp_path, capsys, cases, message):
    assert main(["rules", "test", str(_write(tmp_path, cases))]) == 1
    assert message in capsys.readouterr().out


def test_no_test_files_is_a_failure(tmp_path, capsys):
    assert main(["rules", "test", str(tmp_path)]) == 1
    assert "no *_test.yaml files found" in capsys.readouterr().out
