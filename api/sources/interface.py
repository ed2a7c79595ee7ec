"""A flight's airline messages, held to join them: per agency and flight, the travellers of its API
(PAXLST) and of its PNR push (PNRGOV), and what each journey's last evaluation left.

One journey joins an API traveller and a PNR traveller of the flight (``messages.journey``). When
a message comes, its travellers are held with the others, the flight is paired again, and only the
journeys whose record changed are evaluated (``api.sources.joining``). What pairing needs of each
traveller (folded names, document, date of birth: ``messages.journey.Traveller``) and each journey's
last evaluation are one document per flight, read and written whole under a version number, so
two messages of one flight joined at once cannot lose each other's travellers: the second to
commit finds the version moved (``FlightChanged``) and joins again. The records themselves are held
beside it, one per traveller, and read only for the journeys to evaluate.

Each agency holds its own: a flight's messages sent by Customs and by MPI are each that agency's
contribution (the sharing policy, ``api.sharing.policy``). Everything held for a flight goes a set
time after its arrival (``journey_hours_after_arrival``), and never later than the retention period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from api.common import Unavailable
from api.evaluations.interface import DecisionRecord
from messages.journey import API, PNR, Traveller

SOURCES = (API, PNR)


class FlightChanged(Unavailable):
    """Another message of the flight was committed since it was read: join again (nothing was written)."""

    code = "flight_busy"


@dataclass(frozen=True)
class FlightKey:
    """The messages of one agency about one flight: carrier and number (``NZ5``), UTC date of departure."""

    agency: str
    flight: str
    date: dt.date


@dataclass(frozen=True)
class HeldTraveller:
    """One traveller held for a flight: what pairing needs, their passenger id in the message, the digest
    of their record (a change is a new digest) and, of the PNR, its record locator (a PNR sent again
    replaces every traveller it had)."""

    traveller: Traveller
    passenger_id: str
    digest: str
    booking: str | None = None


@dataclass(frozen=True)
class JourneyMark:
    """What a journey's last evaluation left: its travellers (keys), the digest of what was evaluated,
    and the passenger id and identity its decision was recorded under. A journey that later gains its
    other traveller keeps these, so it stays one row of the flight's priority list and one set of hits."""

    api: str | None
    pnr: str | None
    digest: str
    passenger_id: str
    identity_hash: str
    decision_id: str


@dataclass(frozen=True)
class FlightSources:
    """What is held for a flight at ``version`` (0: nothing yet)."""

    key: FlightKey
    version: int = 0
    #: When the flight's passenger API (not a crew list alone) and its PNR push first came.
    api_at: dt.datetime | None = None
    pnr_at: dt.datetime | None = None
    api: Mapping[str, HeldTraveller] = field(default_factory=dict)
    pnr: Mapping[str, HeldTraveller] = field(default_factory=dict)
    #: By journey id: ``api:<key>`` when it has an API traveller, else ``pnr:<key>``.
    journeys: Mapping[str, JourneyMark] = field(default_factory=dict)
    expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class FlightUpdate:
    """A flight's sources after a message, to write only if it is still at version ``before``: the new
    state, the records to hold (by ``api:<key>``, ``pnr:<key>``), and the records no longer held."""

    before: int
    after: FlightSources
    records: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    dropped: Collection[str] = ()


class FlightSourceStore(Protocol):
    def flight(self, key: FlightKey) -> FlightSources:
        """What is held for the flight; version 0 and nothing when nothing is (or it has expired)."""
        ...

    def records(self, key: FlightKey, names: Collection[str]) -> dict[str, dict[str, Any]]:
        """The held records of ``names`` (``api:<key>``, ``pnr:<key>``) that are held."""
        ...

    def commit(self, updates: Sequence[FlightUpdate], decisions: Sequence[DecisionRecord]) -> None:
        """Write the updates and the decisions (with their hits) in one transaction; ``FlightChanged``, and
        nothing written, when a flight is no longer at the version its update was made from."""
        ...


# --- the stored document of a flight (both implementations keep this JSON) -------------------


def record_name(source: str, key: str) -> str:
    """A held record's name: its message and its traveller's key."""
    return f"{source}:{key}"


def state_document(sources: FlightSources) -> dict[str, Any]:
    """The JSON document of what is held for a flight (but its records and version)."""
    return {
        "api_at": sources.api_at.isoformat() if sources.api_at else None,
        "pnr_at": sources.pnr_at.isoformat() if sources.pnr_at else None,
        **{source: {k: _held_list(h) for k, h in getattr(sources, source).items()} for source in SOURCES},
        "journeys": {name: _mark_list(mark) for name, mark in sources.journeys.items()},
    }


def state_of(key: FlightKey, version: int, document: Mapping[str, Any], expires_at: dt.datetime) -> FlightSources:
    """``FlightSources`` from its JSON document."""
    api_at, pnr_at = document.get("api_at"), document.get("pnr_at")
    return FlightSources(
        key,
        version,
        dt.datetime.fromisoformat(api_at) if api_at else None,
        dt.datetime.fromisoformat(pnr_at) if pnr_at else None,
        {k: _held(v) for k, v in document.get(API, {}).items()},
        {k: _held(v) for k, v in document.get(PNR, {}).items()},
        {name: JourneyMark(*values) for name, values in document.get("journeys", {}).items()},
        expires_at,
    )


def _held_list(held: HeldTraveller) -> list[Any]:
    t = held.traveller
    return [
        t.family_name,
        t.given_names,
        t.birth_date,
        t.document,
        t.issuing_country,
        t.crew,
        held.passenger_id,
        held.digest,
        held.booking,
    ]


def _held(values: Sequence[Any]) -> HeldTraveller:
    return HeldTraveller(Traveller(*values[:6]), *values[6:])


def _mark_list(mark: JourneyMark) -> list[Any]:
    return [mark.api, mark.pnr, mark.digest, mark.passenger_id, mark.identity_hash, mark.decision_id]
