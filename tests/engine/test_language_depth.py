"""The rule language's parser walks a condition tree without recursion, whatever its depth limit.

A rule nested deeper than ``MAX_DEPTH`` is refused with ``too_deep`` at the path where it
crosses the limit; with no effective limit, a rule nested 10,000 deep still parses (it used to
recurse once per level until Python's stack ran out).
"""

from __future__ import annotations

import datetime as dt

from engine import language
from engine.language import All, AnyOf, Leaf, Not, leaves, parse_pack

LEVELS = 10_000


def _pack(when: object) -> dict[str, object]:
    rule = {"id": "CUS-0001", "title": "Deep", "weight": 10, "action": "refer", "when": when}
    return {"agency": "customs", "rules": [rule]}


def _nested(levels: int) -> dict[str, object]:
    when: dict[str, object] = {"field": "booking.checked_bags", "gte": 3}
    for level in range(levels):
        when = {"not": when} if level % 3 == 0 else {"all" if level % 3 == 1 else "any": [when]}
    return when


def test_too_deep_is_refused_where_it_crosses_the_limit():
    rules, problems = parse_pack(_pack(_nested(LEVELS)))
    assert rules == []
    [problem] = problems
    assert problem.code == "too_deep"
    assert problem.path.count(".") == language.MAX_DEPTH + 2  # rules[0].when, then one step per level


def test_any_depth_parses_without_recursion(monkeypatch):
    monkeypatch.setattr(language, "MAX_DEPTH", LEVELS)
    [rule], problems = parse_pack(_pack(_nested(LEVELS)))
    assert problems == []
    node, depth = rule.when, 0
    while not isinstance(node, Leaf):
        node = node.item if isinstance(node, Not) else node.items[0]
        depth += 1
    assert depth == LEVELS and node.path.count(".") == LEVELS + 1
    assert [leaf.field for leaf in leaves(rule.when)] == ["booking.checked_bags"]
    # the rule as written is kept, as deep as it came
    definition, depth = rule.definition["when"], 0
    while "field" not in definition:
        definition = definition["not"] if "not" in definition else next(iter(definition.values()))[0]
        depth += 1
    assert depth == LEVELS


def test_problems_keep_their_order_and_paths():
    when = {
        "all": [
            {"field": "nope", "eq": 1},
            {"any": [{"field": "booking.checked_bags", "gte": "x"}, {"not": {"field": "booking.checked_bags"}}]},
            {"all": []},
            {"field": "flight.carrier", "eq": "NZ"},
        ]
    }
    _, problems = parse_pack(_pack(when))
    assert [(p.code, p.path) for p in problems] == [
        ("unknown_field", "rules[0].when.all[0].field"),
        ("invalid_value", "rules[0].when.all[1].any[0].gte"),
        ("invalid_condition", "rules[0].when.all[1].any[1].not"),
        ("invalid_condition", "rules[0].when.all[2].all"),
    ]


def test_a_valid_tree_keeps_its_shape_and_the_definition_its_values():
    when = {
        "any": [
            {"all": [{"field": "flight.carrier", "eq": "NZ"}, {"not": {"field": "booking.checked_bags", "gte": 3}}]},
            {"field": "booking.payment_method", "eq": "cash"},
        ]
    }
    pack = _pack(when)
    pack["rules"][0]["valid_until"] = dt.date(2027, 6, 30)  # as YAML reads a date
    [rule], problems = parse_pack(pack)
    assert problems == []
    assert isinstance(rule.when, AnyOf) and rule.when.path == "rules[0].when"
    first, second = rule.when.items
    assert isinstance(first, All) and isinstance(first.items[1], Not) and isinstance(second, Leaf)
    assert first.items[1].item.path == "rules[0].when.any[0].all[1].not"
    assert [leaf.path for leaf in leaves(rule.when)] == [
        "rules[0].when.any[0].all[0]",
        "rules[0].when.any[0].all[1].not",
        "rules[0].when.any[1]",
    ]
    assert rule.definition["valid_until"] == "2027-06-30" and rule.definition["when"] == when
