"""The passenger and rule schemas agree with the catalogue and the compiler (``engine/json_schema.py``).

Records the catalogue accepts fit the ``Passenger`` schema; records it refuses for a reason a schema
can state (a wrong type, an unknown or derived field, a bad code, a value out of range, too long,
an unsafe character, a malformed date, time or decimal, a missing or blank passenger id) do not.
Rules the compiler accepts fit the ``RuleBody`` schema, and rules of the wrong shape do not. The
schemas are checked as ``/openapi.json`` publishes them (OpenAPI 3.0), read as JSON Schema:
``nullable`` becomes a ``null`` type, and numbers are read as decimals, as the service reads them.
What a schema cannot state is named in the module docstring of ``engine.json_schema``.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import jsonschema
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine import RecordError, check_record
from engine.catalogue import CATALOGUE, MAX_LIST_LENGTH, FieldType
from engine.json_schema import passenger_schemas, rule_schemas
from engine.language import AGENCIES, parse_pack
from engine.lists import parse_list
from engine.records import REQUIRED_FIELDS
from tests.engine.strategies import LIST_PACKS, record, rule_pack

EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def as_json_schema(components: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0 Schema Objects as JSON Schema (2020-12): ``nullable: true`` adds ``null``."""

    def convert(node: Any) -> Any:
        if isinstance(node, list):
            return [convert(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: convert(value) for key, value in node.items() if key != "nullable"}
        if node.get("nullable") and "type" in node:
            out["type"] = [node["type"], "null"]
        return out

    return {"components": {"schemas": convert(components)}}


def validator(components: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    # Read with decimals, like the request bodies: 0.07 is a multiple of 0.01, as a float it is not.
    root = json.loads(json.dumps(as_json_schema(components)), parse_float=Decimal)
    return jsonschema.Draft202012Validator(
        {**root, "$ref": f"#/components/schemas/{name}"},
        format_checker=jsonschema.FormatChecker(formats=["date"]),
    )


PASSENGER = validator(passenger_schemas(), "Passenger")
RULE = validator({**rule_schemas(), **passenger_schemas()}, "RuleBody")


def fits(schema: jsonschema.Draft202012Validator, value: Any) -> bool:
    return schema.is_valid(json.loads(json.dumps(value), parse_float=Decimal))


def accepted(raw: Any) -> bool:
    try:
        check_record(raw, REQUIRED_FIELDS)
    except RecordError:
        return False
    return True


@st.composite
def submitted(draw: st.DrawFn) -> dict[str, Any]:
    """A generated record with the passenger id the service requires."""
    raw = draw(record())
    if not isinstance(raw.get("passenger_id"), str) or not raw["passenger_id"].strip():
        raw["passenger_id"] = draw(st.sampled_from(["P-1", "Müller 7", "李"]))
    return raw


@EXAMPLES
@given(raw=submitted())
def test_records_the_catalogue_accepts_fit_the_schema(raw):
    assume(accepted(raw))  # a few are refused for what only the catalogue checks (born after arriving)
    errors = [error.message for error in PASSENGER.iter_errors(json.loads(json.dumps(raw), parse_float=Decimal))]
    assert errors == [], raw


INPUT_FIELDS = sorted(name for name, field in CATALOGUE.items() if not field.derived and "." in name)
UNSAFE = ["\x00", "\n", "\x1b", "\u202e", "\u2066", "\u200f", "\x85"]
WRONG_TYPE = {
    FieldType.STRING: [12, True, ["x"], {"x": 1}],
    FieldType.CODE: [12, True, ["NZL"]],
    FieldType.INTEGER: ["3", True, 3.5, [3]],
    FieldType.DECIMAL: [True, "1e2", "+5", " 5", "1_000", "5.", ".5", "NaN", [1]],
    FieldType.BOOLEAN: ["true", 1, 0],
    FieldType.DATE: ["2026-13-01", "2026-02-30", "20261201", "2026-W01-1", "2026-12-01T00:00:00Z", 20261201],
    FieldType.DATETIME: ["yesterday", "2026-12-01", "2026-12-01T25:00:00Z", "2026-12-01T22", "2026-12-01t22:00z", 1],
}


def _bad_values(name: str) -> st.SearchStrategy[Any]:
    field = CATALOGUE[name]
    candidates: list[Any] = list(WRONG_TYPE.get(field.type, []))
    if field.type in (FieldType.STRING, FieldType.CODE):
        candidates.append("A" * (field.max_length + 1))
        candidates += [f"NZL{bad}" for bad in UNSAFE]
    if field.type is FieldType.CODE:
        candidates += ["nzl", "NZ L", "NZL\n", "ÑZL", ""]
    if field.minimum is not None:
        candidates += [field.minimum - 1, str(field.minimum - 1)]
    if field.maximum is not None:
        candidates += [field.maximum + 1, str(field.maximum + 1)]
    if field.type is FieldType.DECIMAL:
        candidates += ["1.234", 1.234, "1.2345"]
    return st.sampled_from(candidates)


@st.composite
def refused_record(draw: st.DrawFn) -> dict[str, Any]:
    """A record with one fault a schema can state (the catalogue checked to refuse it)."""
    raw = copy.deepcopy(draw(submitted()))
    fault = draw(st.integers(0, 9))
    if fault <= 3:  # a bad value of a field the record may carry
        name = draw(st.sampled_from(INPUT_FIELDS))
        section, key = name.split(".", 1)
        if not isinstance(raw.get(section), dict):
            raw[section] = {}
        raw[section][key] = draw(_bad_values(name))
    elif fault == 4:
        raw[draw(st.sampled_from(["surprise", "watchlist"]))] = {}
    elif fault == 5:  # an unknown or derived field of a section
        raw.setdefault("traveller", {}) if isinstance(raw.get("traveller"), dict) else raw.update(traveller={})
        raw["traveller"][draw(st.sampled_from(["age", "middle_name"]))] = 30
    elif fault == 6:
        raw["passenger_id"] = draw(st.sampled_from([None, "", "   ", "\t", "P\x00", "P" * 65, 7]))
        if draw(st.booleans()):
            raw.pop("passenger_id")
    elif fault == 7:
        raw[draw(st.sampled_from(["flight", "booking", "declarations"]))] = draw(st.sampled_from([[], "x", 1]))
    elif fault == 8:
        raw["itinerary"] = draw(
            st.sampled_from(
                [
                    {"airport": "AKL"},
                    [None],
                    [{"airport": "AKL", "gate": "7"}],
                    [{"country": "nz"}],
                    [{"arrival": "2026-12-01"}],
                    [{}] * (MAX_LIST_LENGTH + 1),
                ]
            )
        )
    else:
        raw["document"] = {"type": "P", "number": draw(st.sampled_from(["ab123", "AB-123", "A" * 21, 123456]))}
    return raw


@EXAMPLES
@given(raw=refused_record())
def test_records_the_catalogue_refuses_do_not_fit_the_schema(raw):
    assume(not accepted(raw))
    assert not fits(PASSENGER, raw), raw


def test_the_schema_names_every_field_a_record_may_carry():
    properties = passenger_schemas()["Passenger"]["properties"]
    named = {
        f"{section}.{key}" for section, body in properties.items() if "properties" in body for key in body["properties"]
    }
    named |= {name for name in properties if "properties" not in properties[name] and name != "itinerary"}
    assert named == {name for name, field in CATALOGUE.items() if not field.derived}


LISTS = {
    found.name: found for found in (parse_list(pack.data, pack.source, AGENCIES)[0] for pack in LIST_PACKS) if found
}


def _compiles(pack: dict[str, Any]) -> bool:
    """Whether the rule language accepts the pack (parsed, as the compiler's first stage does)."""
    _, problems = parse_pack(pack, "generated", LISTS)
    return not problems


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(pack=rule_pack(max_rules=3))
def test_rules_the_compiler_accepts_fit_the_rule_schema(pack):
    assume(_compiles(pack))
    for rule in pack["rules"]:
        errors = [error.message for error in RULE.iter_errors(json.loads(json.dumps(rule), parse_float=Decimal))]
        assert errors == [], rule


GOOD_RULE = {
    "id": "CUS-0100",
    "title": "Heavy baggage through Panama",
    "weight": 50,
    "action": "inspect",
    "valid_until": "2027-12-31",
    "when": {"all": [{"field": "itinerary.countries", "contains": "PAN"}, {"field": "booking.checked_bags", "gte": 3}]},
}
BAD_RULES = [
    {"id": "cus-1"},
    {"weight": 0},
    {"weight": 101},
    {"action": "arrest"},
    {"surprise": True},
    {"valid_until": "31/12/2027"},
    {"when": {"all": []}},
    {"when": {"field": "booking.checked_bags", "gte": 3, "lte": 9}},
    {"when": {"field": "booking.checked_bags"}},
    {"when": {"field": "booking.checked_bags", "gte": "three"}},
    {"when": {"field": "booking.luggage", "gte": 3}},
    {"when": {"field": "traveller.nationality", "gte": "NZL"}},
    {"when": {"any_leg": {"field": "booking.checked_bags", "gte": 3}}},
    {"when": {"any_leg": {"any_leg": {"field": "leg.country", "eq": "PAN"}}}},
    {"when": {"not": [{"field": "booking.one_way", "eq": True}]}},
    {"when": {"watchlist": "joint", "min_score": 0.2}},
    {"when": {"all": [{"field": "booking.one_way", "eq": True}], "any": []}},
]


def test_rules_of_the_wrong_shape_do_not_fit_the_rule_schema():
    assert fits(RULE, GOOD_RULE)
    assert _compiles({"agency": "customs", "rules": [GOOD_RULE]})
    for change in BAD_RULES:
        bad = {**GOOD_RULE, **change}
        assert not _compiles({"agency": "customs", "rules": [bad]}), change
        assert not fits(RULE, bad), change
