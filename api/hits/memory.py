"""Hits in memory, for running the API without a database: the same answers, errors, order and
audit entries as ``api.hits.store.SqlHitStore``, counting passengers in the in-memory decisions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from api.audit.memory import MemoryAuditLog, MemoryTransaction
from api.common import Actor, NotFound, as_utc
from api.evaluations.interface import DecisionRecord
from api.hits.interface import (
    Counted,
    Hit,
    HitState,
    Journey,
    RuleStats,
    hit_of,
    hit_rows,
    hits_per_flight,
    move_hit,
    rule_stats_of,
)

T = TypeVar("T")
#: What makes two hits one (the SQL store's unique index): a passenger's journey and the rule.
JourneyRule = tuple[str, str, dt.date, str]


@dataclass
class MemoryHit:
    """A hit as the in-memory store keeps it (``api.hits.interface.StoredHit``)."""

    id: str
    decision_id: str
    identity_hash: str
    passenger_ref: str | None
    flight: str | None
    flight_date: dt.date | None
    rule_id: str
    rule_version: int | None
    agency: str
    weight: int
    action: str
    why: list[Any]
    status: str
    note: str
    created_at: dt.datetime
    updated_at: dt.datetime | None = None
    updated_by: str | None = None


def _view(hit: MemoryHit) -> Hit:
    # A new ``why`` each time, as each SQL read decodes its own: no caller changes the stored hit.
    return dataclasses.replace(hit_of(hit), why=json.loads(json.dumps(hit.why)))


def _page(found: list[MemoryHit], limit: int, offset: int) -> list[MemoryHit]:
    # As SQLite reads LIMIT and OFFSET: a negative limit is no limit, a negative offset is none.
    start = max(offset, 0)
    return found[start:] if limit < 0 else found[start : start + limit]


class MemoryHitStore:
    """Implements ``HitStore``.

    ``decisions`` is the in-memory decision store's own map (``MemoryDecisionStore`` sets it),
    read under the shared transaction to count a flight's passengers as the SQL store does.
    """

    def __init__(self, transaction: MemoryTransaction, audit: MemoryAuditLog) -> None:
        self._transaction = transaction
        self._audit = audit
        self._hits: dict[str, MemoryHit] = {}
        self._journeys: set[JourneyRule] = set()
        self.decisions: Mapping[str, DecisionRecord] = {}

    def add_hits(self, decisions: Sequence[DecisionRecord]) -> None:
        """Add a hit for each match not already a hit on that passenger's journey (in the caller's
        transaction, if it holds one). As in SQL, a hit with no flight or date conflicts with none."""
        # Every hit is made before any is kept, so one that cannot be (a match short of a field,
        # reasons that are not JSON) fails the batch with nothing kept, as the SQL insert would.
        new = [
            MemoryHit(**{**row, "created_at": as_utc(row["created_at"]), "why": json.loads(json.dumps(row["why"]))})
            for row in hit_rows(decisions)
        ]
        with self._transaction():
            for hit in new:
                if hit.flight is not None and hit.flight_date is not None:
                    journey = (hit.identity_hash, hit.flight, hit.flight_date, hit.rule_id)
                    if journey in self._journeys:
                        continue
                    self._journeys.add(journey)
                self._hits[hit.id] = hit

    def hits(
        self,
        agencies: Iterable[str] | None,
        *,
        flight: str | None = None,
        day: dt.date | None = None,
        status: str | Collection[str] | None = None,
        rule_id: str | None = None,
        passenger_ref: str | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[Hit]:
        """Hits of rules owned by ``agencies`` (None: every agency), newest first, filtered."""
        wanted = None if agencies is None else set(agencies)
        statuses = None if status is None else {status} if isinstance(status, str) else set(status)
        with self._transaction():
            found = [
                hit
                for hit in self._hits.values()
                if (wanted is None or hit.agency in wanted)
                and (flight is None or hit.flight == flight)
                and (day is None or hit.flight_date == day)
                and (statuses is None or hit.status in statuses)
                and (rule_id is None or hit.rule_id == rule_id)
                and (passenger_ref is None or hit.passenger_ref == passenger_ref)
            ]
            found.sort(key=lambda hit: hit.id)
            found.sort(key=lambda hit: hit.created_at, reverse=True)  # stable: ties stay by id
            return [_view(hit) for hit in _page(found, limit, offset)]

    def hit(self, hit_id: str) -> Hit:
        with self._transaction():
            return _view(self._get(hit_id))

    def hit_states(
        self, flights: Collection[tuple[str, dt.date]], agencies: Iterable[str] | None
    ) -> dict[Journey, list[HitState]]:
        """The states of the hits of rules owned by ``agencies`` (None: every agency) on ``flights``, by
        journey, each journey's oldest first."""
        wanted = set(flights)
        return self._by_journey(
            lambda hit: (hit.flight, hit.flight_date) in wanted,
            agencies,
            lambda hit: HitState(hit.id, hit.rule_id, hit.agency, hit.status),
        )

    def journey_hits(self, journeys: Collection[Journey], agencies: Iterable[str] | None) -> dict[Journey, list[Hit]]:
        """Hits of rules owned by ``agencies`` (None: every agency) on ``journeys``, by journey, each
        journey's oldest first."""
        wanted = set(journeys)
        return self._by_journey(lambda hit: (hit.identity_hash, hit.flight, hit.flight_date) in wanted, agencies, _view)

    def _by_journey(
        self, chosen: Callable[[MemoryHit], bool], agencies: Iterable[str] | None, view: Callable[[MemoryHit], T]
    ) -> dict[Journey, list[T]]:
        """The hits ``chosen`` of ``agencies``' rules, as ``view`` makes them (under the transaction), by journey,
        each journey's oldest first."""
        owners = None if agencies is None else set(agencies)
        found: dict[Journey, list[T]] = {}
        with self._transaction():
            kept = sorted(
                (
                    hit
                    for hit in self._hits.values()
                    if hit.flight is not None and chosen(hit) and (owners is None or hit.agency in owners)
                ),
                key=lambda hit: (hit.created_at, hit.id),
            )
            for hit in kept:
                assert hit.flight is not None and hit.flight_date is not None  # on a flight, as chosen
                found.setdefault((hit.identity_hash, hit.flight, hit.flight_date), []).append(view(hit))
        return found

    def set_status(self, hit_id: str, status: str, note: str, actor: Actor) -> Hit:
        """Move a hit on (``in_review``, or a disposition with a note): only by the rule's own agency."""
        with self._transaction():
            hit = self._get(hit_id)
            self._audit.append(move_hit(hit, status, note, actor, dt.datetime.now(dt.UTC)))
            return _view(hit)

    def rule_stats(
        self, rule_id: str, since: dt.datetime | None, until: dt.datetime | None, runaway_share: float, runaway_min: int
    ) -> RuleStats:
        """Hits, dispositions and precision per rule version; flights where the rule ran away."""
        start, end = as_utc(since), as_utc(until)
        with self._transaction():
            found: list[Counted] = [
                (hit.rule_version, hit.status, hit.flight, hit.flight_date)
                for hit in self._hits.values()
                if hit.rule_id == rule_id
                and (start is None or hit.created_at >= start)
                and (end is None or hit.created_at < end)
            ]
            per_flight = hits_per_flight(found)
            passengers = self._passengers(set(per_flight))
        return rule_stats_of(rule_id, found, per_flight, passengers, runaway_share, runaway_min)

    def _passengers(self, wanted: set[tuple[str, dt.date]]) -> dict[tuple[str, dt.date], int]:
        """Distinct passengers (identity hashes) among every decision on each wanted flight and date."""
        seen: dict[tuple[str, dt.date], set[str]] = {}
        if wanted:
            for decision in self.decisions.values():
                if decision.flight is not None and decision.flight_date is not None:
                    key = (decision.flight, decision.flight_date)
                    if key in wanted:
                        seen.setdefault(key, set()).add(decision.identity_hash)
        return {key: len(hashes) for key, hashes in seen.items()}

    def _get(self, hit_id: str) -> MemoryHit:
        hit = self._hits.get(hit_id)
        if hit is None:
            raise NotFound(f"no hit {hit_id}", "hit_not_found")
        return hit
