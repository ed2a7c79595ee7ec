"""The rule language: the condition tree, rules, and parsing a pack into them.

Parsing never stops at the first mistake: every problem is collected with the pack's
source, the rule id and the path inside the rule (``rules[3].when.all[1].lte``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Union

from engine.catalogue import (
    CATALOGUE,
    FIELD_COMPARISONS,
    WATCHLIST_CATEGORIES,
    Field,
    FieldType,
    comparison_problem,
    suggest,
)
from engine.errors import Problem
from engine.regex import SafePattern, UnsafePattern
from engine.values import TypedValue, ValueProblem, parse_code, parse_date, parse_value, plain_data

AGENCIES = ("customs", "mpi", "immigration")
ACTIONS = ("refer", "inspect", "notify")
RULE_ID = re.compile(r"[A-Z][A-Z0-9]{1,9}-[0-9]{3,6}")
# Far above what officers write, and still a bounded recursion for the parser and compiler.
MAX_DEPTH = 64
# A list is one atom whatever its length (engine/atoms.py); this bounds a pack's size, not speed.
MAX_LIST_VALUES = 100_000

LIST_OPERATORS = frozenset({"in", "not_in", "contains_any"})

WATCHLISTS = ("joint",)
WATCHLIST_KEYS = frozenset({"watchlist", "min_score", "category"})
# The matcher's documented default threshold; below MIN_WATCHLIST_SCORE a match is noise.
DEFAULT_WATCHLIST_MIN_SCORE = Decimal("0.85")
MIN_WATCHLIST_SCORE = Decimal("0.5")


@dataclass(frozen=True)
class Leaf:
    """``{field: NAME, OP: VALUE}``; ``value`` is typed for the field (a tuple for lists), or for a
    field comparison (``lt_field`` ...) the name of the other field."""

    field: str
    op: str
    value: Any
    path: str


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]
    path: str


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]
    path: str


@dataclass(frozen=True)
class Not:
    item: Condition
    path: str


Condition = Union[Leaf, All, AnyOf, Not]  # noqa: UP007 - recursive alias needs the string-free form


def leaves(condition: Condition) -> Iterator[Leaf]:
    """Every test of ``condition``, however deeply nested, in order (walked without recursion)."""
    pending: list[Condition] = [condition]
    while pending:
        node = pending.pop()
        if isinstance(node, Leaf):
            yield node
        elif isinstance(node, Not):
            pending.append(node.item)
        else:
            pending.extend(reversed(node.items))


@dataclass(frozen=True)
class Rule:
    id: str
    agency: str
    title: str
    description: str
    weight: int
    action: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    when: Condition
    source: str
    definition: Mapping[str, Any]  # the rule as written, for hashing and display
    path: str = ""  # where the rule sits in its pack, e.g. "rules[3]"

    def valid_on(self, day: dt.date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_until is not None and day > self.valid_until)


RULE_KEYS = frozenset({"id", "title", "description", "weight", "action", "valid_from", "valid_until", "when", "tags"})
REQUIRED_RULE_KEYS = ("id", "title", "weight", "action", "when")


class _Collector:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.rule_id = ""

    def add(self, code: str, path: str, message: str) -> None:
        self.problems.append(Problem(code, message, path, self.rule_id, self.source))


def parse_pack(data: Any, source: str = "<input>") -> tuple[list[Rule], list[Problem]]:
    """Parse one pack (already decoded from YAML/JSON) into rules plus every problem found."""
    out = _Collector(source)
    rules: list[Rule] = []
    if not isinstance(data, Mapping):
        out.add("invalid_pack", "", "a pack must be a mapping with 'agency' and 'rules'")
        return rules, out.problems
    for key in data:
        if key not in ("agency", "rules", "description"):
            out.add("unknown_key", str(key), f"unknown pack key {key!r}")
    agency = data.get("agency")
    if agency not in AGENCIES:
        out.add("invalid_agency", "agency", f"agency must be one of {', '.join(AGENCIES)}")
        agency = ""
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        out.add("invalid_pack", "rules", "'rules' must be a non-empty list")
        return rules, out.problems
    for index, raw in enumerate(raw_rules):
        rule = _parse_rule(raw, f"rules[{index}]", str(agency), out)
        if rule is not None:
            rules.append(rule)
    return rules, out.problems


def _parse_rule(raw: Any, path: str, agency: str, out: _Collector) -> Rule | None:
    out.rule_id = ""
    if not isinstance(raw, Mapping):
        out.add("invalid_rule", path, "a rule must be a mapping")
        return None
    rule_id = raw.get("id")
    if isinstance(rule_id, str) and RULE_ID.fullmatch(rule_id):
        out.rule_id = rule_id
    else:
        out.add("invalid_id", f"{path}.id", "id must look like CUS-0001 (letters, hyphen, 3-6 digits)")
        rule_id = str(rule_id) if rule_id is not None else ""
        out.rule_id = rule_id
    before = len(out.problems)
    for key in raw:
        if key not in RULE_KEYS:
            hint = _close(str(key), RULE_KEYS)
            out.add("unknown_key", f"{path}.{key}", f"unknown rule key {key!r}{hint}")
    for key in REQUIRED_RULE_KEYS:
        if key not in raw:
            out.add("missing_key", f"{path}.{key}", f"'{key}' is required")
    title = raw.get("title", "")
    if "title" in raw and (not isinstance(title, str) or not title.strip() or len(title) > 200):
        out.add("invalid_title", f"{path}.title", "title must be a non-empty string of at most 200 characters")
    description = raw.get("description", "")
    if not isinstance(description, str) or len(description) > 2000:
        out.add("invalid_description", f"{path}.description", "description must be a string of at most 2000 characters")
    weight = raw.get("weight")
    if "weight" in raw and (isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100):
        out.add("invalid_weight", f"{path}.weight", "weight must be an integer from 1 to 100")
    action = raw.get("action")
    if "action" in raw and action not in ACTIONS:
        out.add("invalid_action", f"{path}.action", f"action must be one of {', '.join(ACTIONS)}")
    valid_from = _optional_date(raw, "valid_from", path, out)
    valid_until = _optional_date(raw, "valid_until", path, out)
    if valid_from and valid_until and valid_until < valid_from:
        out.add("invalid_validity", f"{path}.valid_until", "valid_until is before valid_from")
    when = _parse_condition(raw["when"], f"{path}.when", out, 0) if "when" in raw else None
    if len(out.problems) > before or when is None:
        return None
    return Rule(
        id=rule_id,
        agency=agency,
        title=title.strip(),
        description=description.strip(),
        weight=weight,
        action=action,
        valid_from=valid_from,
        valid_until=valid_until,
        when=when,
        source=out.source,
        definition=plain_data(raw),
        path=path,
    )


def _close(word: str, choices: frozenset[str] | set[str]) -> str:
    import difflib

    found = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {found[0]!r}?)" if found else ""


def _optional_date(raw: Mapping[str, Any], key: str, path: str, out: _Collector) -> dt.date | None:
    if raw.get(key) is None:
        return None
    try:
        return parse_date(raw[key])
    except ValueProblem as exc:
        out.add("invalid_date", f"{path}.{key}", str(exc))
        return None


@dataclass(frozen=True)
class _Combine:
    """An ``all``, ``any`` or ``not`` whose children are parsed before it is built from them."""

    key: str
    path: str
    children: tuple[tuple[Any, str], ...]  # (raw condition, its path)

    def build(self, items: list[Condition | None]) -> Condition | None:
        parsed = tuple(item for item in items if item is not None)
        if len(parsed) != len(items):
            return None
        if self.key == "not":
            return Not(parsed[0], self.path)
        return All(parsed, self.path) if self.key == "all" else AnyOf(parsed, self.path)


def _parse_condition(raw: Any, path: str, out: _Collector, depth: int) -> Condition | None:
    """The condition tree of ``raw``, or None when any part of it is wrong (each problem collected).

    The tree is walked with a stack of its own, not by recursion, so no depth of nesting can
    exhaust Python's stack; problems are collected in the order of a depth-first reading.
    """
    pending: list[tuple[Any, str, int] | _Combine] = [(raw, path, depth)]
    built: list[Condition | None] = []
    while pending:
        task = pending.pop()
        if isinstance(task, _Combine):
            count = len(task.children)
            items = built[-count:]
            del built[-count:]
            built.append(task.build(items))
            continue
        raw, path, depth = task
        node = _parse_node(raw, path, out, depth)
        if isinstance(node, _Combine):
            pending.append(node)
            pending.extend((child, where, depth + 1) for child, where in reversed(node.children))
        else:
            built.append(node)
    return built[0]


def _parse_node(raw: Any, path: str, out: _Collector, depth: int) -> Condition | _Combine | None:
    """One condition: a leaf or watchlist test, a combinator still to build, or None (a problem collected)."""
    if depth > MAX_DEPTH:
        out.add("too_deep", path, f"conditions nest deeper than {MAX_DEPTH} levels")
        return None
    if not isinstance(raw, Mapping):
        out.add("invalid_condition", path, "a condition must be a mapping")
        return None
    combinators = [key for key in ("all", "any", "not") if key in raw]
    if combinators:
        if len(raw) != 1:
            out.add("invalid_condition", path, f"'{combinators[0]}' must be the only key of its condition")
            return None
        key = combinators[0]
        inner = raw[key]
        if key == "not":
            return _Combine(key, path, ((inner, f"{path}.not"),))
        if not isinstance(inner, list) or not inner:
            out.add("invalid_condition", f"{path}.{key}", f"'{key}' takes a non-empty list of conditions")
            return None
        return _Combine(key, path, tuple((item, f"{path}.{key}[{i}]") for i, item in enumerate(inner)))
    if "watchlist" in raw:
        return _parse_watchlist(raw, path, out)
    if "field" not in raw:
        out.add(
            "invalid_condition",
            path,
            "a condition needs 'field' and one operator, 'watchlist', or 'all'/'any'/'not'",
        )
        return None
    return _parse_leaf(raw, path, out)


def _parse_leaf(raw: Mapping[str, Any], path: str, out: _Collector) -> Leaf | None:
    name = raw["field"]
    field = CATALOGUE.get(name) if isinstance(name, str) else None
    if field is None:
        guess = suggest(name) if isinstance(name, str) else None
        hint = f" (did you mean {guess!r}?)" if guess else ""
        out.add("unknown_field", f"{path}.field", f"unknown field {name!r}{hint}")
        return None
    operators = [key for key in raw if key != "field"]
    if len(operators) != 1:
        out.add("invalid_condition", path, "a condition takes exactly one operator besides 'field'")
        return None
    op = operators[0]
    op_path = f"{path}.{op}"
    if op in FIELD_COMPARISONS:
        return _parse_comparison(field, op, raw[op], op_path, path, out)
    if op not in field.operators:
        from engine.catalogue import ALL_OPERATORS

        if op not in ALL_OPERATORS:
            out.add("unknown_operator", op_path, f"unknown operator {op!r}{_close(str(op), set(ALL_OPERATORS))}")
        else:
            allowed = ", ".join(sorted(field.operators))
            out.add("invalid_operator", op_path, f"'{op}' is not valid for {field.type.value} field {name} ({allowed})")
        return None
    try:
        value = _leaf_value(field, op, raw[op])
    except ValueProblem as exc:
        out.add("invalid_value", op_path, str(exc))
        return None
    return Leaf(name, op, value, path)


def _parse_comparison(field: Field, op: str, raw: Any, op_path: str, path: str, out: _Collector) -> Leaf | None:
    """``{field: A, lt_field: B}``: false when either field is missing, like every other test."""
    other = CATALOGUE.get(raw) if isinstance(raw, str) else None
    if other is None:
        guess = suggest(raw) if isinstance(raw, str) else None
        hint = f" (did you mean {guess!r}?)" if guess else ""
        out.add("unknown_field", op_path, f"'{op}' takes the name of another field, not {raw!r}{hint}")
        return None
    problem = comparison_problem(field, op, other)
    if problem is not None:
        out.add("incomparable_fields", op_path, problem)
        return None
    return Leaf(field.name, op, other.name, path)


def _parse_watchlist(raw: Mapping[str, Any], path: str, out: _Collector) -> Leaf | None:
    """``{watchlist: joint, min_score: 0.9, category: biosecurity}``: a threshold on a screening score.

    It reads as ``{field: watchlist.biosecurity_score, gte: 0.9}`` (``watchlist.score`` without a
    category): the record's best match score, filled in by screening before evaluation.
    """
    before = len(out.problems)
    for key in raw:
        if key not in WATCHLIST_KEYS:
            out.add(
                "unknown_key",
                f"{path}.{key}",
                f"unknown watchlist condition key {key!r}{_close(str(key), WATCHLIST_KEYS)}",
            )
    if raw["watchlist"] not in WATCHLISTS:
        out.add("unknown_watchlist", f"{path}.watchlist", f"watchlist must be one of {', '.join(WATCHLISTS)}")
    category = raw.get("category")
    if category is not None and category not in WATCHLIST_CATEGORIES:
        out.add("invalid_value", f"{path}.category", f"category must be one of {', '.join(WATCHLIST_CATEGORIES)}")
        category = None
    field = CATALOGUE["watchlist.score" if category is None else f"watchlist.{category}_score"]
    threshold = raw.get("min_score", DEFAULT_WATCHLIST_MIN_SCORE)
    try:
        value = parse_value(field, threshold)
        if isinstance(threshold, bool) or not MIN_WATCHLIST_SCORE <= value <= 1:
            raise ValueProblem(f"must be a number from {MIN_WATCHLIST_SCORE} to 1")
    except ValueProblem as exc:
        out.add("invalid_value", f"{path}.min_score", f"min_score {exc}")
    if len(out.problems) > before:
        return None
    return Leaf(field.name, "gte", value, path)


def _leaf_value(field: Field, op: str, raw: Any) -> Any:
    if op == "exists":
        if not isinstance(raw, bool):
            raise ValueProblem("exists takes true or false")
        return raw
    if op == "matches":
        try:
            return SafePattern.compile(raw)
        except UnsafePattern as exc:
            raise ValueProblem(str(exc)) from None
    single = parse_code if field.type is FieldType.CODE_LIST else parse_value
    if op in LIST_OPERATORS:
        if not isinstance(raw, list) or not raw:
            raise ValueProblem(f"'{op}' takes a non-empty list")
        if len(raw) > MAX_LIST_VALUES:
            raise ValueProblem(f"'{op}' takes at most {MAX_LIST_VALUES} values")
        values: list[TypedValue] = []
        for position, item in enumerate(raw):
            try:
                values.append(single(field, item))
            except ValueProblem as exc:
                raise ValueProblem(f"item {position}: {exc}") from None
        return tuple(dict.fromkeys(values))
    if op == "between":
        if not isinstance(raw, list) or len(raw) != 2:
            raise ValueProblem("'between' takes a list of two values [low, high]")
        low, high = (single(field, item) for item in raw)
        if low > high:  # type: ignore[operator]
            raise ValueProblem("'between' low value is above the high value")
        return (low, high)
    return single(field, raw)
