"""The passenger record and the rule language as schemas (OpenAPI 3.0 Schema Objects), from the catalogue.

The service's ``/openapi.json`` publishes these, so agency systems generate typed clients, and
``docs/fields.md`` shows the same constraints (``engine.fields_doc``): the catalogue stays the
one definition of a field, and a new field appears in both by being added to it.
``tests/engine/test_json_schema.py`` checks that records the catalogue accepts fit the schema
and records it refuses do not.

What the schema cannot say, and the catalogue still checks: that a date is a day of the calendar
(``format: date`` says it), that a date and time lies from 1900 to 2199 *after* its offset is
applied, and the cross-field checks (a date of birth before the arrival). The rule schema is the
grammar: which conditions nest how, which operators a field type takes and the type of their
values; the compiler still checks each field's codes, reference lists and nesting depth.

OpenAPI 3.0 marks a value that may be null with ``nullable``; every optional part of a record
may be null (it reads as missing).
"""

from __future__ import annotations

from typing import Any

from engine.catalogue import (
    CATALOGUE,
    DECIMAL_PLACES,
    FIELD_COMPARISONS,
    LEG_CATALOGUE,
    LEG_FIELDS,
    MAX_LIST_LENGTH,
    SECTIONS,
    WATCHLIST_CATEGORIES,
    Field,
    FieldType,
    comparison_problem,
)
from engine.leaf_parser import LIST_OPERATORS, LIST_REFERENCES, MAX_DEPTH, MIN_WATCHLIST_SCORE, WATCHLISTS
from engine.lists import FITS
from engine.records import REQUIRED_FIELDS
from engine.values import DATE_PATTERN, DATETIME_PATTERN, UNSAFE_CHARACTERS

Schema = dict[str, Any]

#: Python's ``$`` also matches before a final newline; ``(?!\n)`` makes every pattern end at the end.
_END = r"(?!\n)$"
#: Free text: none of the characters ``engine.values.unsafe_character`` refuses.
SAFE_TEXT = rf"^[^{UNSAFE_CHARACTERS}]*{_END}"
#: Free text that is not blank either (a required identifier).
NOT_BLANK_TEXT = rf"^[^{UNSAFE_CHARACTERS}]*[^{UNSAFE_CHARACTERS}\s][^{UNSAFE_CHARACTERS}]*{_END}"
DATE = {"type": "string", "format": "date", "pattern": rf"^{DATE_PATTERN}{_END}", "example": "2026-12-01"}
DATETIME = {
    "type": "string",
    "pattern": rf"^{DATETIME_PATTERN}{_END}",
    "description": "RFC 3339 date and time; without an offset it is taken as UTC",
    "example": "2026-12-01T22:00:00Z",
}
#: A date and time in a record or a request: the years the service keeps to (``engine.records.check_instant``).
INSTANT = {
    **DATETIME,
    "pattern": "^" + DATETIME_PATTERN.replace("[0-9]{4}", "(?:19[0-9]{2}|2[01][0-9]{2})", 1) + _END,
    "description": "RFC 3339 date and time, from 1900 to 2199 (UTC); without an offset it is taken as UTC",
}
#: A decimal as text, at most two places written (zeros after them change nothing).
_DECIMAL_TEXT = rf"-?[0-9]+(?:\.[0-9]{{1,{DECIMAL_PLACES}}}0*)?"


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _anchored(pattern: str) -> str:
    return rf"^(?:{pattern}){_END}"


def value_schema(field: Field, nullable: bool = False) -> Schema:
    """One value of ``field`` as a record carries it (for a list of codes: one code)."""
    kind = field.type
    schema: Schema
    if kind is FieldType.STRING:
        schema = {"type": "string", "maxLength": field.max_length, "pattern": SAFE_TEXT}
    elif kind in (FieldType.CODE, FieldType.CODE_LIST):
        schema = {"type": "string", "maxLength": field.max_length}
        if field.choices:
            schema["enum"] = list(field.choices)
        else:
            schema["pattern"] = _anchored(field.pattern) if field.pattern else SAFE_TEXT
    elif kind is FieldType.INTEGER:
        schema = {"type": "integer", **_bounds(field)}
    elif kind is FieldType.DECIMAL:
        return _decimal(field, nullable)
    elif kind is FieldType.BOOLEAN:
        schema = {"type": "boolean"}
    elif kind is FieldType.DATE:
        schema = dict(DATE)
    else:
        schema = dict(INSTANT)
    if nullable:
        schema["nullable"] = True
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def _bounds(field: Field) -> Schema:
    found: Schema = {}
    if field.minimum is not None:
        found["minimum"] = field.minimum
    if field.maximum is not None:
        found["maximum"] = field.maximum
    return found


def _decimal(field: Field, nullable: bool) -> Schema:
    """A JSON number, or the same number as text (airline messages send amounts as text)."""
    number: Schema = {"type": "number", "multipleOf": 10**-DECIMAL_PLACES, **_bounds(field)}
    text: Schema = {"type": "string", "pattern": _decimal_text(field)}
    if nullable:
        number["nullable"] = True
    return {
        "anyOf": [number, text],
        "description": f"At most {DECIMAL_PLACES} decimal places, as a number or as text",
    }


