"""Passenger records: checked against the catalogue, then derived fields added.

A record is nested JSON (``{"traveller": {"nationality": "NZL"}, ...}``); rules address
its fields by dotted name. The checked record is flat: dotted name to typed value, with
missing and null fields simply absent.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from engine.catalogue import (
    CATALOGUE,
    DECIMAL_PLACES,
    LEG_CATALOGUE,
    LEG_FIELDS,
    MAX_LIST_LENGTH,
    SECTIONS,
    WATCHLIST_CATEGORIES,
    Field,
    FieldType,
)
from engine.errors import Problem, RecordError
from engine.values import TypedValue, ValueProblem, parse_code, parse_value

if TYPE_CHECKING:
    from engine.screen import ScreenMatch

#: The dates and times a record or a request may name (as UTC instants): far wider than any booking,
#: flight or key expiry, and far enough inside Python's datetime range (years 1 to 9999) that hours
#: or days added to one, or a conversion to another offset, can never overflow.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2199, 12, 31, 23, 59, 59, tzinfo=dt.UTC)

WATCHLIST_FIELDS = ("watchlist.score", *(f"watchlist.{category}_score" for category in WATCHLIST_CATEGORIES))

_LEG_FIELD = {
    "airport": CATALOGUE["itinerary.airports"],
    "country": CATALOGUE["itinerary.countries"],
}


@dataclass(frozen=True)
class Leg:
    """One itinerary leg, typed: what ``{any_leg: ...}`` conditions test, one leg at a time."""

    airport: str | None = None
    country: str | None = None
    arrival: dt.datetime | None = None
    departure: dt.datetime | None = None

    @property
    def stay_hours(self) -> int | None:
        """Whole hours from arrival to departure; None unless both are known and in order."""
        if self.arrival is None or self.departure is None or self.departure < self.arrival:
            return None
        return int((self.departure - self.arrival).total_seconds() // 3600)

    def get(self, name: str) -> TypedValue | None:
        """A leg field by its catalogue name (``leg.country``)."""
        return getattr(self, name.removeprefix("leg."), None) if name in LEG_CATALOGUE else None


#: Where a checked record keeps its legs (not a catalogue field: rules reach legs through ``any_leg``).
LEGS_KEY = "itinerary"


class Itinerary(tuple[Leg, ...]):
    """A record's legs, kept among its values under :data:`LEGS_KEY`: a type of its own, so
    no field's value (a tuple of codes) is ever taken for them."""

    __slots__ = ()


#: A checked record's value: a catalogue field's typed value or, under :data:`LEGS_KEY`, the legs.
RecordValue = TypedValue | Itinerary


@dataclass(frozen=True)
class PassengerRecord:
    """A checked record: catalogue field name to typed value (absent when missing).

    ``watchlist`` holds the joint watchlist matches the record was screened with
    (:func:`with_watchlist`), whose scores are also its ``watchlist.*`` values.
    """

    values: Mapping[str, RecordValue]
    watchlist: tuple[ScreenMatch, ...] = field(default=(), compare=False)

    @property
    def passenger_id(self) -> str | None:
        value = self.values.get("passenger_id")
        return value if isinstance(value, str) else None

    def get(self, name: str) -> RecordValue | None:
        return self.values.get(name)

    @property
    def legs(self) -> tuple[Leg, ...]:
        found = self.values.get(LEGS_KEY)
        return found if isinstance(found, Itinerary) else ()


#: What a passenger record submitted for evaluation must carry at the least (the service and
#: ``targeting evaluate`` refuse less): the submitting system's id for the passenger, without
#: which its decision, its hits and its row on a priority list would name no one. A record
#: without a flight is evaluated but placed on no flight (``GET /v1/flights/unplaced``).
REQUIRED_FIELDS = ("passenger_id",)


