"""Rule behaviour as data: each ``tests/cases/*.yaml`` names packs (or holds one inline, with
the reference lists it uses under ``lists``), records, and the exact set of rules each record
must match. Every case is checked on the
engine path and on the reference evaluator.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine import Evaluator, check_record, compile_packs, read_packs
from engine.compiler import PackSource
from engine.reference import matching_rules
from engine.values import parse_datetime

ROOT = Path(__file__).resolve().parents[2]
CASE_FILES = sorted((ROOT / "tests" / "cases").glob("*.yaml"))
DEFAULT_AT = "2026-12-01T00:00:00Z"


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _cases():
    for path in CASE_FILES:
        spec = _load(path)
        for number, case in enumerate(spec["cases"]):
            yield pytest.param(path, number, id=f"{path.stem}:{case.get('name', number)}")


_evaluators: dict[Path, Evaluator] = {}


def _evaluator(path: Path, spec: dict) -> Evaluator:
    if path not in _evaluators:
        if "rules" in spec:
            lists = [PackSource(f"{path}:lists[{n}]", data) for n, data in enumerate(spec.get("lists", []))]
            packs = [PackSource(str(path), spec["rules"]), *lists]
        else:
            packs, problems = read_packs([ROOT / pack for pack in spec["packs"]])
            assert not problems, problems
        _evaluators[path] = Evaluator(compile_packs(packs))
    return _evaluators[path]


def test_there_are_case_files():
    assert len(CASE_FILES) >= 4


@pytest.mark.parametrize(("path", "number"), list(_cases()))
def test_case(path: Path, number: int):
    spec = _load(path)
    case = spec["cases"][number]
    at = case.get("at", spec.get("at", DEFAULT_AT))
    when = parse_datetime(at)
    evaluator = _evaluator(path, spec)
    record = check_record(case["record"])
    expected = sorted(case["expect"])
    assert sorted(evaluator.evaluate(record, when).rule_ids) == expected
    rules = [compiled.rule for compiled in evaluator.ruleset.rules]
    assert matching_rules(rules, record, when) == expected
