"""Atoms and the index stage: every distinct test of a ruleset, and which of them a record makes true.

An **atom** is one distinct test on one field: a set membership (``eq`` is a set of one
value, ``in`` a set of any size, ``contains``/``contains_any`` the same on a list field),
a range (``lt`` … ``between``), a regular expression, presence, or a comparison of two
fields of the record (``lt_field`` …). Every leaf of the rule
language becomes a small **formula** over atoms, with the reference semantics (a test on a
missing field is false): ``ne v`` is "present and not ``eq v``", ``not_in S`` is "present
and not ``in S``", ``exists: false`` is "not present".

The **index** finds a record's true atoms once per record, whatever the number of rules:
a hash lookup per field value for memberships, a bisection over sorted bounds for ranges,
each field's distinct patterns for ``matches``, presence, and each distinct field
comparison once. A list of 10,000 values is one atom and one hash map entry per value, so
its length costs nothing at evaluation.

Formulas over atoms are plain tuples (``engine.formulas``), so a compiled ruleset stays picklable data.
"""

from __future__ import annotations

import bisect
import functools
import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.catalogue import CATALOGUE, FIELD_COMPARISONS, FieldType
from engine.formulas import Formula, formula_holds, simplify
from engine.language import All, AnyLeg, AnyOf, Condition, Leaf, Not
from engine.records import LEGS_KEY
from engine.regex import SafePattern
from engine.values import TypedValue

MEMBER, RANGE, PATTERN, PRESENT, COMPARE, LEG = "member", "range", "pattern", "present", "compare", "leg"

_COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
}
# ``a gt b`` is ``b lt a``: one atom for both spellings.
_MIRRORED = {"gt": "lt", "gte": "lte"}


