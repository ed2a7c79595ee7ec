"""Decisions in memory, for running the API without a database: the same answers, order and audit
entries as ``api.evaluations.store.SqlDecisionStore``, each batch's hits added in the same change."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from api.audit.memory import MemoryAuditLog, MemoryTransaction
from api.common import Actor, NotFound, as_utc
from api.evaluations.interface import (
    IDENTITY_VIEW,
    Arrival,
    DecisionRecord,
    FlightCount,
    IdentityView,
    identity_view_entry,
    identity_view_of,
    purge_entry,
    record_value,
    scheduled_arrival,
)
from api.hits.memory import MemoryHitStore


def _json(value: Any) -> Any:
    # What a JSON column gives back: a new copy, of JSON types only.
    return json.loads(json.dumps(value))


def _stored(d: DecisionRecord) -> DecisionRecord:
    """``d`` as the SQL store reads it back: UTC times, its columns' types, JSON copies, no explanations
    (they are kept with the hits, not the decision)."""
    created, evaluated = as_utc(d.created_at), as_utc(d.evaluated_at)
    assert created is not None and evaluated is not None
    return DecisionRecord(
        d.id,
        created,
        evaluated,
        d.ruleset_seq,
        d.ruleset_version,
        d.agency,
        d.submitted_by,
        d.passenger_ref,
        d.identity_hash,
        _json(d.matches),
        float(d.score),
        bool(d.cached),
        _json(dict(d.record)) if d.record is not None else None,
        d.flight,
        d.flight_date,
        d.watchlist_version,
        sources=_json(dict(d.sources)) if d.sources is not None else None,
    )


def _as_text(value: Any) -> str | None:
    """A record's value as the SQL store reads it out of a JSON column: strings as they are, numbers as
    text."""
    return value if value is None or isinstance(value, str) else json.dumps(value)


def _copy(d: DecisionRecord) -> DecisionRecord:
    # Frozen, but its lists and dicts are not: each caller gets its own, as from each SQL read.
    return dataclasses.replace(
        d, matches=_json(d.matches), record=_json(d.record) if d.record is not None else None, explanations={}
    )


def _newest(found: Iterable[DecisionRecord], key: Callable[[DecisionRecord], Hashable]) -> list[DecisionRecord]:
    """The newest decision per ``key``, in the order each key first appears by creation time.

    As the SQL store reads them: by ``created_at`` (ties in the order stored, as SQLite gives them),
    a later decision replacing an earlier one in the earlier one's place.
    """
    newest: dict[Hashable, DecisionRecord] = {}
    for decision in sorted(found, key=lambda d: d.created_at):
        newest[key(decision)] = decision
    return [_copy(decision) for decision in newest.values()]


class MemoryDecisionStore:
    """Implements ``DecisionStore``; ``hits`` gets the batch's hits, and reads the decisions to count passengers."""

    def __init__(self, transaction: MemoryTransaction, audit: MemoryAuditLog, hits: MemoryHitStore) -> None:
        self._transaction = transaction
        self._audit = audit
        self._hits = hits
        self._decisions: dict[str, DecisionRecord] = {}
        hits.decisions = self._decisions

    def record_decisions(self, decisions: Sequence[DecisionRecord]) -> None:
        if not decisions:
            return
        stored = [_stored(d) for d in decisions]  # anything that cannot be stored fails before a change
        with self._transaction():
            # Hits for every decision sent, even one whose id is stored, as the SQL store adds them: a
            # batch sent again adds no hit on a journey already hit (but does for one with no flight).
            self._hits.add_hits(decisions)
            for decision in stored:
                self._decisions.setdefault(decision.id, decision)

    def decision(self, decision_id: str) -> DecisionRecord:
        with self._transaction():
            found = self._decisions.get(decision_id)
            if found is None:
                raise NotFound(f"no decision {decision_id}", "decision_not_found")
            return _copy(found)

    def decisions(self, decision_ids: Sequence[str]) -> list[DecisionRecord]:
        with self._transaction():
            return [_copy(self._decisions[d]) for d in decision_ids if d in self._decisions]

    def flight_decisions(self, flight: str, day: dt.date) -> list[DecisionRecord]:
        """The newest decision for each passenger (by identity hash) on a flight."""
        with self._transaction():
            found = [d for d in self._decisions.values() if d.flight == flight and d.flight_date == day]
            return _newest(found, lambda d: d.identity_hash)

    def unplaced_decisions(self, day: dt.date) -> list[DecisionRecord]:
        """The newest decision for each passenger evaluated on ``day`` (UTC) whose record names no flight."""
        start = dt.datetime.combine(day, dt.time(), dt.UTC)
        end = start + dt.timedelta(days=1)
        with self._transaction():
            found = [
                d
                for d in self._decisions.values()
                if start <= d.created_at < end and (d.flight is None or d.flight_date is None)
            ]
            # By passenger id too: records with no identity fields (names, document) share one hash.
            return _newest(found, lambda d: (d.identity_hash, d.passenger_ref))

    def retained_decisions(self, since: dt.datetime, until: dt.datetime) -> list[DecisionRecord]:
        """The newest decision per passenger journey in the window whose record is still retained."""
        start, end = as_utc(since), as_utc(until)
        assert start is not None and end is not None
        with self._transaction():
            found = [d for d in self._decisions.values() if start <= d.created_at < end and d.record is not None]
            return _newest(found, lambda d: (d.identity_hash, d.flight, d.flight_date))

    def arrivals(self, since: dt.datetime, until: dt.datetime, fields: Sequence[str] = ()) -> list[Arrival]:
        """The newest retained decision of each passenger journey arriving from ``since`` up to ``until``,
        earliest first, with its record's values at ``fields`` (as text, as the SQL store reads them)."""
        start, end = as_utc(since), as_utc(until)
        assert start is not None and end is not None
        with self._transaction():
            retained = [
                d
                for d in self._decisions.values()
                if d.flight is not None and d.flight_date is not None and d.record is not None
            ]
            # The newest of each journey first, whatever its arrival; by id within one instant, as the SQL store.
            retained.sort(key=lambda d: d.id)
            newest = _newest(retained, lambda d: (d.identity_hash, d.flight, d.flight_date))
        found = []
        for d in newest:
            arrival = scheduled_arrival(d.record)
            if arrival is None or not start <= arrival < end:
                continue
            assert d.flight is not None and d.flight_date is not None  # as retained
            values = tuple(_as_text(record_value(d.record, name)) for name in fields)
            found.append(Arrival(d.id, d.identity_hash, d.flight, d.flight_date, arrival, d.score, d.agency, values))
        return sorted(found, key=lambda a: (a.arrival_at, a.decision_id))

    def record_identity_view(self, actor: Actor, endpoint: str, decision_ids: Sequence[str]) -> None:
        with self._transaction():
            self._audit.append(identity_view_entry(actor, endpoint, decision_ids))

    def identity_views(
        self,
        *,
        actor: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        before_seq: int | None = None,
        limit: int = 100,
    ) -> list[IdentityView]:
        """The audit entries of identities shown, newest first."""
        # The log filters all but the action; every entry is read to filter that (the log is in memory).
        entries = self._audit.entries(
            actor=actor, since=since, until=until, before_seq=before_seq, limit=sys.maxsize, newest_first=True
        )
        return [identity_view_of(e) for e in entries if e.action == IDENTITY_VIEW][: max(limit, 0)]

    def flights(self, day: dt.date) -> list[FlightCount]:
        """Flights with evaluated passengers departing on ``day``: passengers counted once each."""
        passengers: dict[str, set[str]] = {}
        with self._transaction():
            for d in self._decisions.values():
                if d.flight_date == day and d.flight is not None:
                    passengers.setdefault(d.flight, set()).add(d.identity_hash)
        return [FlightCount(flight, day, len(passengers[flight])) for flight in sorted(passengers)]

    def purge_records(self, before: dt.datetime, actor: Actor) -> int:
        cut = as_utc(before)
        assert cut is not None
        with self._transaction():
            purged = [d for d in self._decisions.values() if d.created_at < cut and d.record is not None]
            # Journey profiles in memory (``api.journeys.memory``) expire by themselves: none to remove here.
            self._audit.append(purge_entry(actor, before, len(purged), 0))
            for d in purged:
                self._decisions[d.id] = dataclasses.replace(d, record=None)
            return len(purged)