def check_record(raw: Any, required: Iterable[str] = ()) -> PassengerRecord:
    """Check ``raw`` against the catalogue and derive fields; raise ``RecordError`` listing every problem.

    Each field named in ``required`` (e.g. :data:`REQUIRED_FIELDS`) must be present, not null and
    not blank; without it, any part of a record is a record (a rule can be tried on a few fields).
    """
    problems: list[Problem] = []

    def bad(path: str, message: str, code: str = "invalid_value") -> None:
        problems.append(Problem(code, message, path))

    values: dict[str, RecordValue] = {}
    if not isinstance(raw, Mapping):
        raise RecordError([Problem("invalid_type", "a passenger record must be a JSON object", "")])
    for key, section in raw.items():
        if key == "passenger_id":
            if section is not None:
                _put(values, "passenger_id", section, bad)
        elif key == "itinerary":
            if section is not None:
                _itinerary(section, values, bad)
        elif key == "watchlist":
            bad(key, "is derived by the engine from the joint watchlist and cannot be supplied", "derived_field")
        elif key in SECTIONS:
            if section is None:
                continue
            if not isinstance(section, Mapping):
                bad(key, "must be an object", "invalid_type")
                continue
            known = _SECTION_FIELDS.get(key, {})
            for name, value in section.items():
                entry = known.get(name)
                if entry is None:
                    bad(f"{key}.{name}", "unknown field", "unknown_field")
                    continue
                dotted, field, repeats = entry
                if field.derived:
                    bad(dotted, "is derived by the engine and cannot be supplied", "derived_field")
                elif value is not None:
                    try:
                        if repeats and type(value) in _REPEATED_TYPES:
                            values[dotted] = _typed_repeated(dotted, type(value).__name__, value)
                        else:
                            values[dotted] = _typed(field, value)
                    except ValueProblem as exc:
                        bad(dotted, str(exc))
        else:
            bad(str(key), "unknown field", "unknown_field")
    refused = {problem.path for problem in problems}
    for name in required:
        value = values.get(name)
        if name not in refused and (value is None or (isinstance(value, str) and not value.strip())):
            bad(name, "is required", "missing_field")
    if not problems:
        _derive(values, bad)
    if problems:
        raise RecordError(problems)
    return PassengerRecord(values)


def check_instant(value: dt.datetime) -> dt.datetime:
    """``value`` as a UTC instant if it lies from EARLIEST to LATEST (naive: taken as UTC); ValueProblem if not.

    The one range check of every date and time the service takes: passenger records here, and
    every date-and-time field of a request (``api.http.fields.Instant``).
    """
    try:
        instant = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    except OverflowError:
        instant = None
    if instant is None or not EARLIEST <= instant <= LATEST:
        raise ValueProblem(f"date and time out of range ({EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}, UTC)")
    return instant


def _typed(field: Field, value: Any) -> TypedValue:
    parsed = parse_value(field, value)
    return check_instant(parsed) if isinstance(parsed, dt.datetime) else parsed


def _put(values: dict[str, RecordValue], name: str, value: Any, bad: Any) -> None:
    try:
        values[name] = _typed(CATALOGUE[name], value)
    except ValueProblem as exc:
        bad(name, str(exc))


# Identifiers that differ for every record would only push the repeated values out.
_UNIQUE_FIELDS = frozenset({"passenger_id", "booking.reference"})
_REPEATED_TYPES = (str, int, bool)
# Per section, each field's dotted name, definition, and whether its checked values may be
# remembered (``_typed_repeated``): never for personal fields or identifiers.
_SECTION_FIELDS: dict[str, dict[str, tuple[str, Field, bool]]] = {}
for _name, _field in CATALOGUE.items():
    if "." in _name:
        _section, _key = _name.split(".", 1)
        _SECTION_FIELDS.setdefault(_section, {})[_key] = (
            _name,
            _field,
            not _field.personal and _name not in _UNIQUE_FIELDS,
        )


@functools.lru_cache(maxsize=65_536)
def _typed_repeated(name: str, kind: str, value: Any) -> TypedValue:
    """``_typed`` remembered for the values a manifest repeats (airports, countries, flight
    times, codes). The type's name is part of the key, since ``1 == True == 1.0`` hash alike.
    Personal fields (names, birth dates, document numbers) are never kept here."""
    return _typed(CATALOGUE[name], value)