@dataclass(frozen=True)
class Atom:
    """One distinct test on one field; true only when the field has a value that passes it."""

    id: int
    field: str
    kind: str  # MEMBER, RANGE, PATTERN, PRESENT or COMPARE
    values: frozenset[Any] = frozenset()  # MEMBER: the value set (any element of a list field)
    low: Any = None  # RANGE: bounds, None when open on that side
    low_inclusive: bool = True
    high: Any = None
    high_inclusive: bool = True
    pattern: SafePattern | None = None
    other: str = ""  # COMPARE: the field on the right of ``field <test> other``
    test: str = ""  # COMPARE: eq, ne, lt or lte
    # LEG: a condition over one leg's fields, as a formula over atoms of its own (ids from 0):
    # true when one of the record's legs makes the formula true.
    leg_atoms: tuple[Atom, ...] = ()
    leg_formula: Formula = ()

    def holds_in(self, record: Any) -> bool:
        """Whether the atom holds for ``record`` (anything with ``get(field)``)."""
        if self.kind == COMPARE:
            left, right = record.get(self.field), record.get(self.other)
            return left is not None and right is not None and bool(_COMPARE[self.test](left, right))
        if self.kind == LEG:
            legs = record.get(self.field)
            return any(formula_holds(self.leg_formula, self.leg_true(leg)) for leg in legs or ())
        return self.holds(record.get(self.field))

    def leg_true(self, leg: Any) -> set[int]:
        """LEG: the ids of its own atoms that hold for one leg."""
        return {atom.id for atom in self.leg_atoms if atom.holds_in(leg)}

    def holds(self, value: TypedValue | None) -> bool:
        """Whether ``value`` (None: missing) passes; what the index computes, one atom at a time."""
        if value is None:
            return False
        if self.kind == MEMBER:
            if isinstance(value, tuple):
                return not self.values.isdisjoint(value)
            return value in self.values
        if self.kind == RANGE:
            if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
                return False
            return self.high is None or value < self.high or (value == self.high and self.high_inclusive)
        if self.kind == PATTERN:
            return isinstance(value, str) and self.pattern is not None and bool(self.pattern.fullmatch(value))
        return True

    @property
    def selectivity_cost(self) -> int:
        """A rough guess of how often the atom is true, to pick the atom a rule is routed by:
        a value of a large domain (an airport, a country) is rare, one of a boolean common."""
        if self.kind == MEMBER:
            definition = CATALOGUE[self.field]
            if definition.type is FieldType.BOOLEAN:
                return 5_000
            if definition.choices:  # a small enumerated domain
                return min(10_000 * len(self.values) // max(len(definition.choices), 1), 5_000)
            # A long list of airports or agencies may cover most travellers: past a few hundred
            # values a range or a pattern is the better guess.
            return min(len(self.values), 9_000)
        if self.kind == PATTERN:
            return 600
        if self.kind == RANGE:
            return 800
        if self.kind == COMPARE:
            return 3_000 if self.test == "eq" else 6_000
        if self.kind == LEG:
            return 5_000
        return 10_000


class AtomTable:
    """Assigns ids to distinct atoms while leaves are translated into formulas."""

    def __init__(self) -> None:
        self.atoms: list[Atom] = []
        self._ids: dict[tuple[Any, ...], int] = {}

    def _atom(self, key: tuple[Any, ...], **fields: Any) -> Formula:
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self.atoms)
            self.atoms.append(Atom(found, **fields))
        return ("atom", found)

    def member(self, name: str, values: Iterable[Any]) -> Formula:
        value_set = frozenset(values)
        return self._atom((name, MEMBER, value_set), field=name, kind=MEMBER, values=value_set)

    def present(self, name: str) -> Formula:
        return self._atom((name, PRESENT), field=name, kind=PRESENT)

    def range(self, name: str, low: Any, low_inclusive: bool, high: Any, high_inclusive: bool) -> Formula:
        key = (name, RANGE, low, low_inclusive, high, high_inclusive)
        return self._atom(
            key,
            field=name,
            kind=RANGE,
            low=low,
            low_inclusive=low_inclusive,
            high=high,
            high_inclusive=high_inclusive,
        )

    def compare(self, name: str, test: str, other: str) -> Formula:
        if test in _MIRRORED:
            name, test, other = other, _MIRRORED[test], name
        elif test in ("eq", "ne"):
            name, other = sorted((name, other))
        return self._atom((name, COMPARE, test, other), field=name, kind=COMPARE, other=other, test=test)

    def pattern(self, name: str, pattern: SafePattern) -> Formula:
        return self._atom((name, PATTERN, pattern.source), field=name, kind=PATTERN, pattern=pattern)

    def leaf(self, leaf: Leaf) -> Formula:
        """The leaf as a formula over atoms, with the reference evaluator's meaning."""
        name, op, value = leaf.field, leaf.op, leaf.value
        if op in FIELD_COMPARISONS:
            return self.compare(name, FIELD_COMPARISONS[op], value)
        if op == "exists":
            return self.present(name) if value else ("not", self.present(name))
        if op in ("eq", "contains"):
            return self.member(name, (value,))
        if op in ("in", "contains_any"):
            return self.member(name, value)
        if op == "ne":
            return ("and", (self.present(name), ("not", self.member(name, (value,)))))
        if op == "not_in":
            return ("and", (self.present(name), ("not", self.member(name, value))))
        if op == "matches":
            return self.pattern(name, value)
        if op == "between":
            return self.range(name, value[0], True, value[1], True)
        bounds = {
            "lt": (None, True, value, False),
            "lte": (None, True, value, True),
            "gt": (value, False, None, True),
            "gte": (value, True, None, True),
        }
        return self.range(name, *bounds[op])

    def any_leg(self, condition: AnyLeg, leaf_formulas: dict[str, Formula]) -> Formula:
        """One LEG atom for the leg condition, whose own atoms are numbered in a table of their own."""
        table = AtomTable()
        formula = simplify(table.condition(condition.item, {}))
        key = (LEGS_KEY, LEG, formula, tuple(sorted(table._ids.items(), key=lambda item: item[1])))
        found = self._atom(key, field=LEGS_KEY, kind=LEG, leg_atoms=tuple(table.atoms), leg_formula=formula)
        leaf_formulas[condition.path] = found
        return found

    def condition(self, condition: Condition, leaf_formulas: dict[str, Formula]) -> Formula:
        """The whole condition as one formula; each leaf's own formula is kept by its path
        (an ``any_leg`` by its own path: its leaves are explained one leg at a time)."""
        if isinstance(condition, AnyLeg):
            return self.any_leg(condition, leaf_formulas)
        if isinstance(condition, Leaf):
            formula = leaf_formulas[condition.path] = self.leaf(condition)
            return formula
        if isinstance(condition, Not):
            return ("not", self.condition(condition.item, leaf_formulas))
        kind = "and" if isinstance(condition, All) else "or"
        assert isinstance(condition, All | AnyOf)
        return (kind, tuple(self.condition(item, leaf_formulas) for item in condition.items))


@dataclass
class _Bounds:
    """Sorted bounds of a field's one-sided ranges, and its two-sided ones sorted by low bound."""

    gte: tuple[list[Any], list[int]] = field(default_factory=lambda: ([], []))
    gt: tuple[list[Any], list[int]] = field(default_factory=lambda: ([], []))
    lte: tuple[list[Any], list[int]] = field(default_factory=lambda: ([], []))
    lt: tuple[list[Any], list[int]] = field(default_factory=lambda: ([], []))
    between: list[Atom] = field(default_factory=list)
    between_lows: list[Any] = field(default_factory=list)


def _sorted_pairs(pairs: list[tuple[Any, int]]) -> tuple[list[Any], list[int]]:
    pairs.sort(key=lambda pair: pair[0])
    return [bound for bound, _ in pairs], [atom for _, atom in pairs]


