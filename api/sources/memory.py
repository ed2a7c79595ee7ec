"""A flight's held API and PNR in memory, under the one lock of the in-memory stores: the same answers
as ``api.sources.store.SqlFlightSources``, written in one change with the decisions they led to."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from api.audit.memory import MemoryTransaction
from api.evaluations.interface import DecisionRecord
from api.evaluations.memory import MemoryDecisionStore
from api.sources.interface import (
    FlightChanged,
    FlightKey,
    FlightState,
    FlightUpdate,
    FlightView,
    HeldTraveller,
    JourneyMark,
    same_reads,
)


@dataclass
class _Flight:
    state: FlightState
    travellers: dict[str, HeldTraveller] = field(default_factory=dict)
    # As JSON text: what is kept is what SQL would keep, and every read hands out a new copy.
    records: dict[str, str] = field(default_factory=dict)
    journeys: dict[str, JourneyMark] = field(default_factory=dict)


class MemoryFlightSources:
    """Implements ``FlightSourceStore``; the decisions of a commit go to ``decisions``, in the same change."""

    def __init__(self, transaction: MemoryTransaction, decisions: MemoryDecisionStore) -> None:
        self._transaction = transaction
        self._decisions = decisions
        self._flights: dict[FlightKey, _Flight] = {}

    @contextmanager
    def view(self, key: FlightKey) -> Iterator[FlightView]:
        with self._transaction():
            found = self._live(key)
            # A copy: what the view reads stays as it was when it was taken, as in a SQL transaction's snapshot.
            copy = (
                dataclasses.replace(
                    found, travellers=dict(found.travellers), records=dict(found.records), journeys=dict(found.journeys)
                )
                if found is not None
                else _Flight(FlightState(key))
            )
        yield _MemoryFlightView(copy)

    def commit(self, updates: Sequence[FlightUpdate], decisions: Sequence[DecisionRecord]) -> None:
        with self._transaction():
            self.apply(updates, lambda: self._decisions.record_decisions(decisions))

    def apply(self, updates: Sequence[FlightUpdate], then: Callable[[], object] | None = None) -> None:
        """Check every update, run ``then`` (the caller's other writes, which fail before any change of
        theirs), then write the updates: inside the caller's change (the ingest store's, too)."""
        for found in updates:
            # As the SQL store: a flight moved since it was read must read the same as then.
            current = self._live(found.after.key) or _Flight(FlightState(found.after.key))
            before, now = found.before, current.state
            if now.version != before.version and (
                (now.api_at is None, now.pnr_at is None) != (before.api_at is None, before.pnr_at is None)
                or not same_reads(_MemoryFlightView(current), found.reads)
            ):
                raise FlightChanged("another message of this flight was joined meanwhile; try again")
        texts = [{name: json.dumps(record) for name, record in found.records.items()} for found in updates]
        if then is not None:
            then()
        for found, records in zip(updates, texts, strict=True):
            key = found.after.key
            flight = self._live(key) or _Flight(FlightState(key))
            held = flight.state
            expires_at = max(filter(None, (held.expires_at, found.after.expires_at)))
            flight.state = dataclasses.replace(found.after, version=held.version + 1, expires_at=expires_at)
            for name in found.dropped:
                flight.travellers.pop(name, None)
                flight.records.pop(name, None)
            flight.travellers.update(found.travellers)
            flight.records.update(records)
            for journey in found.ended:
                flight.journeys.pop(journey, None)
            flight.journeys.update({mark.id: mark for mark in found.journeys})
            self._flights[key] = flight
        for key in list(self._flights):
            self._live(key)  # drops what has expired, as the SQL store does when a flight is new

    def _live(self, key: FlightKey) -> _Flight | None:
        """The flight if held and not expired; an expired one is dropped."""
        found = self._flights.get(key)
        expires_at = found.state.expires_at if found is not None else None
        if found is not None and (expires_at is None or expires_at <= dt.datetime.now(dt.UTC)):
            del self._flights[key]
            return None
        return found


class _MemoryFlightView:
    """Implements ``FlightView`` over a copy of one flight."""

    def __init__(self, flight: _Flight) -> None:
        self._flight = flight
        self.state = flight.state

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
        def wanted(name: str, held: HeldTraveller) -> bool:
            if every:
                return True
            if source is not None and not name.startswith(f"{source}:"):
                return False
            return (
                name in names
                or held.booking in bookings
                or held.traveller.document_key in documents
                or held.traveller.person_key in persons
            )

        return {name: held for name, held in self._flight.travellers.items() if wanted(name, held)}

    def journeys(self, travellers: Collection[str]) -> dict[str, JourneyMark]:
        return {i: m for i, m in self._flight.journeys.items() if m.api in travellers or m.pnr in travellers}

    def records(self, names: Collection[str]) -> dict[str, dict[str, Any]]:
        return {name: json.loads(self._flight.records[name]) for name in names if name in self._flight.records}
