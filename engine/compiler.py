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

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.atoms import AtomIndex, AtomTable
from engine.durable_adapter import flag_names_collide
from engine.errors import Problem, RuleCompilationError
from engine.formulas import Formula, simplify
from engine.gates import Gates, arrange, engine_tests, routing_values
from engine.language import AGENCIES, Rule, leaves, parse_pack
from engine.lists import ReferenceList, is_list_document, parse_list
from engine.network import AlphaNetwork
from engine.packing import Packing
from engine.ruleset import CompiledRule, CompiledRuleset

# Bumped whenever compilation output changes meaning, so ruleset versions change with it.
COMPILER_REVISION = "2"


@dataclass(frozen=True)
class PackSource:
    """A pack as decoded data plus where it came from (a file path, or a label)."""

    source: str
    data: Any


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
    lists, problems = _lists(packs)
    rules: list[Rule] = []
    for pack in packs:
        if is_list_document(pack.data):
            continue
        parsed, found = parse_pack(pack.data, pack.source, lists)
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
    by_value = routing_values(table)
    atoms = tuple(table.atoms)
    gates = Gates(atoms, by_value)
    compiled = []
    for rule, (formula, leaf_formulas) in zip(rules, formulas, strict=True):
        conjunctions = gates.rule(formula)
        # One chain alone is always safe; several branches could be true at once.
        if len(conjunctions) > 1 and not AlphaNetwork().fits([engine_tests(c, atoms) for c in conjunctions]):
            # Too many branches true at once for the engine's stack: one flag for the whole.
            conjunctions = (gates.whole(formula),)
        anchors = gates.anchors(conjunctions)
        second = gates.second(conjunctions, anchors)
        compiled.append(CompiledRule(rule, formula, leaf_formulas, arrange(conjunctions, anchors), anchors, second))
    if flag_names_collide(len(atoms) + len(gates.subexpressions)):
        problems.append(Problem("too_large", "the ruleset needs more engine flags than are safe", "", "", ""))
        raise RuleCompilationError(problems)
    packing = Packing(compiled, atoms)
    used = {leaf.list_name for rule in rules for leaf in leaves(rule.when) if leaf.list_name}
    return CompiledRuleset(
        version=ruleset_version((rule.rule for rule in compiled), {name: lists[name].digest for name in used}),
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


def ruleset_version(rules: Iterable[Rule], lists: Mapping[str, str] | None = None) -> str:
    """A hash of the rules' content and of the reference lists they use (by digest): same rules
    and lists, same version, in any order or file layout."""
    content: dict[str, Any] = {
        "compiler": COMPILER_REVISION,
        "rules": sorted(({"agency": r.agency, **r.definition} for r in rules), key=lambda d: str(d.get("id"))),
    }
    if lists:  # absent when no rule uses a list, so versions of rulesets without lists stay as they were
        content["lists"] = dict(sorted(lists.items()))
    canonical = json.dumps(
        content,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return "rs-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]


def _lists(packs: Sequence[PackSource]) -> tuple[dict[str, ReferenceList], list[Problem]]:
    """The reference lists among ``packs``, by name, and every problem with them."""
    lists: dict[str, ReferenceList] = {}
    problems: list[Problem] = []
    for pack in packs:
        if not is_list_document(pack.data):
            continue
        found, trouble = parse_list(pack.data, pack.source, AGENCIES)
        problems.extend(trouble)
        if found is None:
            continue
        if found.name in lists:
            message = f"list {found.name} is already defined in {lists[found.name].source}"
            problems.append(Problem("duplicate_list", message, "name", "", pack.source))
        else:
            lists[found.name] = found
    return lists, problems


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