@dataclass(frozen=True)
class AtomIndex:
    """The index stage: a record's true atoms in a few lookups per field it has a value for."""

    members: Mapping[str, Mapping[Any, tuple[int, ...]]]
    present: Mapping[str, int]
    bounds: Mapping[str, _Bounds]
    patterns: Mapping[str, tuple[tuple[SafePattern, int], ...]]
    fields: tuple[str, ...]
    list_fields: frozenset[str]
    comparisons: tuple[Atom, ...] = ()

    @classmethod
    def build(cls, atoms: Iterable[Atom]) -> AtomIndex:
        members: dict[str, dict[Any, list[int]]] = defaultdict(lambda: defaultdict(list))
        present: dict[str, int] = {}
        ranges: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        patterns: dict[str, list[tuple[SafePattern, int]]] = defaultdict(list)
        comparisons: list[Atom] = []
        for atom in atoms:
            if atom.kind in (COMPARE, LEG):
                comparisons.append(atom)
            elif atom.kind == MEMBER:
                for value in atom.values:
                    members[atom.field][value].append(atom.id)
            elif atom.kind == PRESENT:
                present[atom.field] = atom.id
            elif atom.kind == PATTERN:
                assert atom.pattern is not None
                patterns[atom.field].append((atom.pattern, atom.id))
            elif atom.low is not None and atom.high is not None:
                ranges[atom.field]["between"].append(atom)
            elif atom.low is not None:
                ranges[atom.field]["gte" if atom.low_inclusive else "gt"].append((atom.low, atom.id))
            else:
                ranges[atom.field]["lte" if atom.high_inclusive else "lt"].append((atom.high, atom.id))
        bounds: dict[str, _Bounds] = {}
        for name, kinds in ranges.items():
            between = sorted(kinds.get("between", []), key=lambda atom: atom.low)
            bounds[name] = _Bounds(
                gte=_sorted_pairs(kinds.get("gte", [])),
                gt=_sorted_pairs(kinds.get("gt", [])),
                lte=_sorted_pairs(kinds.get("lte", [])),
                lt=_sorted_pairs(kinds.get("lt", [])),
                between=between,
                between_lows=[atom.low for atom in between],
            )
        names = sorted(set(members) | set(present) | set(bounds) | set(patterns))
        return cls(
            members={name: {value: tuple(ids) for value, ids in table.items()} for name, table in members.items()},
            present=present,
            bounds=bounds,
            patterns={name: tuple(found) for name, found in patterns.items()},
            fields=tuple(names),
            list_fields=frozenset(name for name in names if CATALOGUE[name].type is FieldType.CODE_LIST),
            comparisons=tuple(comparisons),
        )

    @functools.cached_property
    def _plan(self) -> tuple[tuple[str, dict[Any, tuple[int, ...]] | None], ...]:
        """Per field: its name, and where its answers for repeated values are kept (None: never)."""
        return tuple((name, None if CATALOGUE[name].personal or name in _UNREPEATED else {}) for name in self.fields)

    def true_atoms(self, values: Mapping[str, Any]) -> set[int]:
        """The ids of every atom the record's values make true.

        A field's answer depends on its value alone, and most values repeat from record to
        record (airports, ages, bags, codes), so each field keeps its answers for up to
        ``REMEMBERED_VALUES`` values. Personal fields (names, birth dates, document numbers)
        and identifiers are always computed, never kept.
        """
        true: set[int] = set()
        get = values.get
        for name, remembered in self._plan:
            value = get(name)
            if value is None:
                continue
            if remembered is None:
                true.update(self._field_atoms(name, value))
                continue
            found = remembered.get(value)
            if found is None:
                found = self._field_atoms(name, value)
                if len(remembered) < REMEMBERED_VALUES:
                    remembered[value] = found
            true.update(found)
        for atom in self.comparisons:  # pairs of values and itineraries rarely repeat: always computed
            if atom.holds_in(values):
                true.add(atom.id)
        return true

    def _field_atoms(self, name: str, value: Any) -> tuple[int, ...]:
        true: set[int] = set()
        present = self.present.get(name)
        if present is not None:
            true.add(present)
        table = self.members.get(name)
        if table is not None:
            for element in value if name in self.list_fields else (value,):
                found = table.get(element)
                if found:
                    true.update(found)
        bounds = self.bounds.get(name)
        if bounds is not None:
            _true_ranges(bounds, value, true)
        for pattern, atom_id in self.patterns.get(name, ()):
            if pattern.fullmatch(value):
                true.add(atom_id)
        return tuple(true)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_plan", None)  # remembered answers stay in the process that computed them
        return state


REMEMBERED_VALUES = 4096
_UNREPEATED = frozenset({"passenger_id", "booking.reference"})


def _true_ranges(bounds: _Bounds, value: Any, true: set[int]) -> None:
    keys, ids = bounds.gte
    true.update(ids[: bisect.bisect_right(keys, value)])  # low <= value
    keys, ids = bounds.gt
    true.update(ids[: bisect.bisect_left(keys, value)])  # low < value
    keys, ids = bounds.lte
    true.update(ids[bisect.bisect_left(keys, value) :])  # value <= high
    keys, ids = bounds.lt
    true.update(ids[bisect.bisect_right(keys, value) :])  # value < high
    if bounds.between:
        for atom in bounds.between[: bisect.bisect_right(bounds.between_lows, value)]:
            if value <= atom.high:
                true.add(atom.id)