def _decimal_text(field: Field) -> str:
    """The text form, with the field's range where a pattern can say it (0 to a power of ten)."""
    places = rf"(?:\.[0-9]{{1,{DECIMAL_PLACES}}}0*)?"
    maximum = field.maximum
    if field.minimum == 0 and maximum is not None and maximum >= 1 and str(maximum).rstrip("0") == "1":
        zeros = len(str(maximum)) - 1
        below = f"[0-9]{{1,{zeros}}}" if zeros else "0"
        return rf"^0*(?:{below}{places}|1{'0' * zeros}(?:\.0+)?){_END}"
    return rf"^{_DECIMAL_TEXT}{_END}"


def _described(field: Field, schema: Schema) -> Schema:
    notes = [field.description]
    if field.personal:
        notes.append("Personal data: never logged.")
    if "description" in schema:
        notes.append(schema["description"] + ".")
    return {**schema, "description": " ".join(notes)}


def passenger_schemas() -> dict[str, Schema]:
    """``Passenger`` (a record as submitted; derived fields are the engine's) and ``ItineraryLeg``."""
    sections: dict[str, Schema] = {}
    top: dict[str, Schema] = {}
    for name, field in CATALOGUE.items():
        if field.derived:
            continue
        if "." not in name:
            required = name in REQUIRED_FIELDS
            schema = _described(field, value_schema(field, nullable=not required))
            if required:
                schema["pattern"] = NOT_BLANK_TEXT
            top[name] = schema
            continue
        section, key = name.split(".", 1)
        sections.setdefault(section, {})[key] = _described(field, value_schema(field, nullable=True))
    properties: dict[str, Schema] = {**top}
    for section in SECTIONS:
        properties[section] = {
            "type": "object",
            "nullable": True,
            "additionalProperties": False,
            "properties": sections.get(section, {}),
        }
    properties["itinerary"] = {
        "type": "array",
        "nullable": True,
        "maxItems": MAX_LIST_LENGTH,
        "items": _ref("ItineraryLeg"),
        "description": "The journey's legs, in order: where the traveller was before the arriving flight",
    }
    leg_properties = {
        key: _described(LEG_CATALOGUE[f"leg.{key}"], value_schema(LEG_CATALOGUE[f"leg.{key}"], nullable=True))
        for key in LEG_FIELDS
    }
    return {
        "Passenger": {
            "type": "object",
            "description": "A passenger record: every field of the catalogue (docs/fields.md) but the derived ones, "
            "each optional except " + ", ".join(REQUIRED_FIELDS) + "; null reads as missing.",
            "required": list(REQUIRED_FIELDS),
            "additionalProperties": False,
            "properties": properties,
        },
        "ItineraryLeg": {"type": "object", "additionalProperties": False, "properties": leg_properties},
    }


# --------------------------------------------------------------------------- the rule language


def _typed_value(field_type: FieldType) -> Schema:
    """A value of any field of ``field_type`` (each field's own codes and range the compiler checks)."""
    if field_type in (FieldType.STRING, FieldType.CODE, FieldType.CODE_LIST):
        return {"type": "string"}
    if field_type is FieldType.INTEGER:
        return {"type": "integer"}
    if field_type is FieldType.DECIMAL:
        return {"anyOf": [{"type": "number"}, {"type": "string", "pattern": rf"^{_DECIMAL_TEXT}{_END}"}]}
    if field_type is FieldType.BOOLEAN:
        return {"type": "boolean"}
    return dict(DATE if field_type is FieldType.DATE else DATETIME)


def _operand(field_type: FieldType, op: str) -> Schema:
    """What ``{field: F, op: VALUE}`` takes as VALUE for a field of ``field_type``."""
    if op == "exists":
        return {"type": "boolean"}
    if op == "matches":
        return {"type": "string", "description": "A regular expression the whole value must match"}
    single = _typed_value(field_type)
    if op in LIST_OPERATORS:
        return {"type": "array", "minItems": 1, "items": single}
    if op == "between":
        return {"type": "array", "minItems": 2, "maxItems": 2, "items": single, "description": "[low, high]"}
    return single


def _field_tests(catalogue: dict[str, Field], prefix: str) -> dict[str, Schema]:
    """One schema per field type: ``{field: NAME, OPERATOR: VALUE}`` with the operators that type takes."""
    found: dict[str, Schema] = {}
    for field_type in FieldType:
        names = [name for name, field in catalogue.items() if field.type is field_type]
        if not names:
            continue
        sample = catalogue[names[0]]
        operators: dict[str, Schema] = {op: _operand(field_type, op) for op in sorted(sample.operators)}
        for written, test in FIELD_COMPARISONS.items():
            others = [
                other
                for other in catalogue
                if any(comparison_problem(catalogue[name], written, catalogue[other]) is None for name in names)
            ]
            if others:
                operators[written] = {"type": "string", "enum": others, "description": f"Another field: {test}"}
        if any(field_type in fits for fits in FITS.values()):
            for written in LIST_REFERENCES:
                if written == "not_in_list" and field_type is FieldType.CODE_LIST:
                    continue
                operators[written] = {"type": "string", "description": "The name of a reference list (/v1/lists)"}
        title = field_type.value.replace(" ", "_").title().replace("_", "")
        found[f"{prefix}{title}Test"] = {
            "type": "object",
            "description": f"A test of a field of type {field_type.value}: the field and exactly one operator",
            "required": ["field"],
            "minProperties": 2,
            "maxProperties": 2,
            "additionalProperties": False,
            "properties": {"field": {"type": "string", "enum": names}, **operators},
        }
    return found


