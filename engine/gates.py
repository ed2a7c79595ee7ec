"""The ``gates`` stage: each rule's formula over atoms becomes a few engine rules over flags.

A top-level ``any`` gives one engine rule per branch and an ``all`` one rule; a nested group
becomes a named sub-expression with a flag of its own, so no rule ever expands into
exponentially many branches. Also here: the routing atoms (``anchors``) of each rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from engine.atoms import MEMBER, PRESENT, Atom, AtomTable
from engine.catalogue import CATALOGUE, FieldType
from engine.formulas import Formula
from engine.network import EQ, NEX, EngineTest

# Literals in one engine rule; a longer conjunction ends in a sub-expression of the rest.
MAX_LITERALS = 24
# Branches of a top-level ``any`` made into engine rules of their own; a wider ``any`` is
# one sub-expression (its branches could all be true at once, deepening the engine's stack).
MAX_BRANCHES = 16

Literal = tuple[int, bool]  # (flag, True: must be set / False: must be unset)
Conjunction = tuple[Literal, ...]


# A membership of up to this many values routes records by each value (one atom per value),
# not as one atom: a record's value is in many such lists (its country in every list of
# countries that names it), and each would otherwise lead a route of its own.
MAX_ROUTED_VALUES = 64


def routing_values(table: AtomTable) -> dict[int, tuple[int, ...]]:
    """For each membership of 2 to ``MAX_ROUTED_VALUES`` values, one single-value atom per value."""
    by_value: dict[int, tuple[int, ...]] = {}
    for atom in list(table.atoms):
        if atom.kind == MEMBER and 1 < len(atom.values) <= MAX_ROUTED_VALUES:
            singles = [table.member(atom.field, (value,))[1] for value in sorted(atom.values, key=repr)]
            by_value[atom.id] = tuple(singles)
    return by_value


def _negate(formula: Formula) -> Formula:
    return formula[1] if formula[0] == "not" else ("not", formula)


class Gates:
    """Turns formulas into engine rules over flags, naming nested groups as sub-expressions."""

    def __init__(self, atoms: Sequence[Atom], by_value: Mapping[int, tuple[int, ...]]) -> None:
        self.atoms = atoms
        self.by_value = by_value
        self.subexpressions: list[Formula] = []
        self._flags: dict[Formula, int] = {}

    def rule(self, formula: Formula) -> tuple[Conjunction, ...]:
        kind = formula[0]
        if kind == "or" and len(formula[1]) <= MAX_BRANCHES:
            branches = [self._branch(item) for item in formula[1]]
        elif kind == "not" and formula[1][0] == "and" and len(formula[1][1]) <= MAX_BRANCHES:
            branches = [self._branch(_negate(item)) for item in formula[1][1]]
        elif kind == "not" and formula[1][0] == "or":
            branches = [self._conjunction([_negate(item) for item in formula[1][1]])]
        else:
            branches = [self._branch(formula)]
        # A branch that needs a flag both set and unset can never fire.
        possible = [b for b in branches if not any((flag, not positive) in b for flag, positive in b)]
        return tuple(dict.fromkeys(possible))

    def whole(self, formula: Formula) -> Conjunction:
        """One engine rule testing one flag: the formula's own (a sub-expression unless an atom)."""
        return (self._literal(formula),) if formula[0] in ("atom", "not") else ((self._flag(formula), True),)

    def _branch(self, formula: Formula) -> Conjunction:
        return self._conjunction(formula[1]) if formula[0] == "and" else (self._literal(formula),)

    def _conjunction(self, items: Sequence[Formula]) -> Conjunction:
        if len(items) > MAX_LITERALS:
            items = [*items[: MAX_LITERALS - 1], ("and", tuple(items[MAX_LITERALS - 1 :]))]
        return tuple(dict.fromkeys(self._literal(item) for item in items))

    def _literal(self, formula: Formula) -> Literal:
        if formula[0] == "atom":
            return (formula[1], True)
        if formula[0] == "not":
            inner = formula[1]
            return (inner[1], False) if inner[0] == "atom" else (self._flag(inner), False)
        return (self._flag(formula), True)

    def _flag(self, formula: Formula) -> int:
        found = self._flags.get(formula)
        if found is None:
            found = self._flags[formula] = len(self.atoms) + len(self.subexpressions)
            self.subexpressions.append(formula)
        return found

    def anchors(self, conjunctions: Iterable[Conjunction]) -> tuple[int, ...] | None:
        """Atoms one of which is true whenever one of the conjunctions holds (None: none such)."""
        found: set[int] = set()
        for conjunction in conjunctions:
            best = None
            for flag, positive in conjunction:
                if not positive:
                    continue
                candidate = self.formula_anchors(self._formula(flag))
                if candidate is not None and (best is None or self._cost(candidate) < self._cost(best)):
                    best = candidate
            if best is None:
                return None
            found |= best
        return tuple(sorted(found))

    def second(self, conjunctions: Sequence[Conjunction], anchors: tuple[int, ...] | None) -> int | None:
        """The cheapest other atom the single conjunction requires, besides the test it is routed by."""
        if anchors is None or len(conjunctions) != 1:
            return None
        routed_by = frozenset(anchors)
        candidates = [
            flag
            for flag, positive in conjunctions[0]
            if positive
            and flag < len(self.atoms)
            and self.atoms[flag].kind != PRESENT
            and self.formula_anchors(("atom", flag)) != routed_by
        ]
        return min(candidates, key=lambda flag: (self.atoms[flag].selectivity_cost, flag), default=None)

    def _formula(self, flag: int) -> Formula:
        return ("atom", flag) if flag < len(self.atoms) else self.subexpressions[flag - len(self.atoms)]

    def formula_anchors(self, formula: Formula) -> frozenset[int] | None:
        kind = formula[0]
        if kind == "atom":
            return frozenset(self.by_value.get(formula[1], (formula[1],)))
        if kind == "not":
            return None
        found = [self.formula_anchors(item) for item in formula[1]]
        if kind == "or":
            anchors = [f for f in found if f is not None]
            return frozenset[int]().union(*anchors) if len(anchors) == len(found) else None
        anchored = [f for f in found if f is not None]
        return min(anchored, key=self._cost) if anchored else None

    def _cost(self, atoms: Iterable[int]) -> int:
        return sum(self.atoms[atom].selectivity_cost for atom in atoms)


