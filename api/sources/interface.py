"""A flight's airline messages, held to join them: per agency and flight, the travellers of its API
(PAXLST) and of its PNR push (PNRGOV), and what each journey's last evaluation left.

One journey joins an API traveller and a PNR traveller of the flight (``messages.journey``). When
a message comes, its travellers are held with the others and the travellers whose pairing they can
change (those sharing a document or a name with them, and theirs in turn) are paired again; only the
journeys whose record changed are evaluated (``api.sources.joining``). So a message costs what it
touches, not what the flight holds, but for the first API and the first PNR push of a flight, which
change every journey of the other message.

Two messages of one flight may be joined at once (two ingest workers, two requests). A commit locks the
flight's row and moves its version; if the version moved since the message read the flight, every read
the message made (``Read``: which travellers and journeys it found) is made again under the lock, and
the update is written only if each finds the same: then the message's journeys are what they would be
if it were joined now. Otherwise nothing is written (``FlightChanged``) and the message is joined again.
So messages about different travellers of one flight (most of a PNR push's) do not wait for each other.

Each agency holds its own: a flight's messages sent by Customs and by MPI are each that agency's
contribution (the sharing policy, ``api.sharing.policy``). Everything held for a flight goes a set
time after its arrival (``journey_hours_after_arrival``), and never later than the retention period.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from api.common import Unavailable
from api.evaluations.interface import DecisionRecord
from messages.journey import Traveller


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
class FlightState:
    """A flight as held at ``version`` (0: nothing held, or all of it expired)."""

    key: FlightKey
    version: int = 0
    #: When the flight's passenger API (not a crew list alone) and its PNR push first came.
    api_at: dt.datetime | None = None
    pnr_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class HeldTraveller:
    """One traveller held for a flight, by name (``api:<key>``, ``pnr:<key>``): what pairing needs, their
    passenger id in the message, the digest of their record (a change is a new digest) and, of the PNR,
    its record locator (a PNR sent again replaces every traveller it had)."""

    traveller: Traveller
    passenger_id: str
    digest: str
    booking: str | None = None


@dataclass(frozen=True)
class JourneyMark:
    """What a journey's last evaluation left: its travellers (by name), how they were paired, the digest of
    what was evaluated, and the passenger id and identity its decision was recorded under. A journey that
    later gains its other traveller keeps these, so it stays one row of the priority list and one set of hits."""

    api: str | None
    pnr: str | None
    digest: str
    passenger_id: str
    identity_hash: str
    decision_id: str
    matched_by: str | None = None
    ambiguous: str | None = None

    @property
    def id(self) -> str:
        """The journey's id: its API traveller's name, else its PNR traveller's."""
        return str(self.api or self.pnr)


@dataclass(frozen=True)
class FlightUpdate:
    """What a message changes of a flight, as it read it (``before``, and ``reads``: what it found)."""

    before: FlightState
    after: FlightState
    reads: Sequence[Read] = ()
    #: travellers held anew or changed, with their records
    travellers: Mapping[str, HeldTraveller] = field(default_factory=dict)
    records: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: travellers no longer held (a PNR sent again without them)
    dropped: Collection[str] = ()
    #: journeys evaluated anew, and journeys that are no more (their travellers are in others now)
    journeys: Collection[JourneyMark] = ()
    ended: Collection[str] = ()


@dataclass(frozen=True)
class Read:
    """One read of a flight (``FlightView.travellers`` or ``journeys``), and a digest of what it found."""

    method: str
    arguments: tuple[tuple[str, Any], ...]
    found: str


class RecordedView:
    """A ``FlightView`` that keeps each read it makes, so that a commit can check them (``same_reads``)."""

    def __init__(self, view: FlightView) -> None:
        self._view = view
        self.state = view.state
        self.reads: list[Read] = []

    def travellers(self, **arguments: Any) -> dict[str, HeldTraveller]:
        found = self._view.travellers(**arguments)
        self.reads.append(Read("travellers", _frozen(arguments), _found_digest(found)))
        return found

    def journeys(self, travellers: Collection[str]) -> dict[str, JourneyMark]:
        found = self._view.journeys(travellers)
        self.reads.append(Read("journeys", (("travellers", tuple(sorted(travellers))),), _found_digest(found)))
        return found

    def records(self, names: Collection[str]) -> dict[str, dict[str, Any]]:
        # Not kept: a record is the same as long as its traveller's digest is (``travellers``).
        return self._view.records(names)


def same_reads(view: FlightView, reads: Sequence[Read]) -> bool:
    """Whether each of ``reads``, made again on ``view``, finds what it found."""
    for read in reads:
        found = getattr(view, read.method)(**dict(read.arguments))
        if _found_digest(found) != read.found:
            return False
    return True


def _frozen(arguments: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(
        sorted(
            (name, value if isinstance(value, bool | str | None) else tuple(sorted(value)))
            for name, value in arguments.items()
        )
    )


def _found_digest(found: Mapping[str, HeldTraveller | JourneyMark]) -> str:
    text = repr(sorted((name, dataclasses.astuple(value)) for name, value in found.items()))
    return hashlib.sha256(text.encode()).hexdigest()


class FlightView(Protocol):
    """What is held of one flight, read in one transaction of the store."""

    @property
    def state(self) -> FlightState:
        """The flight's state; version 0 when nothing is held (or it has expired)."""
        ...

    def travellers(
        self,
        *,
        names: Collection[str] = (),
        bookings: Collection[str] = (),
        documents: Collection[str] = (),
        persons: Collection[str] = (),
        source: str | None = None,
        every: bool = False,
    ) -> dict[str, HeldTraveller]:
        """The held travellers with any of these names, PNR record locators, document keys or person keys
        (``messages.journey.Traveller``), of the one message ``source`` (``api``, ``pnr``) if given;
        ``every``: all of them."""
        ...

    def journeys(self, travellers: Collection[str]) -> dict[str, JourneyMark]:
        """The last evaluations, by journey id, of the journeys with any of these travellers."""
        ...

    def records(self, names: Collection[str]) -> dict[str, dict[str, Any]]:
        """The records of the held travellers of ``names``."""
        ...


class FlightSourceStore(Protocol):
    def view(self, key: FlightKey) -> AbstractContextManager[FlightView]:
        """A view of what is held for the flight, its reads in one transaction (a message's reads cost one)."""
        ...

    def commit(self, updates: Sequence[FlightUpdate], decisions: Sequence[DecisionRecord]) -> None:
        """Write the updates and the decisions (with their hits) in one transaction; ``FlightChanged``, and
        nothing written, when a flight is no longer at the version its update was made from."""
        ...
