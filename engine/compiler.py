"""The compiler: rule packs in, an immutable compiled ruleset out.

Named stages run in order (``STAGES``) and collect every problem (with source, rule id
and path) instead of stopping at the first:

``parse``      structure, fields, operators, value types, dates, regexes
``unique_ids`` rule ids unique across every pack
``atoms``      every leaf becomes a formula over atoms, each distinct test one atom
               (``engine.atoms``), whatever the length of its list
``gates``      each rule's formula becomes a few engine rules over flags: one per branch of
               a top-level ``any``, one for an ``all``; a nested ``any``/``all``/``not``
               group becomes a named sub-expression with a flag of its own, so no rule
               ever expands into exponentially many branches
``route``      each rule gets the atoms one of which is true whenever it matches
``shard``      rules packed into engine rulesets small enough to be safe and cheap

durable-rules decides every rule, but sees only flags (``a<id>: 1`` for a true atom or
sub-expression), never record values. The result is pure data (picklable, no engine
handles); ``engine.evaluation.Evaluator`` loads it into durable-rules.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.atoms import MEMBER, PRESENT, Atom, AtomIndex, AtomTable, Formula, formula_function, simplify
from engine.catalogue import CATALOGUE, FieldType
from engine.durable_adapter import flag_names_collide
from engine.errors import Problem, RuleCompilationError
from engine.language import Rule, leaves, parse_pack
from engine.network import EQ, NEX, AlphaNetwork, EngineTest

# Bumped whenever compilation output changes meaning, so ruleset versions change with it.
COMPILER_REVISION = "2"

# Rules per engine ruleset. A fact's cost grows with the children of each node it reaches
# (durable-rules scans them from the same 32 hash slots), so rulesets stay small and a
# record visits only those where one of its true atoms routes it.
MAX_RULES_PER_SHARD = 400
# Flags one ruleset tests: a fact holds at most 255 properties (error 302 past that).
MAX_FLAGS_PER_SHARD = 200
# Literals in one engine rule; a longer conjunction ends in a sub-expression of the rest.
MAX_LITERALS = 24
# Branches of a top-level ``any`` made into engine rules of their own; a wider ``any`` is
# one sub-expression (its branches could all be true at once, deepening the engine's stack).
MAX_BRANCHES = 16

Literal = tuple[int, bool]  # (flag, True: must be set / False: must be unset)
Conjunction = tuple[Literal, ...]


@dataclass(frozen=True)
class PackSource:
    """A pack as decoded data plus where it came from (a file path, or a label)."""

    source: str
    data: Any


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


STAGES = ("parse", "unique_ids", "atoms", "gates", "route", "shard")


def validate(packs: Sequence[PackSource]) -> list[Problem]:
    """Every problem in ``packs``; empty when they compile."""
    try:
        compile_packs(packs)
    except RuleCompilationError as exc:
        return exc.problems
    return []


# The last few rulesets compiled in this process, by the exact content of their packs: an
# activation compiles the new ruleset to store it, then again to load it, in one process.
_RECENT: OrderedDict[str, CompiledRuleset] = OrderedDict()
_RECENT_SIZE = 2
_RECENT_LOCK = threading.Lock()


def _content_key(packs: Sequence[PackSource]) -> str | None:
    """A hash of the packs' exact content; None when it is not plain JSON (YAML dates), so not cached."""
    try:
        canonical = json.dumps(
            [[pack.source, pack.data] for pack in packs],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(f"{COMPILER_REVISION}\n{canonical}".encode()).hexdigest()


def forget_compiled() -> None:
    """Drop the recent results, so the next ``compile_packs`` compiles (for timing a cold compile)."""
    with _RECENT_LOCK:
        _RECENT.clear()


def compile_packs(packs: Sequence[PackSource]) -> CompiledRuleset:
    """Compile packs into one ruleset, or raise ``RuleCompilationError`` with every problem."""
    key = _content_key(packs)
    with _RECENT_LOCK:
        if key is not None and key in _RECENT:
            _RECENT.move_to_end(key)
            return _RECENT[key]
    compiled = _compile(packs)
    if key is not None:
        with _RECENT_LOCK:
            _RECENT[key] = compiled
            while len(_RECENT) > _RECENT_SIZE:
                _RECENT.popitem(last=False)
    return compiled


def _compile(packs: Sequence[PackSource]) -> CompiledRuleset:
    problems: list[Problem] = []
    rules: list[Rule] = []
    for pack in packs:
        parsed, found = parse_pack(pack.data, pack.source)
        rules.extend(parsed)
        problems.extend(found)
    problems.extend(_unique_ids(packs))
    if problems:
        raise RuleCompilationError(problems)
    rules.sort(key=lambda rule: rule.id)
    table = AtomTable()
    formulas = []
    for rule in rules:
        leaf_formulas: dict[str, Formula] = {}
        formulas.append((simplify(table.condition(rule.when, leaf_formulas)), leaf_formulas))
    by_value = _routing_values(table)
    atoms = tuple(table.atoms)
    gates = _Gates(atoms, by_value)
    compiled = []
    for rule, (formula, leaf_formulas) in zip(rules, formulas, strict=True):
        conjunctions = gates.rule(formula)
        # One chain alone is always safe; several branches could be true at once.
        if len(conjunctions) > 1 and not AlphaNetwork().fits([engine_tests(c, atoms) for c in conjunctions]):
            # Too many branches true at once for the engine's stack: one flag for the whole.
            conjunctions = (gates.whole(formula),)
        anchors = gates.anchors(conjunctions)
        second = gates.second(conjunctions, anchors)
        compiled.append(CompiledRule(rule, formula, leaf_formulas, _arrange(conjunctions, anchors), anchors, second))
    if flag_names_collide(len(atoms) + len(gates.subexpressions)):
        problems.append(Problem("too_large", "the ruleset needs more engine flags than are safe", "", "", ""))
        raise RuleCompilationError(problems)
    packing = _Packing(compiled, atoms)
    return CompiledRuleset(
        version=ruleset_version(rule.rule for rule in compiled),
        rules=tuple(compiled),
        atoms=atoms,
        subexpressions=tuple(gates.subexpressions),
        subexpression_anchors=tuple(gates.formula_anchors(formula) for formula in gates.subexpressions),
        shards=tuple(packing.shards),
        always=tuple(packing.always),
        routes={atom: tuple(found) for atom, found in packing.routes.items()},
        pair_routes={atom: {b: tuple(found) for b, found in table.items()} for atom, table in packing.pairs.items()},
        route_subexpressions={atom: frozenset(found) for atom, found in packing.route_subs.items()},
        pair_subexpressions={
            atom: {b: frozenset(found) for b, found in table.items()} for atom, table in packing.pair_subs.items()
        },
        always_subexpressions=frozenset(packing.always_subs),
        index=AtomIndex.build(atoms),
    )


def ruleset_version(rules: Iterable[Rule]) -> str:
    """A hash of the rules' content: same rules, same version, in any order or file layout."""
    canonical = json.dumps(
        {
            "compiler": COMPILER_REVISION,
            "rules": sorted(({"agency": r.agency, **r.definition} for r in rules), key=lambda d: str(d.get("id"))),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return "rs-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]


def _unique_ids(packs: Sequence[PackSource]) -> list[Problem]:
    """Ids used twice, across every pack; read from the raw packs so broken rules count too."""
    seen: dict[str, str] = {}
    problems = []
    for pack in packs:
        raw_rules = pack.data.get("rules") if isinstance(pack.data, Mapping) else None
        for index, raw in enumerate(raw_rules if isinstance(raw_rules, list) else []):
            rule_id = raw.get("id") if isinstance(raw, Mapping) else None
            if not isinstance(rule_id, str):
                continue
            if rule_id in seen:
                problems.append(
                    Problem(
                        "duplicate_id",
                        f"rule id {rule_id} is already used in {seen[rule_id]}",
                        f"rules[{index}].id",
                        rule_id,
                        pack.source,
                    )
                )
            else:
                seen[rule_id] = pack.source
    return problems


# A membership of up to this many values routes records by each value (one atom per value),
# not as one atom: a record's value is in many such lists (its country in every list of
# countries that names it), and each would otherwise lead a route of its own.
MAX_ROUTED_VALUES = 64


def _routing_values(table: AtomTable) -> dict[int, tuple[int, ...]]:
    """For each membership of 2 to ``MAX_ROUTED_VALUES`` values, one single-value atom per value."""
    by_value: dict[int, tuple[int, ...]] = {}
    for atom in list(table.atoms):
        if atom.kind == MEMBER and 1 < len(atom.values) <= MAX_ROUTED_VALUES:
            singles = [table.member(atom.field, (value,))[1] for value in sorted(atom.values, key=repr)]
            by_value[atom.id] = tuple(singles)
    return by_value


def _negate(formula: Formula) -> Formula:
    return formula[1] if formula[0] == "not" else ("not", formula)


class _Gates:
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
            return None if any(f is None for f in found) else frozenset().union(*found)  # type: ignore[arg-type]
        anchored = [f for f in found if f is not None]
        return min(anchored, key=self._cost) if anchored else None

    def _cost(self, atoms: Iterable[int]) -> int:
        return sum(self.atoms[atom].selectivity_cost for atom in atoms)


def _arrange(conjunctions: Sequence[Conjunction], anchors: tuple[int, ...] | None) -> tuple[Conjunction, ...]:
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


class _Packing:
    """Rules packed into engine rulesets (the ``shard`` stage), rules routed by the same atoms together.

    A record visits the rulesets its true atoms route it to, plus those of rules with no
    routing atom (which can match with no test true, like ``not`` alone), and only the
    sub-expressions of the rules so reached are computed.
    """

    def __init__(self, rules: list[CompiledRule], atoms: Sequence[Atom]) -> None:
        self.rules, self.atoms = rules, atoms
        self.shards: list[Shard] = []
        self.always: list[int] = []
        self.routes: dict[int, list[int]] = defaultdict(list)
        self.pairs: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.route_subs: dict[int, set[int]] = defaultdict(set)
        self.pair_subs: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
        self.always_subs: set[int] = set()
        batch: list[int] = []
        flags: set[int] = set()
        network = AlphaNetwork(MAX_RULES_PER_SHARD)
        unrouted = False
        for position in sorted(range(len(rules)), key=self._placement):
            compiled = rules[position]
            tests = [engine_tests(c, atoms) for c in compiled.conjunctions]
            new_flags = {flag for c in compiled.conjunctions for flag, _ in c}
            unrouted_now = compiled.anchors is None
            if batch and (
                unrouted_now != unrouted or len(flags | new_flags) > MAX_FLAGS_PER_SHARD or not network.fits(tests)
            ):
                self._close(batch, unrouted)
                batch, flags, network = [], set(), AlphaNetwork(MAX_RULES_PER_SHARD)
                network.fits(tests)
            elif not batch:
                network.fits(tests)
            unrouted = unrouted_now
            batch.append(position)
            flags |= new_flags
        if batch:
            self._close(batch, unrouted)

    def _placement(self, position: int) -> tuple[Any, ...]:
        # Rules routed by one field sit together: a record sets one value of a field, so it
        # visits one of that field's rulesets rather than one per ruleset holding the field.
        compiled = self.rules[position]
        anchors, second = compiled.anchors, compiled.second
        fields = tuple(sorted({self.atoms[a].field for a in anchors})) if anchors else ()
        return (anchors is None, fields, anchors or (), -1 if second is None else second, compiled.rule.id)

    def _close(self, batch: list[int], unrouted: bool) -> None:
        index = len(self.shards)
        self.shards.append(
            Shard(tuple(batch), frozenset(flag for p in batch for c in self.rules[p].conjunctions for flag, _ in c))
        )
        if unrouted:
            self.always.append(index)
        for position in batch:
            compiled = self.rules[position]
            subs = {flag for c in compiled.conjunctions for flag, _ in c if flag >= len(self.atoms)}
            if compiled.anchors is None:
                self.always_subs |= subs
            for anchor in compiled.anchors or ():
                if compiled.second is None:
                    found = self.routes[anchor]
                    self.route_subs[anchor] |= subs
                else:
                    found = self.pairs[anchor][compiled.second]
                    self.pair_subs[anchor][compiled.second] |= subs
                if not found or found[-1] != index:
                    found.append(index)
