"""The compiler: rule packs in, an immutable compiled ruleset out.

Named stages run in order and collect every problem (with source, rule id and path)
instead of stopping at the first:

``parse``      structure, fields, operators, value types, dates, regexes
``unique_ids`` rule ids unique across every pack
``normalise``  conditions to engine conjunctions, within complexity limits
``shard``      index and split rules into engine rulesets small enough to be safe

The result is pure data (picklable, no engine handles); ``engine.evaluation.Evaluator``
loads it into durable-rules.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.catalogue import CATALOGUE, FieldType
from engine.errors import Problem, RuleCompilationError
from engine.language import All, Leaf, Rule, leaves, parse_pack
from engine.network import AlphaNetwork
from engine.normalise import EQ, Conjunction, RegexTable, TooComplex, normalise
from engine.regex import SafePattern

# Bumped whenever compilation output changes meaning, so ruleset versions change with it.
COMPILER_REVISION = "1"

# Engine rules per durable ruleset. Cost per record grows with rules x properties in a
# ruleset, and a shard that is safe by the network model may still be slow if huge.
MAX_RULES_PER_SHARD = 300

# Indexable fields in order of preference when a rule offers several keys.
_KEY_PREFERENCE = (
    "flight.departure_airport",
    "itinerary.airports",
    "document.issuing_country",
    "traveller.nationality",
    "itinerary.countries",
    "traveller.country_of_residence",
    "flight.carrier",
    "visa.type",
    "booking.payment_method",
    "document.type",
    "flight.arrival_airport",
)


@dataclass(frozen=True)
class PackSource:
    """A pack as decoded data plus where it came from (a file path, or a label)."""

    source: str
    data: Any


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    conjunctions: tuple[Conjunction, ...]
    route: tuple[str, tuple[str, ...]] | None  # (field, values) the rule is indexed by


@dataclass(frozen=True)
class Shard:
    """One engine ruleset: a handful of rules, small enough for every durable-rules limit."""

    rules: tuple[int, ...]  # positions in CompiledRuleset.rules
    fields: tuple[str, ...]  # record properties the shard tests (records are projected to them)


@dataclass(frozen=True)
class CompiledRuleset:
    version: str
    rules: tuple[CompiledRule, ...]
    regexes: tuple[tuple[str, SafePattern], ...]
    shards: tuple[Shard, ...]
    always: tuple[int, ...]  # shards every record visits
    routes: Mapping[str, Mapping[str, tuple[int, ...]]] = field(repr=False)  # field -> value -> shards

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


STAGES = ("parse", "unique_ids", "normalise", "shard")


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
    regexes = RegexTable()
    compiled: list[CompiledRule] = []
    for rule in rules:
        try:
            conjunctions = tuple(normalise(rule.when, regexes))
        except TooComplex as exc:
            problems.append(Problem("too_complex", str(exc), f"{rule.path}.when", rule.id, rule.source))
            continue
        route = _route(rule)
        conjunctions = tuple(_arrange(conjunction, route) for conjunction in conjunctions)
        candidate = CompiledRule(rule, conjunctions, route)
        alone = AlphaNetwork()
        if not alone.fits(conjunctions):
            problems.append(
                Problem(
                    "too_complex",
                    "rule is too large for one engine ruleset (too many alternative branches or values); "
                    "split it into several rules",
                    f"{rule.path}.when",
                    rule.id,
                    rule.source,
                )
            )
            continue
        compiled.append(candidate)
    if problems:
        raise RuleCompilationError(problems)
    compiled.sort(key=lambda c: c.rule.id)
    shards, always, routes = _shard(compiled)
    return CompiledRuleset(
        version=ruleset_version(rule.rule for rule in compiled),
        rules=tuple(compiled),
        regexes=tuple(regexes.patterns),
        shards=tuple(shards),
        always=tuple(always),
        routes={f: dict(values) for f, values in routes.items()},
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


def _arrange(conjunction: Conjunction, route: tuple[str, tuple[str, ...]] | None) -> Conjunction:
    """The order the engine chains a conjunction's tests: a fixed order that lets
    conjunctions share prefixes, with an equality routing key first, so rules with the same
    key share the engine's first node and different keys exclude each other. (Array tests
    are never shared by the engine, so a list key stays where it sorts.)"""
    ordered = sorted(conjunction, key=lambda t: (t.field, t.op, str(t.value)))
    if route is not None:
        name, values = route
        for position, test in enumerate(ordered):
            if test.field == name and test.op == EQ and test.value in values:
                return (test, *ordered[:position], *ordered[position + 1 :])
    return tuple(ordered)


def _route(rule: Rule) -> tuple[str, tuple[str, ...]] | None:
    """The most selective equality or membership key the rule requires, if it has one."""
    items = rule.when.items if isinstance(rule.when, All) else (rule.when,)
    candidates = []
    for item in items:
        if not isinstance(item, Leaf) or item.field not in _KEY_PREFERENCE:
            continue
        kind = CATALOGUE[item.field].type
        if kind is FieldType.CODE and item.op in ("eq", "in"):
            values = item.value if item.op == "in" else (item.value,)
        elif kind is FieldType.CODE_LIST and item.op in ("contains", "contains_any"):
            values = item.value if item.op == "contains_any" else (item.value,)
        else:
            continue
        candidates.append((len(values), _KEY_PREFERENCE.index(item.field), item.field, tuple(values)))
    if not candidates:
        return None
    _, _, name, values = min(candidates)
    return name, values


def _shard(
    rules: list[CompiledRule],
) -> tuple[list[Shard], list[int], dict[str, dict[str, tuple[int, ...]]]]:
    """Pack rules into engine rulesets, one run of rulesets per routing field.

    Rules keyed by different values of one field share rulesets: their first test is the
    key, so the engine's root has one child per value and a record enters only its own
    value's branch. A record therefore visits about one ruleset per routing field it has
    a value for, plus the rulesets of unrouted rules.
    """
    groups: dict[str | None, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for position, compiled in enumerate(rules):
        if compiled.route is None:
            groups[None][""].append(position)
        else:
            name, values = compiled.route
            for value in values:
                groups[name][value].append(position)
    shards: list[Shard] = []
    always: list[int] = []
    routes: dict[str, dict[str, tuple[int, ...]]] = defaultdict(dict)
    for name in sorted(groups, key=lambda n: n or ""):
        batch: list[int] = []
        network = AlphaNetwork(MAX_RULES_PER_SHARD)
        waiting: list[str] = []  # values with rules in the open ruleset

        for value, positions in sorted(groups[name].items()):
            waiting.append(value)
            for position in positions:
                if position in batch:
                    continue
                if not network.fits(rules[position].conjunctions):
                    _close(rules, batch, shards, name, waiting, always, routes)
                    batch, network, waiting = [], AlphaNetwork(MAX_RULES_PER_SHARD), [value]
                    network.fits(rules[position].conjunctions)
                batch.append(position)
        if batch:
            _close(rules, batch, shards, name, waiting, always, routes)
    return shards, always, routes


def _close(
    rules: list[CompiledRule],
    batch: list[int],
    shards: list[Shard],
    name: str | None,
    values: list[str],
    always: list[int],
    routes: dict[str, dict[str, tuple[int, ...]]],
) -> None:
    """Make ``batch`` a shard, reached by ``values`` of routing field ``name`` (or by every record)."""
    index = _make_shard(rules, batch, shards)
    if name is None:
        always.append(index)
        return
    for value in values:
        routes[name][value] = (*routes[name].get(value, ()), index)


def _make_shard(rules: list[CompiledRule], batch: list[int], shards: list[Shard]) -> int:
    fields = sorted({test.field for position in batch for conj in rules[position].conjunctions for test in conj})
    shards.append(Shard(tuple(batch), tuple(fields)))
    return len(shards) - 1
