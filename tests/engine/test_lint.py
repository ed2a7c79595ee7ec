"""Warnings about rules that compile but cannot be what the officer meant (``rules validate --strict``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine import PackSource, compile_packs
from engine.lint import lint

TODAY = dt.date(2026, 12, 1)


def _rule(number: int, when: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "id": f"CUS-{number:04d}",
        "title": "t",
        "weight": 10,
        "action": "notify",
        "valid_until": "2027-06-30",
        "when": when,
        **fields,
    }


def _warnings(*rules: dict[str, Any]) -> list[tuple[str, str, str]]:
    ruleset = compile_packs([PackSource("p.yaml", {"agency": "customs", "rules": list(rules)})])
    return [(w.code, w.rule_id, w.path) for w in lint(ruleset, TODAY)]


BAGS = {"field": "booking.checked_bags", "gte": 3}


@pytest.mark.parametrize(
    "when",
    [
        {"all": [{"field": "booking.checked_bags", "gte": 5}, {"field": "booking.checked_bags", "lt": 5}]},
        {"all": [{"field": "booking.checked_bags", "gt": 4}, {"field": "booking.checked_bags", "lte": 4}]},
        {"all": [{"field": "booking.checked_bags", "between": [1, 2]}, {"field": "booking.checked_bags", "gte": 3}]},
        {
            "all": [
                {"field": "traveller.nationality", "eq": "NZL"},
                {"field": "traveller.nationality", "in": ["AUS", "FJI"]},
            ]
        },
        {"all": [{"field": "traveller.nationality", "in": ["NZL"]}, {"field": "traveller.nationality", "eq": "AUS"}]},
        {"all": [{"field": "booking.checked_bags", "in": [1, 2]}, {"field": "booking.checked_bags", "gte": 3}]},
    ],
)
def test_tests_that_cannot_hold_together_are_a_rule_that_never_matches(when):
    assert _warnings(_rule(1, when)) == [("never_matches", "CUS-0001", "rules[0].when")]


@pytest.mark.parametrize(
    "when",
    [
        {"all": [{"field": "booking.checked_bags", "gte": 5}, {"field": "booking.checked_bags", "lte": 5}]},
        {
            "all": [
                {"field": "traveller.nationality", "eq": "NZL"},
                {"field": "traveller.nationality", "in": ["NZL", "AUS"]},
            ]
        },
        {"any": [{"field": "booking.checked_bags", "gte": 5}, {"field": "booking.checked_bags", "lt": 5}]},
        {
            "all": [
                {"field": "itinerary.countries", "contains": "COL"},
                {"field": "itinerary.countries", "contains": "PER"},
            ]
        },
        {"all": [{"field": "booking.checked_bags", "in": [1, 4]}, {"field": "booking.checked_bags", "gte": 3}]},
    ],
)
def test_tests_that_can_hold_together_give_no_warning(when):
    assert _warnings(_rule(1, when)) == []


def test_expiry_warnings():
    no_expiry = _rule(1, BAGS)
    del no_expiry["valid_until"]
    expired = _rule(2, {"field": "booking.checked_bags", "gte": 4}, valid_until="2026-11-30")
    assert _warnings(no_expiry, expired) == [
        ("no_expiry", "CUS-0001", "rules[0].valid_until"),
        ("expired", "CUS-0002", "rules[1].valid_until"),
    ]


def test_a_test_repeated_in_one_all_and_a_rule_repeated_are_named():
    repeated = _rule(1, {"all": [BAGS, {"field": "booking.one_way", "eq": True}, dict(BAGS)]})
    twin = _rule(2, {"all": [{"field": "booking.one_way", "eq": True}, BAGS]})
    assert _warnings(repeated, twin) == [
        ("repeated_test", "CUS-0001", "rules[0].when.all[2]"),
        ("duplicate_rule", "CUS-0002", "rules[1].when"),
    ]
