"""A flight's held API and PNR in memory, under the one lock of the in-memory stores: the same answers
as ``api.sources.store.SqlFlightSources``, written in one change with the decisions they led to."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from api.audit.memory import MemoryTransaction
from api.evaluations.interface import DecisionRecord
from api.evaluations.memory import MemoryDecisionStore
from api.sources.interface import FlightChanged, FlightKey, FlightSources, FlightUpdate, state_document, state_of


@dataclass
class _Flight:
    version: int
    expires_at: dt.datetime
    # As JSON text: what is kept is what SQL would keep, and every read hands out a new copy.
    state: str
    records: dict[str, str] = field(default_factory=dict)


class MemoryFlightSources:
    """Implements ``FlightSourceStore``; the decisions of a commit go to ``decisions``, in the same change."""

    def __init__(self, transaction: MemoryTransaction, decisions: MemoryDecisionStore) -> None:
        self._transaction = transaction
        self._decisions = decisions
        self._flights: dict[FlightKey, _Flight] = {}

    def flight(self, key: FlightKey) -> FlightSources:
        with self._transaction():
            found = self._live(key, dt.datetime.now(dt.UTC))
            if found is None:
                return FlightSources(key)
            return state_of(key, found.version, json.loads(found.state), found.expires_at)

    def records(self, key: FlightKey, names: Collection[str]) -> dict[str, dict[str, Any]]:
        with self._transaction():
            found = self._live(key, dt.datetime.now(dt.UTC))
            if found is None:
                return {}
            return {name: json.loads(found.records[name]) for name in names if name in found.records}

    def commit(self, updates: Sequence[FlightUpdate], decisions: Sequence[DecisionRecord]) -> None:
        with self._transaction():
            self.apply(updates, lambda: self._decisions.record_decisions(decisions))

    def apply(self, updates: Sequence[FlightUpdate], then: Any = None) -> None:
        """Check every update, run ``then`` (the caller's other writes, which fail before any change of
        theirs), then write the updates: inside the caller's change (the ingest store's, too)."""
        now = dt.datetime.now(dt.UTC)
        written = []
        for found in updates:
            current = self._live(found.after.key, now)
            if (current.version if current is not None else 0) != found.before:
                raise FlightChanged("another message of this flight was joined meanwhile; try again")
            records = {name: json.dumps(record) for name, record in found.records.items()}
            written.append((found, json.dumps(state_document(found.after)), records))
        if then is not None:
            then()
        for found, state, records in written:
            key, expires_at = found.after.key, found.after.expires_at
            assert expires_at is not None
            current = self._live(key, now)
            held = dict(current.records) if current is not None else {}
            for name in found.dropped:
                held.pop(name, None)
            held.update(records)
            self._flights[key] = _Flight(found.before + 1, expires_at, state, held)
        for key in [key for key, flight in self._flights.items() if flight.expires_at <= now]:
            del self._flights[key]

    def _live(self, key: FlightKey, now: dt.datetime) -> _Flight | None:
        found = self._flights.get(key)
        return found if found is not None and found.expires_at > now else None
