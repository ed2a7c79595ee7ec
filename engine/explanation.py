"""Why a matched rule holds: the leaves that decided it, each with the record's value and the rule's.

Explanations stay small: a list is shown by its name, size and the element that matched, never
whole; a leg condition by the leg that satisfied it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from engine.catalogue import FIELD_COMPARISONS
from engine.formulas import Formula, formula_atoms, formula_holds
from engine.language import LIST_OPERATORS, All, AnyLeg, AnyOf, Condition, Leaf, Not
from engine.records import LEGS_KEY, Leg, PassengerRecord, cut_score
from engine.reference import holds, leaf_holds, value_holds
from engine.regex import SafePattern
from engine.ruleset import CompiledRule, CompiledRuleset
from engine.values import to_json


@dataclass(frozen=True)
class Reason:
    """One leaf condition that held (or, under ``not``, whose negation held)."""

    path: str
    field: str
    operator: str
    expected: Any
    actual: Any
    negated: bool
    watchlist: tuple[dict[str, Any], ...] = ()  # the entries a watchlist condition matched
    leg: int | None = None  # inside ``any_leg``: the position of the leg in the itinerary

    def as_dict(self) -> dict[str, Any]:
        found = {
            "path": self.path,
            "field": self.field,
            "operator": ("not " if self.negated else "") + self.operator,
            "expected": self.expected,
            "actual": self.actual,
        }
        if self.watchlist:
            found["watchlist"] = list(self.watchlist)
        if self.leg is not None:
            found["leg"] = self.leg
        return found


class Explainer:
    """Why a matched rule holds: the leaves that decided it, walked over the rule as written.

    ``all`` is explained by every item, ``any`` by its true items; under ``not`` the leaves
    whose negation decided are shown with ``not``. Leaf truth comes from the rule's own
    atoms, so a 10,000-value list costs one set lookup, not a scan.
    """

    def __init__(self, ruleset: CompiledRuleset, compiled: CompiledRule, record: PassengerRecord) -> None:
        self.atoms = ruleset.atoms
        self.compiled = compiled
        self.record = record
        self._known: set[int] = set()  # atoms already tested against the record
        self._true: set[int] = set()  # those of them that hold

    def reasons(self) -> tuple[Reason, ...]:
        found: dict[str, Reason] = {}
        self._walk(self.compiled.rule.when, True, found)
        return tuple(sorted(found.values(), key=lambda reason: reason.path))

    def _holds(self, condition: Condition) -> bool:
        if isinstance(condition, Leaf | AnyLeg):
            return self._formula(self.compiled.leaf_formulas[condition.path])
        if isinstance(condition, Not):
            return not self._holds(condition.item)
        if isinstance(condition, All):
            return all(self._holds(item) for item in condition.items)
        return any(self._holds(item) for item in condition.items)

    def _formula(self, formula: Formula) -> bool:
        for atom in set(formula_atoms(formula)) - self._known:
            definition = self.atoms[atom]
            self._known.add(atom)
            if definition.holds_in(self.record):
                self._true.add(atom)
        return formula_holds(formula, self._true)

    def _walk(self, condition: Condition, want: bool, found: dict[str, Reason]) -> None:
        """Collect the leaves that make ``condition`` come out as ``want``."""
        if isinstance(condition, AnyLeg):
            if self._holds(condition) == want:
                self._walk_legs(condition, want, found)
            return
        if isinstance(condition, Leaf):
            if self._holds(condition) == want:
                found.setdefault(condition.path, _reason(condition, not want, self.record))
            return
        if isinstance(condition, Not):
            self._walk(condition.item, not want, found)
            return
        deciding_all = isinstance(condition, All) == want  # every item decides
        assert isinstance(condition, All | AnyOf)
        for item in condition.items:
            if deciding_all or self._holds(item) == want:
                self._walk(item, want, found)

    def _walk_legs(self, condition: AnyLeg, want: bool, found: dict[str, Reason]) -> None:
        """``any_leg`` explained by the first leg that satisfies it, or, when none does, by how many
        legs there were (each leg's own answer is the reference's: a handful of tests per leg)."""
        legs = self.record.legs
        if not want:
            actual = {"legs": len(legs)}
            found.setdefault(condition.path, Reason(_relative(condition.path), LEGS_KEY, "any_leg", None, actual, True))
            return
        for index, leg in enumerate(legs):
            if holds(condition.item, leg):
                _walk_leg(condition.item, True, leg, index, found)
                return


def _walk_leg(condition: Condition, want: bool, leg: Leg, index: int, found: dict[str, Reason]) -> None:
    """The leaves that make ``condition`` come out as ``want`` for one leg."""
    if isinstance(condition, Leaf):
        if leaf_holds(condition, leg) == want:
            found.setdefault(condition.path, dataclasses.replace(_reason(condition, not want, leg), leg=index))
        return
    if isinstance(condition, Not):
        _walk_leg(condition.item, not want, leg, index, found)
        return
    assert isinstance(condition, All | AnyOf)
    deciding_all = isinstance(condition, All) == want
    for item in condition.items:
        if deciding_all or holds(item, leg) == want:
            _walk_leg(item, want, leg, index, found)


def _relative(path: str) -> str:
    """A path shown relative to the rule (``when.all[1]``), not to the pack it came from."""
    return path[path.index("when") :]


# Lists are summarised in explanations: their size and the element that decided, never the
# whole list (a 10,000-value list would otherwise be echoed in every hit).
def _list_summary(leaf: Leaf, actual: Any, negated: bool) -> dict[str, Any]:
    values = leaf.value
    matched = None
    if (leaf.op == "in") != negated and leaf.op != "contains_any":  # the value was found in the list
        matched = actual
    elif leaf.op == "contains_any" and not negated and isinstance(actual, tuple):
        members = set(values)
        matched = next((element for element in actual if element in members), None)
    summary = {"list_size": len(values), "matched": to_json(matched)}
    if leaf.list_name:
        summary = {"list": leaf.list_name, **summary}
    return summary


def _reason(leaf: Leaf, negated: bool, record: PassengerRecord | Leg) -> Reason:
    value = leaf.value
    actual = record.get(leaf.field)
    if leaf.op in LIST_OPERATORS:
        expected: Any = _list_summary(leaf, actual, negated)
    elif leaf.op in FIELD_COMPARISONS:  # the other field and the record's value of it
        expected = {"field": value, "value": to_json(record.get(value))}
    else:
        expected = value.source if isinstance(value, SafePattern) else to_json(value)
    path = _relative(leaf.path)
    entries: tuple[dict[str, Any], ...] = ()
    if leaf.field.startswith("watchlist.") and not negated and isinstance(record, PassengerRecord):
        category = leaf.field.removeprefix("watchlist.").removesuffix("_score")
        # The entries that pass the leaf's own test, whatever its operator: each entry's
        # score read as the field's value.
        entries = tuple(
            match.as_dict()
            for match in record.watchlist
            if (category == "score" or match.category == category)
            and value_holds(leaf.op, value, cut_score(match.score))
        )
    return Reason(path, leaf.field, leaf.written_op, expected, to_json(actual), negated, entries)
