"""Parsing one leaf condition: a test of a field against a value, a list, another field, or the watchlist.

Every problem is collected at its path; nothing stops at the first mistake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.catalogue import (
    CATALOGUE,
    FIELD_COMPARISONS,
    LEG_CATALOGUE,
    WATCHLIST_CATEGORIES,
    Field,
    FieldType,
    comparison_problem,
    suggest,
)
from engine.conditions import Leaf
from engine.errors import Problem
from engine.lists import FITS, ReferenceList
from engine.regex import SafePattern, UnsafePattern
from engine.values import TypedValue, ValueProblem, parse_code, parse_value

MAX_DEPTH = 64
# A list is one atom whatever its length (engine/atoms.py); this bounds a pack's size, not speed.
MAX_LIST_VALUES = 100_000

LIST_OPERATORS = frozenset({"in", "not_in", "contains_any"})
# ``{field: X, in_list: NAME}`` reads as ``in`` over the named reference list (``engine.lists``).
LIST_REFERENCES = {"in_list": "in", "not_in_list": "not_in"}

WATCHLISTS = ("joint",)
WATCHLIST_KEYS = frozenset({"watchlist", "min_score", "category"})
# The matcher's documented default threshold; below MIN_WATCHLIST_SCORE a match is noise.
DEFAULT_WATCHLIST_MIN_SCORE = Decimal("0.85")
MIN_WATCHLIST_SCORE = Decimal("0.5")


class Collector:
    def __init__(self, source: str, lists: Mapping[str, ReferenceList] | None = None) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.rule_id = ""
        self.agency = ""
        self.lists = lists or {}
        # A list's values typed for one field, once per pack however many rules use them.
        self.typed_lists: dict[tuple[str, str], tuple[Any, ...] | str] = {}

    def add(self, code: str, path: str, message: str) -> None:
        self.problems.append(Problem(code, message, path, self.rule_id, self.source))


def close_match(word: str, choices: frozenset[str] | set[str]) -> str:
    import difflib

    found = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {found[0]!r}?)" if found else ""


def parse_leaf(raw: Mapping[str, Any], path: str, out: Collector, in_leg: bool = False) -> Leaf | None:
    """One test; inside ``any_leg`` (``in_leg``) of a leg field, elsewhere of a record field."""
    name = raw["field"]
    fields = LEG_CATALOGUE if in_leg else CATALOGUE
    field = fields.get(name) if isinstance(name, str) else None
    if field is None:
        if isinstance(name, str) and name in (CATALOGUE if in_leg else LEG_CATALOGUE):
            where = "only leg fields (leg.*) inside 'any_leg'" if in_leg else "leg fields only inside {any_leg: ...}"
            out.add("misplaced_field", f"{path}.field", f"{name} cannot be tested here: {where}")
            return None
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
        return _parse_comparison(field, op, raw[op], op_path, path, out, fields)
    if op in LIST_REFERENCES:
        return _parse_list_reference(field, op, raw[op], op_path, path, out)
    if op not in field.operators:
        from engine.catalogue import ALL_OPERATORS

        if op not in ALL_OPERATORS:
            out.add("unknown_operator", op_path, f"unknown operator {op!r}{close_match(str(op), set(ALL_OPERATORS))}")
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


def _parse_list_reference(field: Field, op: str, raw: Any, op_path: str, path: str, out: Collector) -> Leaf | None:
    """``{field: X, in_list: NAME}``: ``in`` (``contains_any`` on a list field) over a reference list's values."""
    found = out.lists.get(raw) if isinstance(raw, str) else None
    if found is None:
        known = set(out.lists)
        out.add("unknown_list", op_path, f"no reference list {raw!r}{close_match(str(raw), known) if known else ''}")
        return None
    if not found.usable_by(out.agency):
        out.add("list_not_shared", op_path, f"list {found.name} belongs to {found.agency} and is not shared")
        return None
    if field.type not in FITS[found.type] or (op == "not_in_list" and field.type is FieldType.CODE_LIST):
        out.add(
            "invalid_operator",
            op_path,
            f"'{op}' with a list of {found.type.value}s is not valid for {field.type.value} field {field.name}",
        )
        return None
    key = (found.name, field.name)
    typed = out.typed_lists.get(key)
    if typed is None:
        typed = out.typed_lists[key] = _typed_list(found, field)
    if isinstance(typed, str):
        out.add("invalid_list_value", op_path, typed)
        return None
    if field.type is FieldType.CODE_LIST:
        return Leaf(field.name, "contains_any", typed, path, found.name)
    return Leaf(field.name, LIST_REFERENCES[op], typed, path, found.name)


def _typed_list(found: ReferenceList, field: Field) -> tuple[Any, ...] | str:
    """The list's values typed for ``field``, or why one of them is not a value of it (by position)."""
    single = parse_code if field.type is FieldType.CODE_LIST else parse_value
    values: list[TypedValue] = []
    for position, item in enumerate(found.values):
        try:
            values.append(single(field, item))
        except ValueProblem as exc:
            return f"list {found.name} ({found.source}) value {position} ({item!r}) is not a valid {field.name}: {exc}"
    return tuple(dict.fromkeys(values))


def _parse_comparison(
    field: Field, op: str, raw: Any, op_path: str, path: str, out: Collector, fields: Mapping[str, Field]
) -> Leaf | None:
    """``{field: A, lt_field: B}``: false when either field is missing, like every other test.

    Both fields are record fields, or inside ``any_leg`` both fields of the one leg.
    """
    other = fields.get(raw) if isinstance(raw, str) else None
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


def parse_watchlist(raw: Mapping[str, Any], path: str, out: Collector) -> Leaf | None:
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
                f"unknown watchlist condition key {key!r}{close_match(str(key), WATCHLIST_KEYS)}",
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
        if isinstance(threshold, bool) or not isinstance(value, Decimal) or not MIN_WATCHLIST_SCORE <= value <= 1:
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
        if _above(low, high):
            raise ValueProblem("'between' low value is above the high value")
        return (low, high)
    return single(field, raw)


def _above(low: TypedValue, high: TypedValue) -> bool:
    """Whether the bound ``low`` is above ``high``: two values of one ordered field (a number, a
    date, or a date and time; a date and time is checked before a date, whose subclass it is)."""
    if isinstance(low, dt.datetime) and isinstance(high, dt.datetime):
        return low > high
    if isinstance(low, dt.date) and isinstance(high, dt.date):
        return low > high
    if isinstance(low, int | Decimal) and isinstance(high, int | Decimal):
        return low > high
    return False
