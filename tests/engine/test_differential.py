"""The engine path (normalisation, sharding, durable-rules) agrees with the reference evaluator.

Every example runs the whole output path: the matching rule ids must equal the
reference's, and each answer must serialise to strict JSON exactly as the CLI and the API
emit it, with every reason true of the record (a negated reason false) and every
watchlist entry it lists passing the leaf's own operator.

CI runs ``DIFFERENTIAL_EXAMPLES`` (default 2,000) rule packs, each against a batch of
records, on fixed examples (tests/conftest.py); the README documents the 100,000-example
run with fresh seeds (scripts/long_differential.sh).
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Evaluator, PackSource, check_record, compile_packs
from engine.evaluation import Evaluation
from engine.language import All, AnyLeg, AnyOf, Condition, Not, Rule, leaves
from engine.records import PassengerRecord, cut_score
from engine.reference import holds, leaf_holds, matching_rules, value_holds
from engine.values import parse_datetime
from screening import Watchlist, parse_csv
from tests.engine.strategies import AT, LIST_PACKS, WATCHLIST_ROWS, record, rule_pack

EXAMPLES = int(os.environ.get("DIFFERENTIAL_EXAMPLES", "2000"))
_ENTRIES, _PROBLEMS = parse_csv(WATCHLIST_ROWS, today=parse_datetime("2026-01-01T00:00:00Z").date())
assert not _PROBLEMS, _PROBLEMS
WATCHLIST = Watchlist(_ENTRIES)


@settings(max_examples=EXAMPLES)
@given(pack=rule_pack(), records=st.lists(record(), min_size=1, max_size=8), at=st.sampled_from(AT))
def test_engine_agrees_with_reference(pack, records, at):
    # Every generated pack is valid: none may be refused, however deep or wide.
    ruleset = compile_packs([PackSource("generated", pack), *LIST_PACKS])
    when = parse_datetime(at)
    rules = [compiled.rule for compiled in ruleset.rules]
    with Evaluator(ruleset) as evaluator:
        for raw in records:
            checked = check_record(raw)
            # The reference sees the record as screening leaves it (watchlist.* scores set).
            [screened], _ = evaluator.screen([checked], WATCHLIST, when)
            expected = matching_rules(rules, screened, when)
            result = evaluator.evaluate(checked, when, WATCHLIST)
            assert result.rule_ids == expected, (raw, pack)
            _check_output(result, screened, {rule.id: rule for rule in rules})


def _check_output(result: Evaluation, record: PassengerRecord, rules: dict[str, Rule]) -> None:
    """The answer as the CLI and API emit it: strict JSON, each reason true of the record."""
    emitted: dict[str, Any] = json.loads(json.dumps(result.as_dict(), allow_nan=False))
    assert emitted["passenger_id"] == result.passenger_id
    for match in emitted["matches"]:
        assert match["why"], "every match explains itself"
        rule = rules[match["rule_id"]]
        by_path = {leaf.path[leaf.path.index("when") :]: leaf for leaf in leaves(rule.when)}
        legs = {node.path[node.path.index("when") :]: node for node in _leg_conditions(rule.when)}
        for reason in match["why"]:
            if reason["operator"] == "not any_leg":  # no leg satisfies it
                assert not holds(legs[reason["path"]], record) and reason["actual"] == {"legs": len(record.legs)}
                continue
            leaf = by_path[reason["path"]]
            negated = reason["operator"].startswith("not ")
            if "leg" in reason:  # a test of the leg that satisfied its any_leg
                assert leaf_holds(leaf, record.legs[reason["leg"]]) is not negated, (reason, rule.id)
                continue
            assert (reason["field"], reason["operator"].removeprefix("not ")) == (leaf.field, leaf.written_op)
            assert leaf_holds(leaf, record) is not negated, (reason, rule.id)
            if leaf.field.startswith("watchlist.") and not negated:
                _check_listed_entries(reason, leaf.op, leaf.value, leaf.field, record)


def _leg_conditions(condition: Condition) -> list[AnyLeg]:
    found: list[AnyLeg] = []
    pending = [condition]
    while pending:
        node = pending.pop()
        if isinstance(node, AnyLeg):
            found.append(node)
        elif isinstance(node, Not):
            pending.append(node.item)
        elif isinstance(node, All | AnyOf):
            pending.extend(node.items)
    return found


def _check_listed_entries(reason: dict[str, Any], op: str, expected: Any, field: str, record: PassengerRecord) -> None:
    """A watchlist reason lists exactly the screened entries whose score passes the leaf's test."""
    category = field.removeprefix("watchlist.").removesuffix("_score")
    passing = sorted(
        match.entry.id
        for match in record.watchlist
        if (category == "score" or match.entry.category == category)
        and value_holds(op, expected, cut_score(match.score))
    )
    assert sorted(entry["entry_id"] for entry in reason.get("watchlist", [])) == passing


