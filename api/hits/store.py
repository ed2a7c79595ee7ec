"""Hits (one rule match on one passenger's journey) worked to a disposition, and rule statistics.

A hit is created with the decision that first produced it, in the same transaction; the
same passenger on the same flight matching the same rule again is the same hit, so an
outcome is recorded once. Only the agency that owns the rule works its hits: a sharing
grant lets another agency see them, never record their outcome (which is the owner's
rule precision). Dispositions are audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from api.audit.log import SqlAuditLog
from api.common import Actor, NotFound
from api.db.models import DecisionRow, HitRow, utcnow
from api.db.sessions import SqlService
from api.evaluations.interface import DecisionRecord
from api.hits.interface import (
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


def upsert(session: Session) -> Any:
    """The dialect's ``insert`` that knows ``ON CONFLICT`` (both stores have one)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def add_hits(session: Session, decisions: Sequence[DecisionRecord]) -> None:
    """Insert a hit for each match not already a hit on that passenger's journey (inside the caller's transaction)."""
    rows = hit_rows(decisions)
    if not rows:
        return
    statement = upsert(session)(HitRow).on_conflict_do_nothing(
        index_elements=["identity_hash", "flight", "flight_date", "rule_id"]
    )
    session.execute(statement, rows)


class SqlHitStore(SqlService):
    """Implements ``HitStore``."""

    def __init__(self, sessions: sessionmaker[Session], audit: SqlAuditLog) -> None:
        super().__init__(sessions)
        self._audit = audit

    def _session(self, writing: bool) -> AbstractContextManager[Session]:
        return self.transaction() if writing else self.reading()

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
        """Hits of rules owned by ``agencies`` (None: every agency), newest first, filtered
        (``status``: one, or any of several)."""
        query = select(HitRow).order_by(HitRow.created_at.desc(), HitRow.id)
        if agencies is not None:
            query = query.where(HitRow.agency.in_(list(agencies)))
        if flight is not None:
            query = query.where(HitRow.flight == flight)
        if day is not None:
            query = query.where(HitRow.flight_date == day)
        if status is not None:
            query = query.where(HitRow.status.in_([status] if isinstance(status, str) else list(status)))
        if rule_id is not None:
            query = query.where(HitRow.rule_id == rule_id)
        if passenger_ref is not None:
            query = query.where(HitRow.passenger_ref == passenger_ref)
        with self._session(False) as session:
            return [hit_of(row) for row in session.execute(query.limit(limit).offset(offset)).scalars()]

    def hit(self, hit_id: str) -> Hit:
        with self._session(False) as session:
            row = session.get(HitRow, hit_id)
            if row is None:
                raise NotFound(f"no hit {hit_id}", "hit_not_found")
            return hit_of(row)

    def hit_states(
        self, flights: Collection[tuple[str, dt.date]], agencies: Iterable[str] | None
    ) -> dict[Journey, list[HitState]]:
        """The states of the hits of rules owned by ``agencies`` (None: every agency) on ``flights``, by
        journey, each journey's oldest first: a few columns each (no explanations), for a day's lists."""
        if not flights:
            return {}
        query = (
            select(HitRow.identity_hash, HitRow.flight, HitRow.flight_date, HitRow.id, HitRow.rule_id)
            .add_columns(HitRow.agency, HitRow.status)
            .where(tuple_(HitRow.flight, HitRow.flight_date).in_(sorted(set(flights))))
            .order_by(HitRow.created_at, HitRow.id)
        )
        if agencies is not None:
            query = query.where(HitRow.agency.in_(list(agencies)))
        found: dict[Journey, list[HitState]] = {}
        with self._session(False) as session:
            # Plain rows (the connection's, not the ORM's): thousands of them, a few columns each.
            rows = session.connection().execute(query).all()  # fetched at once: row by row costs more than the query
            for identity, flight, flight_date, hit_id, rule_id, agency, status in rows:
                found.setdefault((identity, flight, flight_date), []).append(HitState(hit_id, rule_id, agency, status))
        return found

    def journey_hits(self, journeys: Collection[Journey], agencies: Iterable[str] | None) -> dict[Journey, list[Hit]]:
        """Hits of rules owned by ``agencies`` (None: every agency) on ``journeys``, by journey, each
        journey's oldest first."""
        if not journeys:
            return {}
        query = (
            select(HitRow)
            .where(tuple_(HitRow.identity_hash, HitRow.flight, HitRow.flight_date).in_(sorted(set(journeys))))
            .order_by(HitRow.created_at, HitRow.id)
        )
        if agencies is not None:
            query = query.where(HitRow.agency.in_(list(agencies)))
        found: dict[Journey, list[Hit]] = {}
        with self._session(False) as session:
            for row in session.execute(query).scalars():
                assert row.flight is not None and row.flight_date is not None  # as the query asks
                found.setdefault((row.identity_hash, row.flight, row.flight_date), []).append(hit_of(row))
        return found

    def set_status(self, hit_id: str, status: str, note: str, actor: Actor) -> Hit:
        """Move a hit on (``in_review``, or a disposition with a note): only by the rule's own agency."""
        with self._session(True) as session:
            row = session.get(HitRow, hit_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no hit {hit_id}", "hit_not_found")
            self._audit.append(session, move_hit(row, status, note, actor, utcnow()))
            return hit_of(row)

    def rule_stats(
        self, rule_id: str, since: dt.datetime | None, until: dt.datetime | None, runaway_share: float, runaway_min: int
    ) -> RuleStats:
        """Hits, dispositions and precision per rule version; flights where the rule ran away."""
        query = select(HitRow.rule_version, HitRow.status, HitRow.flight, HitRow.flight_date).where(
            HitRow.rule_id == rule_id
        )
        if since is not None:
            query = query.where(HitRow.created_at >= since)
        if until is not None:
            query = query.where(HitRow.created_at < until)
        with self._session(False) as session:
            found = session.execute(query).all()
            per_flight = hits_per_flight(found)
            passengers = self._passengers(session, per_flight)
        return rule_stats_of(rule_id, found, per_flight, passengers, runaway_share, runaway_min)

    @staticmethod
    def _passengers(session: Session, flights: Iterable[tuple[str, dt.date]]) -> dict[tuple[str, dt.date], int]:
        wanted = set(flights)
        if not wanted:
            return {}
        query = (
            select(DecisionRow.flight, DecisionRow.flight_date, func.count(func.distinct(DecisionRow.identity_hash)))
            .where(DecisionRow.flight.in_({flight for flight, _ in wanted}))
            .group_by(DecisionRow.flight, DecisionRow.flight_date)
        )
        return {
            (flight, day): int(count)
            for flight, day, count in session.execute(query)
            if flight is not None and day is not None and (flight, day) in wanted
        }
