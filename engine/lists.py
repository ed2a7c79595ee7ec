"""Reference lists: named lists of values that rules test membership of (``in_list``, ``not_in_list``).

A list is a document of its own, beside the rule packs (``rules/lists/<name>.yaml``)::

    name: fruit_fly_countries
    agency: mpi                 # the owner
    description: Countries with established fruit fly populations.
    type: code                  # code, string or integer
    shared: true                # other agencies' rules may use it
    values: [AUS, BRA, ...]

A list is told from a rule pack by its content (``values`` and no ``rules``), so the same
files, directories and ``PackSource`` inputs carry both. Values are checked against each
field a rule tests with them, when the rule is compiled: a country list used on
``traveller.nationality`` must hold alpha-3 codes, and a bad one is reported by its position.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.catalogue import FieldType
from engine.errors import Problem

LIST_NAME = re.compile(r"[a-z][a-z0-9_]{1,63}")
LIST_KEYS = frozenset({"name", "agency", "description", "type", "shared", "values"})
LIST_TYPES = {"code": FieldType.CODE, "string": FieldType.STRING, "integer": FieldType.INTEGER}
# The field types a list of each type may be tested against (a list of codes also fits a list field).
FITS = {
    FieldType.CODE: frozenset({FieldType.CODE, FieldType.CODE_LIST}),
    FieldType.STRING: frozenset({FieldType.STRING}),
    FieldType.INTEGER: frozenset({FieldType.INTEGER}),
}
MAX_VALUES = 100_000


@dataclass(frozen=True)
class ReferenceList:
    name: str
    agency: str
    description: str
    type: FieldType
    shared: bool
    values: tuple[Any, ...]  # as written; typed for each field that uses them
    source: str

    def usable_by(self, agency: str) -> bool:
        return self.shared or agency == self.agency

    @property
    def digest(self) -> str:
        """A hash of what the list says: part of the version of every ruleset that uses it."""
        canonical = json.dumps([self.name, self.type.value, list(self.values)], separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]


def is_list_document(data: Any) -> bool:
    return isinstance(data, Mapping) and "values" in data and "rules" not in data


def parse_list(
    data: Mapping[str, Any], source: str, agencies: tuple[str, ...]
) -> tuple[ReferenceList | None, list[Problem]]:
    """One list document checked; every problem is reported with its key."""
    problems: list[Problem] = []

    def bad(code: str, path: str, message: str) -> None:
        problems.append(Problem(code, message, path, "", source))

    for key in data:
        if key not in LIST_KEYS:
            bad("unknown_key", str(key), f"unknown list key {key!r}")
    name = data.get("name")
    if not isinstance(name, str) or not LIST_NAME.fullmatch(name):
        bad("invalid_list_name", "name", "name must be 2 to 64 lower-case letters, digits or _, starting with a letter")
    agency = data.get("agency")
    if agency not in agencies:
        bad("invalid_agency", "agency", f"agency must be one of {', '.join(agencies)}")
    description = data.get("description", "")
    if not isinstance(description, str) or len(description) > 2000:
        bad("invalid_description", "description", "description must be a string of at most 2000 characters")
    raw_type = data.get("type")
    kind = LIST_TYPES.get(raw_type) if isinstance(raw_type, str) else None
    if kind is None:
        bad("invalid_list_type", "type", f"type must be one of {', '.join(LIST_TYPES)}")
    shared = data.get("shared", False)
    if not isinstance(shared, bool):
        bad("invalid_value", "shared", "shared must be true or false")
    values = data.get("values")
    if not isinstance(values, list) or not values:
        bad("invalid_value", "values", "values must be a non-empty list")
        values = []
    elif len(values) > MAX_VALUES:
        bad("invalid_value", "values", f"a list holds at most {MAX_VALUES} values")
    elif kind is not None:
        expected = int if kind is FieldType.INTEGER else str
        for position, value in enumerate(values):
            if isinstance(value, bool) or not isinstance(value, expected):
                bad("invalid_value", f"values[{position}]", f"must be {'an integer' if expected is int else 'text'}")
                break
    if problems:
        return None, problems
    assert kind is not None and isinstance(name, str) and isinstance(agency, str)
    return ReferenceList(name, agency, description.strip(), kind, shared, tuple(values), source), []
