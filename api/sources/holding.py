"""What a message adds to what an agency holds of its flights, and the journeys it pairs again.

A message's travellers are held by name (``api:<key>``, ``pnr:<key>``). The travellers whose pairing
they can change (those sharing a document or a name with them, or with the travellers they replace,
and so on: ``messages.journey.reach``) are paired again (``messages.journey.pair``) with their last
evaluations (``JourneyMark``), and each journey's digest says whether its record changed since. The
first API of a flight changes every journey of its PNR (each traveller it lacks is now "booked, not
boarded"), and the first PNR push every journey of its API: then the whole flight is paired again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from api.container import Services
from api.http.fields import SubmittedPassenger
from api.sources.interface import FlightKey, FlightState, FlightUpdate, HeldTraveller, JourneyMark, Read, RecordedView
from engine import PassengerRecord
from messages.journey import API, PNR, Pair, Traveller, journey_fields, pair, reached, unique_keys

#: Rounds of looking up the travellers who share a document or name with those found: beyond, the whole flight.
MAX_REACH_ROUNDS = 4
MIN_HOLD_SECONDS = 60


@dataclass(frozen=True)
class Message:
    """A message's travellers: ``source`` is ``api`` (PAXLST) or ``pnr`` (PNRGOV); ``crew_list`` when a
    PAXLST lists crew only (who are never booked, and whose list is not the flight's API)."""

    source: str
    passengers: Sequence[SubmittedPassenger]
    crew_list: bool = False


@dataclass
class Journey:
    """One journey of a flight, paired again for this message."""

    pair: Pair
    fields: dict[str, Any]
    passenger_id: str
    digest: str
    previous: JourneyMark | None  # its last evaluation, when it had the same travellers
    kept: JourneyMark | None  # the evaluation whose passenger id and identity it keeps
    evaluated: JourneyMark | None = None  # this message's evaluation of it

    @property
    def id(self) -> str:
        return str(self.pair.api or self.pair.pnr)

    @property
    def changed(self) -> bool:
        return self.previous is None or self.previous.digest != self.digest

    @property
    def members(self) -> set[str]:
        return {name for name in (self.pair.api, self.pair.pnr) if name}


@dataclass
class HeldFlight:
    """One flight of the message: what is held after it, and its journeys paired again."""

    before: FlightState
    after: FlightState
    travellers: dict[str, HeldTraveller]  # the message's, by name
    records: dict[str, dict[str, Any]]  # the message's, then those of every journey to evaluate
    dropped: set[str]
    paired: dict[str, HeldTraveller]  # every traveller paired again (the message's among them)
    marks: dict[str, JourneyMark]  # the last evaluations of their journeys
    journeys: list[Journey] = field(default_factory=list)
    reads: list[Read] = field(default_factory=list)  # what was read of the flight to pair them


def flights(services: Services, agency: str, message: Message) -> tuple[list[HeldFlight], list[SubmittedPassenger]]:
    """Each flight of the message with its journeys paired again; and the passengers on no flight."""
    by_flight: dict[FlightKey, list[SubmittedPassenger]] = {}
    unplaced: list[SubmittedPassenger] = []
    for passenger in message.passengers:
        key = flight_key(agency, passenger.record)
        if key is None:
            unplaced.append(passenger)
        else:
            by_flight.setdefault(key, []).append(passenger)
    found = []
    for key, passengers in by_flight.items():
        # A flight's reads in one transaction: what is held, who the message reaches, their records.
        with services.flight_sources.view(key) as held:
            view = RecordedView(held)
            flight = _held(services, view, message, passengers)
            _pair(flight)
            wanted = {name for j in flight.journeys if j.changed for name in j.members} - set(flight.records)
            flight.records.update(view.records(wanted))
            flight.reads = view.reads
        found.append(flight)
    return found, unplaced


def flight_key(agency: str, record: PassengerRecord) -> FlightKey | None:
    """The flight a checked record is on (as decisions place it), or None when it names none."""
    carrier, number = record.get("flight.carrier"), record.get("flight.number")
    departure = record.get("flight.scheduled_departure")
    if not (carrier and number and isinstance(departure, dt.datetime)):
        return None
    return FlightKey(agency, f"{carrier}{number}", departure.astimezone(dt.UTC).date())


# --- holding the message's travellers -------------------------------------------------------


def _held(services: Services, view: RecordedView, message: Message, passengers: list[SubmittedPassenger]) -> HeldFlight:
    source, before = message.source, view.state
    key = before.key
    arriving = [(p.raw, Traveller.of(p.raw, message.crew_list)) for p in passengers]
    names = unique_keys(_name(services, source, raw, traveller) for raw, traveller in arriving)
    travellers = {
        name: HeldTraveller(traveller, str(raw["passenger_id"]), _digest(raw), _booking(raw))
        for name, (raw, traveller) in zip(names, arriving, strict=True)
    }
    records = {name: raw for name, (raw, _) in zip(names, arriving, strict=True)}
    # A PNR sent again is the whole PNR: a traveller it no longer has is no longer booked.
    bookings = {held.booking for held in travellers.values() if held.booking} if source == PNR else set()
    replaced = view.travellers(names=travellers, bookings=bookings)
    dropped = {name for name in replaced if name not in travellers and _source(name) == PNR}
    now = dt.datetime.now(dt.UTC)
    came = any(not held.traveller.crew for held in travellers.values())
    after = FlightState(
        key,
        before.version + 1,
        before.api_at or (now if source == API and came else None),
        before.pnr_at or (now if source == PNR and came else None),
        max(filter(None, (before.expires_at, _expiry(services, passengers, now)))),
    )
    if (after.api_at, after.pnr_at) != (before.api_at, before.pnr_at):
        # The first API (or PNR push) of the flight: every journey of the other message changes.
        paired = view.travellers(every=True)
    else:
        # The travellers the message replaces are seeds too: those who shared their old keys may pair anew.
        seeds = {**{f"{name} (held)": held for name, held in replaced.items()}, **travellers}
        paired = _reached(view, seeds)
    paired.update(travellers)
    for name in dropped:
        paired.pop(name, None)
    # Only a traveller held before this message can be in a journey evaluated before (saves a read for new ones).
    marks = view.journeys((set(paired) - set(travellers)) | set(replaced) | dropped)
    return HeldFlight(before, after, travellers, records, dropped, paired, marks)


def _reached(view: RecordedView, seeds: Mapping[str, HeldTraveller]) -> dict[str, HeldTraveller]:
    """The held travellers whose pairing can change with ``seeds``' (``messages.journey.reached``)."""
    found: dict[str, HeldTraveller] = {}

    def lookup(source: str, documents: set[str], persons: set[str]) -> dict[str, Traveller]:
        travellers = view.travellers(documents=documents, persons=persons, source=source)
        found.update(travellers)
        return {name: held.traveller for name, held in travellers.items()}

    settled = reached(((_source(name), held.traveller) for name, held in seeds.items()), lookup, MAX_REACH_ROUNDS)
    return found if settled is not None else view.travellers(every=True)


def _source(name: str) -> str:
    return name.split(":", 1)[0]


def _name(services: Services, source: str, raw: Mapping[str, Any], traveller: Traveller) -> str:
    """A traveller's name in the flight: a PNR traveller by passenger id (record locator and reference, the
    same in every push); an API traveller by a keyed hash of document and name (a PAXLST's passenger ids
    are its own)."""
    if source == PNR:
        return f"{PNR}:{raw['passenger_id']}"
    identity = [traveller.document, traveller.issuing_country, traveller.family_name, traveller.given_names]
    identity.append(traveller.birth_date)
    if not any(identity):
        identity = ["passenger", str(raw["passenger_id"])]
    text = json.dumps(identity).encode()
    return f"{API}:{hmac.new(services.identity_key, text, hashlib.sha256).hexdigest()[:32]}"


def _booking(raw: Mapping[str, Any]) -> str | None:
    booking = raw.get("booking") or {}
    reference = booking.get("reference") if isinstance(booking, Mapping) else None
    return str(reference) if reference else None


def _digest(value: Any) -> str:
    """A digest of ``value``; of a record, but for its passenger id (a PAXLST gives one person a new one in
    every message, and a journey keeps the one it was first evaluated under)."""
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


def _pair(flight: HeldFlight) -> None:
    after, held = flight.after, flight.paired
    api = {name: h.traveller for name, h in held.items() if _source(name) == API}
    pnr = {name: h.traveller for name, h in held.items() if _source(name) == PNR}
    pairs = pair(api, pnr)
    for found, (previous, kept) in zip(pairs, _kept(flight.marks.values(), pairs), strict=True):
        boarded = held[found.api] if found.api else None
        booked = held[found.pnr] if found.pnr else None
        fields = journey_fields(
            found,
            boarded.traveller if boarded else None,
            booked.traveller if booked else None,
            api_arrived=after.api_at is not None,
            pnr_arrived=after.pnr_at is not None,
        )
        passenger_id = kept.passenger_id if kept else (boarded or booked).passenger_id  # type: ignore[union-attr]
        digests = [boarded.digest if boarded else None, booked.digest if booked else None]
        journey_digest = _digest([*digests, fields, passenger_id])
        flight.journeys.append(Journey(found, fields, passenger_id, journey_digest, previous, kept))


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


def update_of(flight: HeldFlight) -> FlightUpdate:
    evaluated = [journey.evaluated for journey in flight.journeys if journey.evaluated is not None]
    now = {journey.id for journey in flight.journeys}
    return FlightUpdate(
        flight.before,
        flight.after,
        flight.reads,
        flight.travellers,
        flight.records,
        frozenset(flight.dropped),
        evaluated,
        frozenset(name for name in flight.marks if name not in now),
    )
