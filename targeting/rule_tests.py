"""Rule tests, the way ``opa test`` tests policies: example passengers and the rules they must match.

A test file (``*_test.yaml``) names the packs and lists it needs, by path relative to the
file (or holds a pack inline under ``rules``), and its cases::

    packs: [drugs.yaml, ../lists/source_countries.yaml]
    watchlist: ../../seeds/watchlist.csv  # optional: screen as the service does (a path, or CSV text)
    at: 2026-12-01T00:00:00Z            # optional, for every case
    cases:
      - name: cash ticket through Bogota
        at: 2026-12-02T00:00:00Z        # optional
        record: {flight: {departure_airport: BOG}, booking: {payment_method: cash}}
        expect: [CUS-0001]              # these rules must match
        expect_not: [CUS-0002]          # these must not

A failing case says which expected rules did not match, each with the first test of the
rule that did not hold and the record's value for it, and which rules matched against
``expect_not``. Coverage lists the rules no case matched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.compiler import PackSource, compile_packs
from engine.conditions import All, AnyLeg, AnyOf, Condition, Leaf, Not
from engine.errors import EngineError, RecordError, RuleCompilationError
from engine.evaluation import Evaluator
from engine.packs import RULE_TEST_SUFFIX as TEST_SUFFIX
from engine.packs import read_packs
from engine.records import PassengerRecord, check_record
from engine.reference import holds, leaf_holds
from engine.values import ValueProblem, parse_datetime, to_json
from screening import Watchlist, parse_csv
from targeting.wording import counted, plural

DEFAULT_AT = "2026-12-01T00:00:00Z"
CASE_KEYS = frozenset({"name", "at", "record", "expect", "expect_not"})
FILE_KEYS = frozenset({"description", "packs", "rules", "lists", "watchlist", "at", "cases"})


@dataclass(frozen=True)
class CaseResult:
    file: str
    name: str
    missing: tuple[tuple[str, str], ...] = ()  # (rule id, why it did not match)
    unexpected: tuple[str, ...] = ()
    error: str = ""
    matched: frozenset[str] = frozenset()

    @property
    def passed(self) -> bool:
        return not (self.missing or self.unexpected or self.error)

    def describe(self) -> str:
        parts = [f"{self.file}: {self.name}: FAILED"]
        if self.error:
            parts.append(self.error)
        for rule_id, why in self.missing:
            parts.append(f"missing {rule_id} ({why})")
        if self.unexpected:
            parts.append(f"unexpected {', '.join(self.unexpected)}")
        return "; ".join(parts)


@dataclass
class RuleTestRun:
    results: list[CaseResult] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)  # rule id -> the test file whose packs hold it

    @property
    def failed(self) -> list[CaseResult]:
        return [result for result in self.results if not result.passed]

    def uncovered(self) -> list[str]:
        """Rules of the tested packs that no case matched."""
        matched = {rule_id for result in self.results for rule_id in result.matched}
        return sorted(set(self.rules) - matched)


def find_test_files(paths: Iterable[str | Path]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        found.extend(sorted(path.rglob(f"*{TEST_SUFFIX}")) if path.is_dir() else [path])
    return found


def run_tests(paths: Iterable[str | Path]) -> RuleTestRun:
    """Every case of every test file under ``paths``."""
    paths = list(paths)
    run = RuleTestRun()
    files = find_test_files(paths)
    if not files:
        where = ", ".join(str(path) for path in paths)
        run.results.append(CaseResult(where, "(no test files)", error=f"no *{TEST_SUFFIX} files found"))
    for path in files:
        _run_file(path, run)
    return run


def _run_file(path: Path, run: RuleTestRun) -> None:
    source = str(path)
    try:
        packs, problems = read_packs([path])
        spec = packs[0].data if packs else None
        if problems or not isinstance(spec, Mapping):
            raise _FileError("; ".join(str(p) for p in problems) or "a test file must be a mapping")
        unknown = sorted(str(key) for key in spec if key not in FILE_KEYS)
        if unknown:
            raise _FileError(f"unknown {plural(len(unknown), 'key')} {', '.join(unknown)}")
        watchlist = watchlist_of(path, spec.get("watchlist"))
        evaluator = Evaluator(compile_packs(packs_of(path, spec)))
    except (_FileError, RuleCompilationError) as exc:
        message = "; ".join(str(p) for p in exc.problems) if isinstance(exc, RuleCompilationError) else str(exc)
        run.results.append(CaseResult(source, "(file)", error=message))
        return
    with evaluator:
        for compiled in evaluator.ruleset.rules:
            run.rules.setdefault(compiled.rule.id, source)
        cases = spec.get("cases")
        if not isinstance(cases, list) or not cases:
            run.results.append(CaseResult(source, "(file)", error="'cases' must be a non-empty list"))
            return
        for number, case in enumerate(cases):
            run.results.append(_run_case(source, number, case, spec, evaluator, watchlist))


class _FileError(Exception):
    pass


def packs_of(path: Path, spec: Mapping[str, Any]) -> list[PackSource]:
    packs: list[PackSource] = []
    if "rules" in spec:
        packs.append(PackSource(f"{path}:rules", spec["rules"]))
    for position, data in enumerate(spec.get("lists") or []):
        packs.append(PackSource(f"{path}:lists[{position}]", data))
    named = spec.get("packs") or []
    if not isinstance(named, list) or not all(isinstance(item, str) for item in named):
        raise _FileError("'packs' must be a list of paths")
    if named:
        found, problems = read_packs([path.parent / item for item in named])
        if problems:
            raise _FileError("; ".join(str(p) for p in problems))
        packs.extend(found)
    if not packs:
        raise _FileError("a test file needs 'packs' (paths) or an inline pack under 'rules'")
    return packs


def watchlist_of(path: Path, value: Any) -> Watchlist | None:
    """The watchlist a test file screens with: a CSV file (relative to it) or CSV text; None without."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _FileError("'watchlist' must be the path of a CSV file, or CSV text")
    text = (path.parent / value).read_text(encoding="utf-8") if value.endswith(".csv") else value
    entries, problems = parse_csv(text, today=parse_datetime(DEFAULT_AT).date())
    if problems:
        raise _FileError("watchlist: " + "; ".join(str(problem) for problem in problems))
    return Watchlist(entries)


