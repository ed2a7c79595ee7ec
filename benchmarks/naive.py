"""The naive baseline: every rule in one durable-rules ruleset, tested on record values.

This is how durable-rules is used without this project's index stage: each rule's
condition in disjunctive normal form over the record's own values, one ``$and`` chain per
branch, all in one ruleset (the first engine of this project did this, sharded). Kept only
to measure against, side by side; it has none of the engine's safety bounds.
"""

from __future__ import annotations

from typing import Any

from engine.catalogue import CATALOGUE, FieldType
from engine.language import All, AnyLeg, Condition, Leaf, Not
from engine.network import ALL_NEQ, ANY_EQ, EQ, EX, GT, GTE, LT, LTE, NEQ, NEX, Conjunction, EngineTest
from engine.values import encode

REGEX_FLAGS = 190_000  # regex flags as engine properties a190000...: clear of catalogue names
MAX_CONJUNCTIONS = 32
MAX_TESTS_PER_CONJUNCTION = 24

_COMPLEMENT = {LT: GTE, LTE: GT, GT: LTE, GTE: LT}

MAX_CONJUNCTIONS = 32  # per rule, after normalisation
MAX_TESTS_PER_CONJUNCTION = 24


class TooComplex(ValueError):
    pass


class RegexTable:
    """Assigns each distinct (field, pattern) of a ruleset a boolean flag property."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], int] = {}
        self.patterns: list[tuple[str, Any]] = []

    def flag(self, leaf: Leaf) -> str:
        key = (leaf.field, leaf.value.source)
        if key not in self.entries:
            self.entries[key] = len(self.patterns)
            self.patterns.append((leaf.field, leaf.value))
        return f"#{REGEX_FLAGS + self.entries[key]}"


def normalise(condition: Condition, regexes: RegexTable) -> list[Conjunction]:
    """The condition as a list of conjunctions (any of which makes the rule match)."""
    conjunctions = _dnf(condition, False, regexes)
    for conjunction in conjunctions:
        if len(conjunction) > MAX_TESTS_PER_CONJUNCTION:
            raise TooComplex(
                f"a branch of this rule needs {len(conjunction)} engine tests (at most {MAX_TESTS_PER_CONJUNCTION})"
            )
    return conjunctions


def _dnf(condition: Condition, negated: bool, regexes: RegexTable) -> list[Conjunction]:
    if isinstance(condition, Not):
        return _dnf(condition.item, not negated, regexes)
    if isinstance(condition, Leaf):
        return _simplify(_leaf(condition, negated, regexes))
    if isinstance(condition, AnyLeg):
        raise TooComplex("any_leg is not in the naive model")
    conjunctive = isinstance(condition, All) != negated
    parts = [_dnf(item, negated, regexes) for item in condition.items]
    if not conjunctive:
        return _simplify([c for part in parts for c in part])
    product: list[Conjunction] = [()]
    for part in parts:
        _check_size(len(product) * len(part), limit=MAX_CONJUNCTIONS * MAX_CONJUNCTIONS)
        product = _simplify([left + right for left in product for right in part])
    return product


def _simplify(conjunctions: list[Conjunction]) -> list[Conjunction]:
    """Drop contradictory and absorbed conjunctions and implied tests; the meaning is unchanged.

    Tests are compared by what the engine tests (``EngineTest.key``), so the same test reached
    from two leaves counts once.
    """
    kept: dict[frozenset[tuple[str, str, object]], Conjunction] = {}
    for conjunction in conjunctions:
        cleaned = _clean(conjunction)
        if cleaned is not None:
            kept.setdefault(frozenset(test.key for test in cleaned), cleaned)
    keys = list(kept)
    result = [kept[key] for key in keys if not any(other < key for other in keys)]
    _check_size(len(result))
    return result


def _clean(conjunction: Conjunction) -> Conjunction | None:
    """The conjunction without repeated or implied tests, or None if it can never hold."""
    tests = tuple({test.key: test for test in reversed(conjunction)}.values())[::-1]
    by_field: dict[str, list[EngineTest]] = {}
    for test in tests:
        by_field.setdefault(test.field, []).append(test)
    drop: set[EngineTest] = set()
    for field_tests in by_field.values():
        ops = {test.op for test in field_tests}
        if NEX in ops and ops - {NEX}:
            return None  # "missing" and a test that needs the field present
        if EX in ops and ops - {EX}:
            drop.update(test for test in field_tests if test.op == EX)  # implied by the other tests
        equal = {test.value for test in field_tests if test.op == EQ}
        unequal = {test.value for test in field_tests if test.op == NEQ}
        if len(equal) > 1 or equal & unequal:
            return None
    return tuple(test for test in tests if test not in drop)


def _check_size(count: int, limit: int = MAX_CONJUNCTIONS) -> None:
    if count > limit:
        raise TooComplex(
            f"this rule expands to more than {MAX_CONJUNCTIONS} alternative branches; "
            "split it into several rules or simplify nested any/not"
        )


def _leaf(leaf: Leaf, negated: bool, regexes: RegexTable) -> list[Conjunction]:
    field = CATALOGUE[leaf.field]

    def t(op: str, value: Any = None, name: str = leaf.field) -> EngineTest:
        engine_value = None if value is None else encode(value)
        return EngineTest(name, op, engine_value)

    missing = (t(NEX),)
    op, value = leaf.op, leaf.value
    if op == "exists":
        present = value != negated
        return [(t(EX),)] if present else [missing]
    if op == "matches":
        # The flag is 1 when the field is present and matches, 0 otherwise (also when missing).
        return [(t(EQ, 0 if negated else 1, regexes.flag(leaf)),)]
    if field.type is FieldType.CODE_LIST:
        values = (value,) if op == "contains" else value
        if not negated:
            return [(t(ANY_EQ, v),) for v in values]
        return [missing, tuple(t(ALL_NEQ, v) for v in values)]
    if not negated:
        if op == "eq":
            return [(t(EQ, value),)]
        if op == "ne":
            return [(t(NEQ, value),)]
        if op == "in":
            return [(t(EQ, v),) for v in value]
        if op == "not_in":
            return [tuple(t(NEQ, v) for v in value)]
        if op == "between":
            return [(t(GTE, value[0]), t(LTE, value[1]))]
        return [(t(op, value),)]
    if op == "eq":
        return [missing, (t(NEQ, value),)]
    if op == "ne":
        return [missing, (t(EQ, value),)]
    if op == "in":
        return [missing, tuple(t(NEQ, v) for v in value)]
    if op == "not_in":
        return [missing, *[(t(EQ, v),) for v in value]]
    if op == "between":
        return [missing, (t(LT, value[0]),), (t(GT, value[1]),)]
    return [missing, (t(_COMPLEMENT[op], value),)]