def arrange(conjunctions: Sequence[Conjunction], anchors: tuple[int, ...] | None) -> tuple[Conjunction, ...]:
    """The order the engine chains each conjunction: a routing atom first, so rules routed
    by the same atom share the engine's first node, then set flags before unset ones."""
    first = set(anchors or ())
    return tuple(
        tuple(sorted(conjunction, key=lambda literal: (literal[0] not in first, not literal[1], literal[0])))
        for conjunction in conjunctions
    )


def engine_tests(conjunction: Conjunction, atoms: Sequence[Atom] = ()) -> tuple[EngineTest, ...]:
    """A conjunction of flag literals as the engine tests them (shared by the loader and the model).

    With ``atoms``, flags of one value of one field are marked exclusive, so the network
    model knows a record sets at most one of them.
    """
    return tuple(
        EngineTest(f"#{flag}", EQ, 1, _exclusive_group(flag, atoms)) if positive else EngineTest(f"#{flag}", NEX, None)
        for flag, positive in conjunction
    )


def _exclusive_group(flag: int, atoms: Sequence[Atom]) -> str | None:
    if flag >= len(atoms):
        return None
    atom = atoms[flag]
    if atom.kind == MEMBER and len(atom.values) == 1 and CATALOGUE[atom.field].type is not FieldType.CODE_LIST:
        return atom.field
    return None
