"""Warnings about rules that compile but are probably not what the officer meant.

``targeting rules validate`` prints them as warnings; with ``--strict`` they fail it:

``no_expiry``         a rule without ``valid_until`` (activation requires one)
``expired``           a rule whose ``valid_until`` has passed
``never_matches``     tests no record can pass together: contradictory bounds on one field,
                      an ``eq`` outside an ``in`` list, lists with nothing in common
``repeated_test``     the same test twice in one ``all``
``duplicate_rule``    two rules with the same conditions

Each warning is a ``Problem`` with the rule's source, id and path, like a compile error.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from engine.atoms import MEMBER, RANGE, Atom
from engine.catalogue import CATALOGUE, FieldType
from engine.conditions import All, AnyLeg, AnyOf, Condition, Leaf, Not
from engine.errors import Problem
from engine.formulas import Formula
from engine.ruleset import CompiledRule, CompiledRuleset
from engine.values import TypedValue


def lint(ruleset: CompiledRuleset, today: dt.date) -> list[Problem]:
    """Every warning about the compiled ``ruleset``'s rules, as of ``today``."""
    found: list[Problem] = []
    first_with: dict[object, str] = {}
    for compiled in ruleset.rules:
        rule = compiled.rule
        at = rule.path

        def warn(code: str, path: str, message: str, rule_id: str = rule.id, source: str = rule.source) -> None:
            found.append(Problem(code, message, path, rule_id, source))

        if rule.valid_until is None:
            warn("no_expiry", f"{at}.valid_until", "the rule has no valid_until; activation requires one")
        elif rule.valid_until < today:
            warn("expired", f"{at}.valid_until", f"the rule expired on {rule.valid_until.isoformat()}")
        contradiction = _contradiction(compiled, ruleset.atoms)
        if contradiction:
            warn("never_matches", rule.when.path, f"the rule can never match: {contradiction}")
        for path, message in _repeated_tests(rule.when):
            warn("repeated_test", path, message)
        earlier = first_with.setdefault(_canonical(compiled.formula), rule.id)
        if earlier != rule.id:
            warn("duplicate_rule", rule.when.path, f"the same conditions as {earlier}")
    return found


def _canonical(formula: Formula) -> Formula:
    """The formula with the items of every and/or in one order: equal for the same conditions."""
    kind = formula[0]
    if kind == "atom":
        return formula
    if kind == "not":
        return ("not", _canonical(formula[1]))
    return (kind, tuple(sorted((_canonical(item) for item in formula[1]), key=repr)))


def _contradiction(compiled: CompiledRule, atoms: Sequence[Atom]) -> str | None:
    """Why the tests the rule requires (its top-level ``all``) cannot hold together, or None."""
    formula = compiled.formula
    required = formula[1] if formula[0] == "and" else (formula,)
    by_field: dict[str, list[Atom]] = defaultdict(list)
    for item in required:
        if item[0] == "atom":
            atom = atoms[item[1]]
            if atom.kind in (MEMBER, RANGE) and CATALOGUE[atom.field].type is not FieldType.CODE_LIST:
                by_field[atom.field].append(atom)
    for name, tests in sorted(by_field.items()):
        members = [atom.values for atom in tests if atom.kind == MEMBER]
        ranges = [atom for atom in tests if atom.kind == RANGE]
        allowed = frozenset.intersection(*members) if members else None
        if allowed is not None and not allowed:
            return f"{name} cannot be in every one of its lists at once"
        if ranges and not _ranges_meet(ranges, allowed):
            return f"the bounds on {name} leave no value" + (" in its list" if allowed is not None else "")
    return None


def _ranges_meet(ranges: Iterable[Atom], allowed: frozenset[TypedValue] | None) -> bool:
    ranges = list(ranges)
    if allowed is not None:
        return any(all(atom.holds(value) for atom in ranges) for value in allowed)
    lows = [(atom.low, atom.low_inclusive) for atom in ranges if atom.low is not None]
    highs = [(atom.high, atom.high_inclusive) for atom in ranges if atom.high is not None]
    if not lows or not highs:
        return True
    low, low_inclusive = max(lows, key=lambda bound: (bound[0], not bound[1]))
    high, high_inclusive = min(highs, key=lambda bound: (bound[0], bound[1]))
    return low < high or (low == high and low_inclusive and high_inclusive)


def _repeated_tests(condition: Condition) -> Iterable[tuple[str, str]]:
    pending = [condition]
    while pending:
        node = pending.pop()
        if isinstance(node, Not | AnyLeg):
            pending.append(node.item)
        elif isinstance(node, All | AnyOf):
            pending.extend(node.items)
            if isinstance(node, All):
                seen: dict[tuple[str, str, str], str] = {}
                for item in node.items:
                    if isinstance(item, Leaf):
                        key = (item.field, item.op, repr(item.value))
                        if key in seen:
                            yield item.path, f"the same test as {seen[key]}"
                        else:
                            seen[key] = item.path