def _combinators(prefix: str, condition: str, with_legs: bool) -> dict[str, Schema]:
    def single(key: str, inner: Schema, description: str) -> Schema:
        return {
            "type": "object",
            "description": description,
            "required": [key],
            "additionalProperties": False,
            "properties": {key: inner},
        }

    items = {"type": "array", "minItems": 1, "items": _ref(condition)}
    found = {
        f"{prefix}AllCondition": single("all", items, "Every condition of the list holds"),
        f"{prefix}AnyCondition": single("any", items, "At least one condition of the list holds"),
        f"{prefix}NotCondition": single("not", _ref(condition), "The condition does not hold"),
    }
    if with_legs:
        found["AnyLegCondition"] = single(
            "any_leg", _ref("LegCondition"), "One itinerary leg satisfies the condition, over leg.* fields"
        )
    return found


def rule_schemas() -> dict[str, Schema]:
    """``RuleBody`` (a rule as written) and its recursive ``Condition`` (``LegCondition`` inside ``any_leg``)."""
    from engine.language import ACTIONS, RULE_ID

    tests = _field_tests(CATALOGUE, "")
    leg_tests = _field_tests(LEG_CATALOGUE, "Leg")
    watchlist = {
        "type": "object",
        "description": "A joint watchlist match of at least min_score (of the category, if given)",
        "required": ["watchlist"],
        "additionalProperties": False,
        "properties": {
            "watchlist": {"type": "string", "enum": list(WATCHLISTS)},
            "min_score": {
                "anyOf": [
                    {"type": "number", "minimum": float(MIN_WATCHLIST_SCORE), "maximum": 1},
                    {"type": "string", "pattern": rf"^{_DECIMAL_TEXT}{_END}"},
                ],
                "description": f"From {MIN_WATCHLIST_SCORE} to 1, as a number or as text",
            },
            "category": {"type": "string", "enum": list(WATCHLIST_CATEGORIES)},
        },
    }
    combinators = _combinators("", "Condition", with_legs=True)
    leg_combinators = _combinators("Leg", "LegCondition", with_legs=False)
    depth = f"Conditions nest at most {MAX_DEPTH} levels deep."
    return {
        "RuleBody": {
            "type": "object",
            "description": "A rule in the pack format (docs/engine.md).",
            "required": ["id", "title", "weight", "action", "when"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "pattern": _anchored(RULE_ID.pattern), "example": "CUS-0100"},
                "title": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NOT_BLANK_TEXT},
                "description": {"type": "string", "maxLength": 2000},
                "weight": {"type": "integer", "minimum": 1, "maximum": 100},
                "action": {"type": "string", "enum": list(ACTIONS)},
                "valid_from": {**DATE, "nullable": True},
                "valid_until": {**DATE, "nullable": True, "description": "Needed to activate: the review date"},
                "when": _ref("Condition"),
                "tags": {"description": "Free labels, kept as written"},
            },
        },
        "Condition": {
            "description": "A test of a field, a watchlist match, or all/any/not/any_leg of conditions. " + depth,
            "anyOf": [_ref(name) for name in [*combinators, "WatchlistCondition", *tests]],
        },
        **combinators,
        "WatchlistCondition": watchlist,
        **tests,
        "LegCondition": {
            "description": "A condition over one itinerary leg (leg.* fields only).",
            "anyOf": [_ref(name) for name in [*leg_combinators, *leg_tests]],
        },
        **leg_combinators,
        **leg_tests,
    }


def reference_list_schema() -> dict[str, Schema]:
    """``ReferenceList``: a list document (``engine.lists``), as rules name it with ``in_list``."""
    from engine.language import AGENCIES
    from engine.lists import LIST_NAME, LIST_TYPES, MAX_VALUES

    return {
        "ReferenceList": {
            "type": "object",
            "description": "A reference list: values of one type that rules test membership of.",
            "required": ["name", "agency", "type"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "pattern": _anchored(LIST_NAME.pattern), "example": "source_countries"},
                "agency": {"type": "string", "enum": list(AGENCIES), "description": "The owner"},
                "description": {"type": "string", "maxLength": 2000},
                "type": {"type": "string", "enum": list(LIST_TYPES)},
                "shared": {"type": "boolean", "description": "Other agencies' rules may use it"},
                "values": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_VALUES,
                    "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    "description": "Text for code and string lists, integers for integer lists",
                },
            },
        }
    }