def _codes(count: int) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [a + b + c for a in letters for b in letters for c in letters][:count]


def _stress_pack(kind: str) -> dict[str, Any]:
    """The durable-rules stress cases of the engine note, as rule packs of the language."""
    codes = _codes(2000)
    if kind == "many_true_at_once":  # more than 64 rules true for one record
        # 77 of these hold at once for 25 bags (the engine failed past 64).
        conditions: list[dict[str, Any]] = [{"field": "booking.checked_bags", "gte": n} for n in range(51)]
        conditions += [{"field": "booking.checked_bags", "between": [n, 50]} for n in range(25)]
        conditions += [{"field": "booking.checked_bags", "lte": 50 - n} for n in range(26)]
    elif kind == "identical":  # 300 rules with one identical condition
        conditions = [{"field": "traveller.nationality", "eq": "NZL"}] * 300
    elif kind == "values_on_one_field":  # 2,000 values on one field, as rules and as one list
        conditions = [{"field": "flight.departure_airport", "eq": code} for code in codes]
        conditions.append({"field": "flight.departure_airport", "in": codes})
        conditions.append({"field": "flight.departure_airport", "not_in": codes})
    else:  # 500 negation-only rules
        conditions = [{"not": {"field": "traveller.nationality", "eq": code}} for code in codes[:500]]
        conditions += [{"not": {"field": "document.issuing_country", "in": codes[n : n + 40]}} for n in range(60)]
    rules = [
        {"id": f"STR-{number:04d}", "title": "stress", "weight": 1, "action": "notify", "when": when}
        for number, when in enumerate(conditions)
    ]
    return {"agency": "customs", "rules": rules}


STRESS = ("many_true_at_once", "identical", "values_on_one_field", "negation_only")


@functools.cache
def _stress_ruleset(kind: str):
    return compile_packs([PackSource(kind, _stress_pack(kind))])


@settings(max_examples=max(EXAMPLES // 20, 20))
@given(
    kind=st.sampled_from(STRESS),
    records=st.lists(record(), min_size=1, max_size=4),
    airport=st.sampled_from(["AAA", "ABZ", "CXX", "ZZZ", "LAX"]),
    nationality=st.sampled_from(["AAA", "AAZ", "NZL", "ZZZ"]),
    bags=st.sampled_from([0, 25, 50]) | st.integers(0, 50),
)
def test_stress_packs_agree_with_reference(kind, records, airport, nationality, bags):
    ruleset = _stress_ruleset(kind)
    rules = [compiled.rule for compiled in ruleset.rules]
    when = parse_datetime(AT[1])
    with Evaluator(ruleset) as evaluator:
        for raw in records:
            raw = {**raw, "flight": {**raw.get("flight", {}), "departure_airport": airport}}
            raw["traveller"] = {**(raw.get("traveller") or {}), "nationality": nationality}
            raw["booking"] = {**(raw.get("booking") or {}), "checked_bags": bags}
            checked = check_record(raw)
            result = evaluator.evaluate(checked, when)
            assert result.rule_ids == matching_rules(rules, checked, when)
            _check_output(result, checked, {rule.id: rule for rule in rules})


def test_ci_draws_the_same_examples_every_run():
    """Fixed examples and no example database in CI; the long run loads the fresh profile."""
    active = settings()
    if os.environ.get("HYPOTHESIS_PROFILE", "default") == "default":
        assert active.derandomize and active.database is None