def _itinerary(raw: Any, values: dict[str, RecordValue], bad: Any) -> None:
    if not isinstance(raw, list):
        bad("itinerary", "must be a list of legs", "invalid_type")
        return
    if len(raw) > MAX_LIST_LENGTH:
        bad("itinerary", f"at most {MAX_LIST_LENGTH} legs", "too_long")
        return
    airports: list[str] = []
    countries: list[str] = []
    legs: list[Leg] = []
    for position, leg in enumerate(raw):
        path = f"itinerary[{position}]"
        if not isinstance(leg, Mapping):
            bad(path, "a leg must be an object", "invalid_type")
            continue
        typed: dict[str, Any] = {}
        for key, value in leg.items():
            if key not in LEG_FIELDS:
                bad(f"{path}.{key}", "unknown field", "unknown_field")
                continue
            if value is None:
                continue
            try:
                if LEG_FIELDS[key] is FieldType.CODE:
                    typed[key] = code = parse_code(_LEG_FIELD[key], value)
                    (airports if key == "airport" else countries).append(code)
                else:
                    typed[key] = _typed(_DATETIME, value)
            except ValueProblem as exc:
                bad(f"{path}.{key}", str(exc))
        legs.append(Leg(**typed))
    distinct_countries = tuple(dict.fromkeys(countries))
    values["itinerary.airports"] = tuple(dict.fromkeys(airports))
    values["itinerary.countries"] = distinct_countries
    values["itinerary.legs"] = values["itinerary.leg_count"] = len(raw)
    values["itinerary.country_count"] = len(distinct_countries)
    values[LEGS_KEY] = Itinerary(legs)


_DATETIME = CATALOGUE["flight.scheduled_departure"]
_MAX_AGE = CATALOGUE["traveller.age"].maximum


def _derive(values: dict[str, RecordValue], bad: Any) -> None:
    arrival = values.get("flight.scheduled_arrival")
    arrival_day = arrival.date() if isinstance(arrival, dt.datetime) else None
    birth = values.get("traveller.date_of_birth")
    if arrival_day and isinstance(birth, dt.date):
        age = arrival_day.year - birth.year - ((arrival_day.month, arrival_day.day) < (birth.month, birth.day))
        if age < 0:
            bad("traveller.date_of_birth", "is after the scheduled arrival")
        elif _MAX_AGE is not None and age > _MAX_AGE:
            bad("traveller.date_of_birth", f"gives an age over {_MAX_AGE} years")
        else:
            values["traveller.age"] = age
    departure = values.get("flight.scheduled_departure")
    booked = values.get("booking.booked_at")
    if isinstance(departure, dt.datetime) and isinstance(booked, dt.datetime):
        values["booking.days_before_departure"] = (departure.date() - booked.date()).days
    for prefix in ("document", "visa"):
        expiry = values.get(f"{prefix}.expiry_date")
        if arrival_day and isinstance(expiry, dt.date):
            values[f"{prefix}.days_to_expiry"] = (expiry - arrival_day).days


def with_watchlist(record: PassengerRecord, matches: Iterable[ScreenMatch]) -> PassengerRecord:
    """``record`` screened: each ``watchlist.*`` score field set from ``matches`` (0 when none).

    Scores are cut (not rounded) to the catalogue's decimal places, so a ``gte`` threshold
    written with those places holds exactly when the full score reaches it.
    """
    found = tuple(matches)
    best: dict[str, Decimal] = dict.fromkeys(WATCHLIST_FIELDS, Decimal(0))
    for match in found:
        score = cut_score(match.score)
        for name in ("watchlist.score", f"watchlist.{match.category}_score"):
            best[name] = max(best[name], score)
    return PassengerRecord({**record.values, **best}, found)


def cut_score(score: float) -> Decimal:
    """A match score as the ``watchlist.*`` fields hold it: cut to the catalogue's decimal places."""
    return Decimal(str(score)).quantize(Decimal(1).scaleb(-DECIMAL_PLACES), rounding=ROUND_FLOOR)