def _run_case(
    source: str, number: int, case: Any, spec: Mapping[str, Any], evaluator: Evaluator, watchlist: Watchlist | None
) -> CaseResult:
    name = str(case.get("name", f"case {number}")) if isinstance(case, Mapping) else f"case {number}"
    try:
        if not isinstance(case, Mapping) or "record" not in case:
            raise _FileError("a case needs 'record'")
        unknown = sorted(str(key) for key in case if key not in CASE_KEYS)
        if unknown:
            raise _FileError(f"unknown case {plural(len(unknown), 'key')} {', '.join(unknown)}")
        expect, expect_not = _ids(case, "expect"), _ids(case, "expect_not")
        if not expect and not expect_not:
            raise _FileError("a case needs 'expect' and/or 'expect_not'")
        at = parse_datetime(str(case.get("at", spec.get("at", DEFAULT_AT))))
        record = check_record(case["record"])
        matched = frozenset(evaluator.evaluate(record, at, watchlist).rule_ids)
    except (_FileError, ValueProblem, RecordError, EngineError) as exc:
        message = "; ".join(str(p) for p in exc.problems) if isinstance(exc, RecordError) else str(exc)
        return CaseResult(source, name, error=message)
    known = {compiled.rule.id: compiled.rule for compiled in evaluator.ruleset.rules}
    missing = []
    for rule_id in expect:
        if rule_id in matched:
            continue
        rule = known.get(rule_id)
        if rule is None:
            missing.append((rule_id, "no such rule in the packs"))
        elif not rule.valid_on(at.date()):
            missing.append((rule_id, f"not valid on {at.date().isoformat()}"))
        else:
            missing.append((rule_id, first_failure(rule.when, record)))
    unexpected = tuple(sorted(rule_id for rule_id in expect_not if rule_id in matched))
    return CaseResult(source, name, tuple(missing), unexpected, matched=matched)


def _ids(case: Mapping[str, Any], key: str) -> list[str]:
    value = case.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _FileError(f"'{key}' must be a list of rule ids")
    return value


def first_failure(condition: Condition, record: PassengerRecord) -> str:
    """The first test, in the rule's order, that keeps ``condition`` from holding, with the record's value."""
    found = _first(condition, record, want=True)
    return found or "the condition does not hold"


def _first(condition: Condition, record: Any, want: bool) -> str | None:
    if isinstance(condition, Leaf):
        if leaf_holds(condition, record) == want:
            return None
        actual = to_json(record.get(condition.field))
        written = condition.written_op if want else f"not {condition.written_op}"
        return f"{_relative(condition.path)}: {condition.field} {written} did not hold; the record has {actual!r}"
    if isinstance(condition, Not):
        return _first(condition.item, record, not want)
    if isinstance(condition, AnyLeg):
        if holds(condition, record) == want:
            return None
        legs = len(record.legs)
        verb = "no leg satisfies" if want else "a leg satisfies"
        return f"{_relative(condition.path)}: {verb} any_leg ({counted(legs, 'leg')})"
    items: Sequence[Condition] = condition.items
    requires_all = isinstance(condition, All) == want
    if requires_all:
        return next((found for item in items if (found := _first(item, record, want)) is not None), None)
    assert isinstance(condition, All | AnyOf)
    if any(holds(item, record) == want for item in items):
        return None
    return _first(items[0], record, want)


def _relative(path: str) -> str:
    return path[path.index("when") :] if "when" in path else path
