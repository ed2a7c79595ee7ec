"""The reference evaluator: the rule language's semantics, defined once, in plain Python.

It is deliberately simple and slow. The engine path (normalisation, sharding and
durable-rules) must agree with it on every rule and record; the differential tests in
``tests/engine/test_differential.py`` check exactly that.

Semantics: a comparison on a missing (or null) field is false, whatever the operator,
including ``ne`` and ``not_in``; ``exists: false`` is true only when the field is missing;
``not`` inverts its whole sub-condition; values compare only with values of the field's
own type (dates with dates); a field comparison (``lt_field`` ...) is the same test with the
other field's value, false when either is missing; ``matches`` covers the whole value; a rule outside its
validity dates never matches; ``any_leg`` holds when one itinerary leg satisfies its condition
(an itinerary without legs satisfies none).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from engine.catalogue import FIELD_COMPARISONS
from engine.language import All, AnyLeg, AnyOf, Condition, Leaf, Not, Rule
from engine.records import Leg, PassengerRecord


def holds(condition: Condition, record: PassengerRecord | Leg) -> bool:
    """Whether ``condition`` holds for a record (or, inside ``any_leg``, for one of its legs)."""
    if isinstance(condition, AnyLeg):
        assert isinstance(record, PassengerRecord)
        return any(holds(condition.item, leg) for leg in record.legs)
    if isinstance(condition, All):
        return all(holds(item, record) for item in condition.items)
    if isinstance(condition, AnyOf):
        return any(holds(item, record) for item in condition.items)
    if isinstance(condition, Not):
        return not holds(condition.item, record)
    return leaf_holds(condition, record)


def leaf_holds(leaf: Leaf, record: PassengerRecord | Leg) -> bool:
    if leaf.op in FIELD_COMPARISONS:
        other = record.get(leaf.value)
        return other is not None and value_holds(FIELD_COMPARISONS[leaf.op], other, record.get(leaf.field))
    return value_holds(leaf.op, leaf.value, record.get(leaf.field))


def value_holds(op: str, expected: Any, actual: Any) -> bool:
    """Whether ``actual`` (a typed value, None when missing) passes the test ``op expected``."""
    if op == "exists":
        return bool((actual is not None) == expected)
    if actual is None:
        return False
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if op == "in":
        return bool(actual in expected)
    if op == "not_in":
        return bool(actual not in expected)
    if op == "lt":
        return bool(actual < expected)
    if op == "lte":
        return bool(actual <= expected)
    if op == "gt":
        return bool(actual > expected)
    if op == "gte":
        return bool(actual >= expected)
    if op == "between":
        return bool(expected[0] <= actual <= expected[1])
    if op == "matches":
        return bool(expected.fullmatch(actual))
    if op == "contains":
        return bool(expected in actual)
    if op == "contains_any":
        return any(value in actual for value in expected)
    raise AssertionError(op)


def matching_rules(rules: Iterable[Rule], record: PassengerRecord, at: dt.datetime) -> list[str]:
    """Ids of the rules that match ``record`` at time ``at``, sorted."""
    day = at.astimezone(dt.UTC).date()
    return sorted(rule.id for rule in rules if rule.valid_on(day) and holds(rule.when, record))
