"""The rule language: the condition tree, rules, and parsing a pack into them.

Parsing never stops at the first mistake: every problem is collected with the pack's
source, the rule id and the path inside the rule (``rules[3].when.all[1].lte``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.conditions import All, AnyLeg, AnyOf, Condition, Leaf, Not, Rule, leaves
from engine.errors import Problem
from engine.leaf_parser import LIST_OPERATORS, MAX_DEPTH, Collector, close_match, parse_leaf, parse_watchlist
from engine.lists import ReferenceList
from engine.values import ValueProblem, parse_date, plain_data

__all__ = [
    "ACTIONS",
    "AGENCIES",
    "LIST_OPERATORS",
    "MAX_DEPTH",
    "All",
    "AnyLeg",
    "AnyOf",
    "Condition",
    "Leaf",
    "Not",
    "Rule",
    "leaves",
    "parse_pack",
]

AGENCIES = ("customs", "mpi", "immigration")
ACTIONS = ("refer", "inspect", "notify")
RULE_ID = re.compile(r"[A-Z][A-Z0-9]{1,9}-[0-9]{3,6}")
# Far above what officers write, and still a bounded recursion for the parser and compiler.

RULE_KEYS = frozenset({"id", "title", "description", "weight", "action", "valid_from", "valid_until", "when", "tags"})
REQUIRED_RULE_KEYS = ("id", "title", "weight", "action", "when")


def parse_pack(
    data: Any, source: str = "<input>", lists: Mapping[str, ReferenceList] | None = None
) -> tuple[list[Rule], list[Problem]]:
    """Parse one pack (already decoded from YAML/JSON) into rules plus every problem found.

    ``lists`` are the reference lists its rules may name (``in_list``), by name.
    """
    out = Collector(source, lists)
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
    out.agency = str(agency)
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        out.add("invalid_pack", "rules", "'rules' must be a non-empty list")
        return rules, out.problems
    for index, raw in enumerate(raw_rules):
        rule = _parse_rule(raw, f"rules[{index}]", str(agency), out)
        if rule is not None:
            rules.append(rule)
    return rules, out.problems


def _parse_rule(raw: Any, path: str, agency: str, out: Collector) -> Rule | None:
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
            hint = close_match(str(key), RULE_KEYS)
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
    if len(out.problems) > before or when is None or not isinstance(weight, int) or not isinstance(action, str):
        return None  # the problems say why; a weight or an action that is not one was reported above
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


def _optional_date(raw: Mapping[str, Any], key: str, path: str, out: Collector) -> dt.date | None:
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
    in_leg: bool = False  # the children are conditions over one leg (inside ``any_leg``)

    def build(self, items: list[Condition | None]) -> Condition | None:
        parsed = tuple(item for item in items if item is not None)
        if len(parsed) != len(items):
            return None
        if self.key == "not":
            return Not(parsed[0], self.path)
        if self.key == "any_leg":
            return AnyLeg(parsed[0], self.path)
        return All(parsed, self.path) if self.key == "all" else AnyOf(parsed, self.path)


def _parse_condition(raw: Any, path: str, out: Collector, depth: int) -> Condition | None:
    """The condition tree of ``raw``, or None when any part of it is wrong (each problem collected).

    The tree is walked with a stack of its own, not by recursion, so no depth of nesting can
    exhaust Python's stack; problems are collected in the order of a depth-first reading.
    """
    pending: list[tuple[Any, str, int, bool] | _Combine] = [(raw, path, depth, False)]
    built: list[Condition | None] = []
    while pending:
        task = pending.pop()
        if isinstance(task, _Combine):
            count = len(task.children)
            items = built[-count:]
            del built[-count:]
            built.append(task.build(items))
            continue
        raw, path, depth, in_leg = task
        node = _parse_node(raw, path, out, depth, in_leg)
        if isinstance(node, _Combine):
            pending.append(node)
            pending.extend((child, where, depth + 1, node.in_leg) for child, where in reversed(node.children))
        else:
            built.append(node)
    return built[0]


def _parse_node(raw: Any, path: str, out: Collector, depth: int, in_leg: bool) -> Condition | _Combine | None:
    """One condition: a leaf or watchlist test, a combinator still to build, or None (a problem collected).

    Inside ``any_leg`` (``in_leg``) only leg fields may be tested, and legs do not nest.
    """
    if depth > MAX_DEPTH:
        out.add("too_deep", path, f"conditions nest deeper than {MAX_DEPTH} levels")
        return None
    if not isinstance(raw, Mapping):
        out.add("invalid_condition", path, "a condition must be a mapping")
        return None
    combinators = [key for key in ("all", "any", "not", "any_leg") if key in raw]
    if combinators:
        if len(raw) != 1:
            out.add("invalid_condition", path, f"'{combinators[0]}' must be the only key of its condition")
            return None
        key = combinators[0]
        inner = raw[key]
        if key == "any_leg":
            if in_leg:
                out.add("invalid_condition", f"{path}.any_leg", "'any_leg' cannot be nested in another 'any_leg'")
                return None
            return _Combine(key, path, ((inner, f"{path}.any_leg"),), in_leg=True)
        if key == "not":
            return _Combine(key, path, ((inner, f"{path}.not"),), in_leg)
        if not isinstance(inner, list) or not inner:
            out.add("invalid_condition", f"{path}.{key}", f"'{key}' takes a non-empty list of conditions")
            return None
        return _Combine(key, path, tuple((item, f"{path}.{key}[{i}]") for i, item in enumerate(inner)), in_leg)
    if "watchlist" in raw:
        if in_leg:
            out.add("invalid_condition", path, "inside 'any_leg' only leg fields can be tested, not the watchlist")
            return None
        return parse_watchlist(raw, path, out)
    if "field" not in raw:
        out.add(
            "invalid_condition",
            path,
            "a condition needs 'field' and one operator, 'watchlist', or 'all'/'any'/'not'/'any_leg'",
        )
        return None
    return parse_leaf(raw, path, out, in_leg)
