"""Joining a flight's API and PNR as their messages come: one journey per traveller, evaluated once per change.

A message's travellers are held with what the agency holds of their flight (``FlightSourceStore``),
the flight is paired again (``messages.journey.pair``), and each journey's record is what its
travellers' records, the pairing and the flight's state make it (``messages.journey.merge`` and
``journey_fields``). A journey is evaluated only when that record changed since its last evaluation:
the message's own travellers when they are new or differ, and any other journey of the flight the
message changed (an API arriving makes each PNR traveller it lacks "booked, not boarded"). A message
sent again changes nothing and evaluates no one.

What changed is committed with the decisions in one transaction (``commit``: the flight store's, or
the ingest store's with the message's digest). If another message of the flight was committed since
this one read it (``FlightChanged``), the message is joined again from what is now held.

A journey keeps the passenger id and identity of its first evaluation when it gains its other
traveller, so a traveller whose PNR came first is still one row of the flight's priority list, with
one set of hits, once the API joins it. A record that names no flight (carrier, number, departure)
joins nothing and is evaluated as sent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from api.common import Actor
from api.container import Services
from api.evaluations.interface import DecisionRecord
from api.evaluations.pipeline import JourneyOf, evaluate_passengers
from api.http.fields import SubmittedPassenger
from api.rules.rulesets import LoadedRuleset
from api.sources.interface import (
    FlightChanged,
    FlightKey,
    FlightSources,
    FlightUpdate,
    HeldTraveller,
    JourneyMark,
    record_name,
)
from engine import PassengerRecord, RecordError, check_record
from messages.journey import API, PNR, Pair, Traveller, journey_fields, merge, pair, unique_keys
from messages.records import drop_field

#: Times a message is joined again when other messages of its flight keep being committed first.
MAX_ATTEMPTS = 5
MIN_HOLD_SECONDS = 60
T = TypeVar("T")
Commit = Callable[[Sequence[FlightUpdate], Sequence[DecisionRecord]], T]


@dataclass(frozen=True)
class Message:
    """A message's travellers: ``source`` is ``api`` (PAXLST) or ``pnr`` (PNRGOV); ``crew_list`` when a
    PAXLST lists crew only (who are never booked, and whose list is not the flight's API)."""

    source: str
    passengers: Sequence[SubmittedPassenger]
    crew_list: bool = False


@dataclass
class _Journey:
    """One journey of a flight as this message leaves it."""

    pair: Pair
    fields: dict[str, Any]
    passenger_id: str
    digest: str
    previous: JourneyMark | None  # its last evaluation, when it had the same travellers
    kept: JourneyMark | None  # the evaluation whose passenger id and identity it keeps
    evaluated: JourneyMark | None = None  # this message's evaluation of it

    @property
    def id(self) -> str:
        return record_name(API, self.pair.api) if self.pair.api else record_name(PNR, str(self.pair.pnr))

    @property
    def changed(self) -> bool:
        return self.previous is None or self.previous.digest != self.digest

    @property
    def members(self) -> set[str]:
        """The names of its travellers' records."""
        names = set()
        if self.pair.api:
            names.add(record_name(API, self.pair.api))
        if self.pair.pnr:
            names.add(record_name(PNR, self.pair.pnr))
        return names


@dataclass
class _Flight:
    """One flight of the message: what was held, what is held after it, the journeys."""

    before: FlightSources
    after: FlightSources
    records: dict[str, dict[str, Any]]  # the message's records, by name
    dropped: set[str]
    mine: set[str]  # names of the message's travellers
    journeys: list[_Journey] = field(default_factory=list)


def receive(
    services: Services, loaded: LoadedRuleset, actor: Actor, message: Message, commit: Commit[T]
) -> tuple[dict[str, Any], T]:
    """Hold, join and evaluate ``message``'s travellers, then ``commit``: the evaluation answer (``results``
    of the journeys evaluated, ``unchanged`` ones of the message's travellers that were not), and what
    ``commit`` returned."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        flights, unplaced = _flights(services, actor, message)
        changed = [(flight, journey) for flight in flights for journey in flight.journeys if journey.changed]
        passengers, journeys = _joined(services, flights, changed)
        decisions: list[DecisionRecord] = []
        response = _evaluate(services, loaded, actor, [*passengers, *unplaced], journeys, decisions.extend)
        for (flight, journey), decision, result in zip(changed, decisions, response["results"], strict=False):
            result["journey"] = _result_journey(flight, journey)
            journey.evaluated = JourneyMark(
                journey.pair.api,
                journey.pair.pnr,
                journey.digest,
                journey.passenger_id,
                decision.identity_hash,
                decision.id,
            )
        response["unchanged"] = [
            {
                "passenger_id": journey.passenger_id,
                "decision_id": journey.previous.decision_id,
                "journey": _result_journey(flight, journey),
            }
            for flight in flights
            for journey in flight.journeys
            if not journey.changed and journey.previous is not None and journey.members & flight.mine
        ]
        try:
            committed = commit([_update(flight) for flight in flights], decisions)
        except FlightChanged:
            if attempt == MAX_ATTEMPTS:
                raise
            continue
        return response, committed
    raise AssertionError("unreachable")


# --- holding the message's travellers -------------------------------------------------------


def _flights(services: Services, actor: Actor, message: Message) -> tuple[list[_Flight], list[SubmittedPassenger]]:
    """Each flight of the message, with its travellers held and journeys made; and the unplaced passengers."""
    by_flight: dict[FlightKey, list[SubmittedPassenger]] = {}
    unplaced: list[SubmittedPassenger] = []
    for passenger in message.passengers:
        key = flight_key(actor.agency, passenger.record)
        if key is None:
            unplaced.append(passenger)
        else:
            by_flight.setdefault(key, []).append(passenger)
    flights = [_held(services, key, message, passengers) for key, passengers in by_flight.items()]
    for flight in flights:
        _pair(flight)
    return flights, unplaced


def flight_key(agency: str, record: PassengerRecord) -> FlightKey | None:
    """The flight a checked record is on (as decisions place it), or None when it names none."""
    carrier, number = record.get("flight.carrier"), record.get("flight.number")
    departure = record.get("flight.scheduled_departure")
    if not (carrier and number and isinstance(departure, dt.datetime)):
        return None
    return FlightKey(agency, f"{carrier}{number}", departure.astimezone(dt.UTC).date())


def _held(services: Services, key: FlightKey, message: Message, passengers: list[SubmittedPassenger]) -> _Flight:
    before = services.flight_sources.flight(key)
    source = message.source
    held = {API: dict(before.api), PNR: dict(before.pnr)}
    dropped: set[str] = set()
    arriving = [(p.raw, Traveller.of(p.raw, message.crew_list)) for p in passengers]
    if source == PNR:
        # A PNR sent again is the whole PNR: a traveller it no longer has is no longer booked.
        bookings = {_booking(raw) for raw, _ in arriving} - {None}
        for name, traveller in list(held[PNR].items()):
            if traveller.booking in bookings:
                del held[PNR][name]
                dropped.add(record_name(PNR, name))
    keys = unique_keys(_traveller_key(services, source, raw, traveller) for raw, traveller in arriving)
    records: dict[str, dict[str, Any]] = {}
    for traveller_key, (raw, traveller) in zip(keys, arriving, strict=True):
        held[source][traveller_key] = HeldTraveller(traveller, str(raw["passenger_id"]), _digest(raw), _booking(raw))
        name = record_name(source, traveller_key)
        records[name] = raw
        dropped.discard(name)
    now = dt.datetime.now(dt.UTC)
    came = any(not traveller.crew for _, traveller in arriving)
    after = FlightSources(
        key,
        before.version + 1,
        before.api_at or (now if source == API and came else None),
        before.pnr_at or (now if source == PNR and came else None),
        held[API],
        held[PNR],
        {},
        max(filter(None, (before.expires_at, _expiry(services, passengers, now)))),
    )
    return _Flight(before, after, records, dropped, set(records))


def _traveller_key(services: Services, source: str, raw: Mapping[str, Any], traveller: Traveller) -> str:
    """A PNR traveller by passenger id (record locator and reference, the same in every push); an API
    traveller by their document and name (a PAXLST's passenger ids are its own): keyed hashes."""
    if source == PNR:
        return str(raw["passenger_id"])
    identity = [traveller.document, traveller.issuing_country, traveller.family_name, traveller.given_names]
    identity.append(traveller.birth_date)
    if not any(identity):
        identity = ["passenger", str(raw["passenger_id"])]
    text = json.dumps(identity).encode()
    return hmac.new(services.identity_key, text, hashlib.sha256).hexdigest()[:32]


def _booking(raw: Mapping[str, Any]) -> str | None:
    booking = raw.get("booking") or {}
    reference = booking.get("reference") if isinstance(booking, Mapping) else None
    return str(reference) if reference else None


def _digest(value: Any) -> str:
    """A record's digest, but for its passenger id: a PAXLST gives the same person a new one in every message."""
    if isinstance(value, Mapping):
        value = {k: v for k, v in value.items() if k != "passenger_id"}
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _expiry(services: Services, passengers: Sequence[SubmittedPassenger], now: dt.datetime) -> dt.datetime:
    """When what is held goes: the latest arrival (else departure) plus the configured hours, at most the
    retention period from now."""
    settings = services.settings
    ends = [
        moment + dt.timedelta(hours=settings.journey_hours_after_arrival)
        for p in passengers
        for moment in [p.record.get("flight.scheduled_arrival") or p.record.get("flight.scheduled_departure")]
        if isinstance(moment, dt.datetime)
    ]
    longest = now + dt.timedelta(days=settings.record_retention_days)
    return max(now + dt.timedelta(seconds=MIN_HOLD_SECONDS), min(max(ends, default=now), longest))


# --- pairing and merging ---------------------------------------------------------------------


def _pair(flight: _Flight) -> None:
    after = flight.after
    pairs = pair({k: h.traveller for k, h in after.api.items()}, {k: h.traveller for k, h in after.pnr.items()})
    for found, (previous, kept) in zip(pairs, _kept(flight.before.journeys.values(), pairs), strict=True):
        api = after.api[found.api] if found.api else None
        pnr = after.pnr[found.pnr] if found.pnr else None
        fields = journey_fields(
            found,
            api.traveller if api else None,
            pnr.traveller if pnr else None,
            api_arrived=after.api_at is not None,
            pnr_arrived=after.pnr_at is not None,
        )
        passenger_id = kept.passenger_id if kept else (api or pnr).passenger_id  # type: ignore[union-attr]
        digest = _digest([api.digest if api else None, pnr.digest if pnr else None, fields, passenger_id])
        flight.journeys.append(_Journey(found, fields, passenger_id, digest, previous, kept))


def _kept(marks: Iterable[JourneyMark], pairs: Sequence[Pair]) -> list[tuple[JourneyMark | None, JourneyMark | None]]:
    """For each pair, its last evaluation when it had the same travellers, and the evaluation whose passenger
    id and identity it keeps: that one, else the last of a journey it shares its API traveller with, else
    its PNR traveller. Each evaluation is kept by one journey only (two never become one row)."""
    marks = list(marks)
    exact = {(m.api, m.pnr): m for m in marks}
    by_api = {m.api: m for m in marks if m.api}
    by_pnr = {m.pnr: m for m in marks if m.pnr}
    previous = [exact.get((p.api, p.pnr)) for p in pairs]
    taken = {id(m) for m in previous if m is not None}
    found = []
    for p, last in zip(pairs, previous, strict=True):
        kept = last
        for other in (by_api.get(p.api) if p.api else None, by_pnr.get(p.pnr) if p.pnr else None):
            if kept is None and other is not None and id(other) not in taken:
                kept = other
                taken.add(id(other))
        found.append((last, kept))
    return found


def _joined(
    services: Services, flights: list[_Flight], changed: list[tuple[_Flight, _Journey]]
) -> tuple[list[SubmittedPassenger], list[JourneyOf | None]]:
    """The record of each changed journey, checked, and its identity and sources."""
    needed: dict[FlightKey, set[str]] = {}
    for flight, journey in changed:
        for name in journey.members - set(flight.records):
            needed.setdefault(flight.after.key, set()).add(name)
    held = {key: services.flight_sources.records(key, names) for key, names in needed.items()}
    passengers: list[SubmittedPassenger] = []
    journeys: list[JourneyOf | None] = []
    for flight, journey in changed:
        records = {**held.get(flight.after.key, {}), **flight.records}
        api = records.get(record_name(API, journey.pair.api)) if journey.pair.api else None
        pnr = records.get(record_name(PNR, journey.pair.pnr)) if journey.pair.pnr else None
        if (journey.pair.api and api is None) or (journey.pair.pnr and pnr is None):
            # A record held when the flight was read was replaced or expired since: join again.
            raise FlightChanged("the flight's messages changed while this one was joined; try again")
        merged, sources = merge(api, pnr)
        raw = {"passenger_id": journey.passenger_id, **merged, "journey": journey.fields}
        record = _checked(raw, sources)
        passengers.append(SubmittedPassenger(raw, record))
        journeys.append(JourneyOf(journey.kept.identity_hash if journey.kept else None, sources))
    return passengers, journeys


def _checked(raw: dict[str, Any], sources: dict[str, str]) -> PassengerRecord:
    """The merged record checked. Each message's record passed alone; a field the two make wrong together
    (a date of birth after the other's arrival) is dropped, as the readers drop what does not fit."""
    for _ in range(10):
        try:
            return check_record(raw)
        except RecordError as exc:
            for problem in exc.problems:
                if not drop_field(raw, problem.path):
                    raise
                sources.pop(problem.path, None)
    return check_record(raw)


# --- evaluating and what is written ---------------------------------------------------------


def _evaluate(
    services: Services,
    loaded: LoadedRuleset,
    actor: Actor,
    passengers: list[SubmittedPassenger],
    journeys: list[JourneyOf | None],
    record: Callable[[Sequence[DecisionRecord]], object],
) -> dict[str, Any]:
    """One evaluation answer for every passenger, in batches no larger than the API takes in one request."""
    limit = max(services.settings.max_manifest_size, 1)
    journeys = journeys + [None] * (len(passengers) - len(journeys))
    answer: dict[str, Any] | None = None
    for start in range(0, max(len(passengers), 1), limit):
        batch = evaluate_passengers(
            services,
            loaded,
            passengers[start : start + limit],
            None,
            actor,
            record_decisions=record,
            journeys=journeys[start : start + limit],
        )
        if answer is None:
            answer = batch
        else:
            answer["results"] += batch["results"]
            seen = {rule["rule_id"] for rule in answer["runaway_rules"]}
            answer["runaway_rules"] += [r for r in batch["runaway_rules"] if r["rule_id"] not in seen]
    assert answer is not None
    return answer


def _result_journey(flight: _Flight, journey: _Journey) -> dict[str, Any]:
    """What an answer shows of a journey: its ``journey.*`` fields and its travellers' passenger ids."""
    after = flight.after
    return {
        **journey.fields,
        "api_passenger_id": after.api[journey.pair.api].passenger_id if journey.pair.api else None,
        "pnr_passenger_id": after.pnr[journey.pair.pnr].passenger_id if journey.pair.pnr else None,
    }


def _update(flight: _Flight) -> FlightUpdate:
    marks = {
        journey.id: mark
        for journey in flight.journeys
        for mark in [journey.evaluated or journey.previous]
        if mark is not None
    }
    after = dataclasses.replace(flight.after, journeys=marks)
    return FlightUpdate(flight.before.version, after, flight.records, frozenset(flight.dropped))
