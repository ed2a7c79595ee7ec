"""The compiled ruleset: pure data (picklable, no engine handles) that the evaluator loads."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.atoms import Atom, AtomIndex
from engine.formulas import Formula, formula_function
from engine.gates import Conjunction
from engine.language import Rule, leaves


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    formula: Formula
    leaf_formulas: Mapping[str, Formula]  # each leaf's own formula, by path, for explanations
    conjunctions: tuple[Conjunction, ...]  # engine rules: any of them firing is a match
    anchors: tuple[int, ...] | None  # atoms one of which is true whenever it matches; None: no such atoms
    # A second atom the rule also requires, with a single anchor: the rule is visited only
    # when both are true, so a popular anchor (a busy airport) does not send every record to
    # all of its rules.
    second: int | None = None


@dataclass(frozen=True)
class Shard:
    """One engine ruleset: a handful of rules, small enough for every durable-rules limit."""

    rules: tuple[int, ...]  # positions in CompiledRuleset.rules
    flags: frozenset[int]  # the atom and sub-expression flags its rules test (a fact carries only these)


@dataclass(frozen=True)
class CompiledRuleset:
    version: str
    rules: tuple[CompiledRule, ...]
    atoms: tuple[Atom, ...]
    subexpressions: tuple[Formula, ...]  # flag len(atoms) + n is subexpressions[n]
    # For each sub-expression, atoms one of which is true whenever it holds (None: none such):
    # with none of them true it is false without being computed.
    subexpression_anchors: tuple[frozenset[int] | None, ...]
    shards: tuple[Shard, ...]
    always: tuple[int, ...]  # shards every record visits
    routes: Mapping[int, tuple[int, ...]] = field(repr=False)  # atom -> shards it routes a record to
    # first atom -> second atom -> shards a record with both true is routed to
    pair_routes: Mapping[int, Mapping[int, tuple[int, ...]]] = field(repr=False)
    # The sub-expressions of the rules a route reaches: only those are computed for a record.
    route_subexpressions: Mapping[int, frozenset[int]] = field(repr=False)
    pair_subexpressions: Mapping[int, Mapping[int, frozenset[int]]] = field(repr=False)
    always_subexpressions: frozenset[int] = field(repr=False)
    index: AtomIndex = field(repr=False)

    def rule(self, rule_id: str) -> Rule:
        for compiled in self.rules:
            if compiled.rule.id == rule_id:
                return compiled.rule
        raise KeyError(rule_id)

    @property
    def rule_count(self) -> int:
        return len(self.rules)

    @functools.cached_property
    def watchlist_floor(self) -> Decimal | None:
        """The score screening must report matches down to; None when no rule tests the watchlist.

        That is the lowest ``gte`` threshold on a ``watchlist.*`` field (what the
        ``{watchlist: ...}`` condition reads as), or 1 when rules only test the scores otherwise.
        """
        tests = [
            leaf
            for compiled in self.rules
            for leaf in leaves(compiled.rule.when)
            if leaf.field.startswith("watchlist.")
        ]
        if not tests:
            return None
        return min((leaf.value for leaf in tests if leaf.op == "gte"), default=Decimal(1))

    def subexpression_holds(self, flag: int, true_atoms: set[int]) -> bool:
        position = flag - len(self.atoms)
        anchors = self.subexpression_anchors[position]
        if anchors is not None and anchors.isdisjoint(true_atoms):
            return False
        function = self._subexpression_functions[position]
        if function is None:
            function = self._subexpression_functions[position] = formula_function(self.subexpressions[position])
        return function(true_atoms)

    @functools.cached_property
    def _subexpression_functions(self) -> list[Callable[[set[int] | frozenset[int]], bool] | None]:
        """Compiled in each process that evaluates (functions do not pickle), by ``prepare`` or on first use."""
        return [None] * len(self.subexpressions)

    def prepare(self) -> None:
        """Compile every sub-expression now, so the first records do not pay for it."""
        functions = self._subexpression_functions
        for position, formula in enumerate(self.subexpressions):
            if functions[position] is None:
                functions[position] = formula_function(formula)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_subexpression_functions", None)
        return state
