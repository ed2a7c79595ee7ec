"""The decision store on SQL: decisions and their hits in one bulk write, flights, retention, and the
audit of identities shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from operator import attrgetter

from sqlalchemy import delete, or_, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from api.audit.interface import audit_record
from api.audit.log import SqlAuditLog
from api.common import Actor, NotFound
from api.db.models import (
    AuditRow,
    DecisionRow,
    JourneyPartRow,
    as_utc,
    utcnow,
)
from api.db.sessions import SqlService
from api.evaluations.interface import (
    IDENTITY_VIEW,
    Arrival,
    DecisionRecord,
    FlightCount,
    IdentityView,
    identity_view_entry,
    identity_view_of,
    purge_entry,
    scheduled_arrival,
)
from api.hits.store import add_hits, upsert


def add_decisions(session: Session, decisions: Sequence[DecisionRecord]) -> None:
    """Insert the decisions and their hits inside the caller's transaction (the ingest store adds its
    message there too)."""
    rows = [
        {
            "id": d.id,
            "created_at": d.created_at,
            "evaluated_at": d.evaluated_at,
            "ruleset_seq": d.ruleset_seq,
            "ruleset_version": d.ruleset_version,
            "agency": d.agency,
            "submitted_by": d.submitted_by,
            "passenger_ref": d.passenger_ref,
            "identity_hash": d.identity_hash,
            "matches": d.matches,
            "score": d.score,
            "cached": d.cached,
            "record": dict(d.record) if d.record is not None else None,
            "flight": d.flight,
            "flight_date": d.flight_date,
            "arrival_at": scheduled_arrival(d.record),
            "watchlist_version": d.watchlist_version,
            "sources": dict(d.sources) if d.sources is not None else None,
        }
        for d in decisions
    ]
    if rows:
        # Idempotent: a batch whose commit reached the database but whose answer was lost
        # in an outage is sent again by the retry queue, and must not fail or double up.
        session.execute(upsert(session)(DecisionRow).on_conflict_do_nothing(index_elements=["id"]), rows)
        add_hits(session, decisions)


class SqlDecisionStore(SqlService):
    """Implements ``DecisionStore``."""

    def __init__(self, sessions: sessionmaker[Session], audit: SqlAuditLog) -> None:
        super().__init__(sessions)
        self._audit = audit

    def record_decisions(self, decisions: Sequence[DecisionRecord]) -> None:
        if decisions:
            with self.transaction() as session:
                add_decisions(session, decisions)

    def decision(self, decision_id: str) -> DecisionRecord:
        with self.reading() as session:
            row = session.get(DecisionRow, decision_id)
            if row is None:
                raise NotFound(f"no decision {decision_id}", "decision_not_found")
            return self._decision_record(row)

    def decisions(self, decision_ids: Sequence[str]) -> list[DecisionRecord]:
        if not decision_ids:
            return []
        with self.reading() as session:
            rows = session.execute(select(DecisionRow).where(DecisionRow.id.in_(set(decision_ids)))).scalars()
            found = {row.id: self._decision_record(row) for row in rows}
        return [found[decision_id] for decision_id in decision_ids if decision_id in found]

    @staticmethod
    def _decision_record(row: DecisionRow) -> DecisionRecord:
        return DecisionRecord(
            row.id,
            as_utc(row.created_at),
            as_utc(row.evaluated_at),
            row.ruleset_seq,
            row.ruleset_version,
            row.agency,
            row.submitted_by,
            row.passenger_ref,
            row.identity_hash,
            row.matches,
            row.score,
            row.cached,
            row.record,
            row.flight,
            row.flight_date,
            row.watchlist_version,
            sources=row.sources,
        )

    def flight_decisions(self, flight: str, day: dt.date) -> list[DecisionRecord]:
        query = (
            select(DecisionRow)
            .where(DecisionRow.flight == flight, DecisionRow.flight_date == day)
            .order_by(DecisionRow.created_at)
        )
        with self.reading() as session:
            newest: dict[str, DecisionRow] = {}
            for row in session.execute(query).scalars():
                newest[row.identity_hash] = row
            return [self._decision_record(row) for row in newest.values()]

    def unplaced_decisions(self, day: dt.date) -> list[DecisionRecord]:
        """The newest decision for each passenger evaluated on ``day`` (UTC) whose record names no flight.

        A decision is on a flight when its record gave carrier, number and scheduled departure;
        without them it is on no priority list, so it is listed here instead.
        """
        start = dt.datetime.combine(day, dt.time(), dt.UTC)
        query = (
            select(DecisionRow)
            .where(
                DecisionRow.created_at >= start,
                DecisionRow.created_at < start + dt.timedelta(days=1),
                or_(DecisionRow.flight.is_(None), DecisionRow.flight_date.is_(None)),
            )
            .order_by(DecisionRow.created_at)
        )
        with self.reading() as session:
            # By passenger id too: records with no identity fields (names, document) share one hash.
            newest: dict[tuple[str, str | None], DecisionRow] = {}
            for row in session.execute(query).scalars():
                newest[(row.identity_hash, row.passenger_ref)] = row
            return [self._decision_record(row) for row in newest.values()]

    def retained_decisions(self, since: dt.datetime, until: dt.datetime) -> list[DecisionRecord]:
        """The newest decision per passenger journey in the window whose record is still retained."""
        query = (
            select(DecisionRow)
            .where(DecisionRow.created_at >= since, DecisionRow.created_at < until, DecisionRow.record.is_not(None))
            .order_by(DecisionRow.created_at)
        )
        with self.reading() as session:
            newest: dict[tuple[str, str | None, dt.date | None], DecisionRow] = {}
            for row in session.execute(query).scalars():
                newest[(row.identity_hash, row.flight, row.flight_date)] = row
            return [self._decision_record(row) for row in newest.values()]

    def arrivals(self, since: dt.datetime, until: dt.datetime, fields: Sequence[str] = ()) -> list[Arrival]:
        """The newest retained decision of each passenger journey arriving from ``since`` up to ``until``,
        earliest first, with its record's values at ``fields`` (read out of the records by the database).

        Two indexed reads: the flights (carrier and number, departure date) with a decision arriving in the
        window (``arrival_at``), then every retained decision on those flights (``flight``, ``flight_date``),
        oldest first. Every decision of a journey is on its flight, so the newest of each is among them,
        wherever it says the flight arrives.
        """
        start, end = as_utc(since), as_utc(until)
        assert start is not None and end is not None
        flights = (
            select(DecisionRow.flight, DecisionRow.flight_date)
            .where(
                DecisionRow.arrival_at >= start,
                DecisionRow.arrival_at < end,
                DecisionRow.flight.is_not(None),
                DecisionRow.flight_date.is_not(None),
            )
            .distinct()
        )
        values = [DecisionRow.record[tuple(name.split("."))].as_string() for name in fields]
        columns = (DecisionRow.id, DecisionRow.identity_hash, DecisionRow.flight, DecisionRow.flight_date)
        newest: dict[tuple[str, str, dt.date], Arrival | None] = {}
        with self.reading() as session:
            # Plain rows (the connection's, not the ORM's): thousands of them, a few columns each.
            connection = session.connection()
            pairs = [tuple(pair) for pair in connection.execute(flights).all()]
            if not pairs:
                return []
            query = (
                select(*columns, DecisionRow.arrival_at, DecisionRow.score, DecisionRow.agency, *values)
                .where(tuple_(DecisionRow.flight, DecisionRow.flight_date).in_(pairs), DecisionRow.record.is_not(None))
                # By id within one instant (a manifest naming a passenger twice): the same pick on every database.
                .order_by(DecisionRow.created_at, DecisionRow.id)
            )
            rows = connection.execute(query).all()  # fetched at once: row by row costs more than the query
            for decision_id, identity, flight, flight_date, arrival_at, score, agency, *read in rows:
                arrival = as_utc(arrival_at)
                if arrival is None or not start <= arrival < end:
                    newest[(identity, flight, flight_date)] = None  # the journey's newest word: not in the window
                    continue
                # SQLite gives numbers as such.
                text = tuple(None if value is None else str(value) for value in read) if read else ()
                newest[(identity, flight, flight_date)] = Arrival(
                    decision_id, identity, flight, flight_date, arrival, score, agency, text
                )
        return sorted((a for a in newest.values() if a is not None), key=attrgetter("arrival_at", "decision_id"))

    def record_identity_view(self, actor: Actor, endpoint: str, decision_ids: Sequence[str]) -> None:
        with self.transaction() as session:
            self._audit.append(session, identity_view_entry(actor, endpoint, decision_ids))

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
        query = select(AuditRow).where(AuditRow.action == IDENTITY_VIEW).order_by(AuditRow.seq.desc()).limit(limit)
        if before_seq is not None:
            query = query.where(AuditRow.seq < before_seq)
        if actor:
            query = query.where(AuditRow.actor.contains(actor, autoescape=True))
        if since is not None:
            query = query.where(AuditRow.at >= since)
        if until is not None:
            query = query.where(AuditRow.at < until)
        with self.reading() as session:
            return [identity_view_of(audit_record(row)) for row in session.execute(query).scalars()]

    def flights(self, day: dt.date) -> list[FlightCount]:
        """Flights with evaluated passengers departing on ``day``: passengers counted once each."""
        from sqlalchemy import func

        query = (
            select(DecisionRow.flight, func.count(func.distinct(DecisionRow.identity_hash)))
            .where(DecisionRow.flight_date == day, DecisionRow.flight.is_not(None))
            .group_by(DecisionRow.flight)
            .order_by(DecisionRow.flight)
        )
        with self.reading() as session:
            return [
                FlightCount(flight, day, int(count)) for flight, count in session.execute(query) if flight is not None
            ]

    def purge_records(self, before: dt.datetime, actor: Actor) -> int:
        with self.transaction() as session:
            result = session.execute(
                update(DecisionRow)
                .where(DecisionRow.created_at < before, DecisionRow.record.is_not(None))
                .values(record=None)
            )
            count = int(result.rowcount or 0)  # type: ignore[attr-defined]
            # Journey profiles kept in the database (no Redis) go once their own expiry passes.
            expired = session.execute(delete(JourneyPartRow).where(JourneyPartRow.expires_at <= utcnow()))
            parts_expired = int(expired.rowcount or 0)  # type: ignore[attr-defined]
            self._audit.append(session, purge_entry(actor, before, count, parts_expired))
            return count
