"""A flight's held API and PNR on SQL: one row per agency and flight (its document, under a version),
one row per held record; written in one transaction with the decisions they led to."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import Session

from api.common import as_utc
from api.db.models import FlightSourceRecordRow, FlightSourcesRow, utcnow
from api.db.sessions import SqlService
from api.evaluations.interface import DecisionRecord
from api.evaluations.store import add_decisions
from api.hits.store import upsert
from api.sources.interface import FlightChanged, FlightKey, FlightSources, FlightUpdate, state_document, state_of


class SqlFlightSources(SqlService):
    """Implements ``FlightSourceStore``."""

    def flight(self, key: FlightKey) -> FlightSources:
        with self.reading() as session:
            row = session.get(FlightSourcesRow, (key.agency, key.flight, key.date))
            expires_at = as_utc(row.expires_at) if row is not None else None
            if row is None or expires_at is None or expires_at <= utcnow():
                return FlightSources(key)
            return state_of(key, row.version, row.state, expires_at)

    def records(self, key: FlightKey, names: Collection[str]) -> dict[str, dict[str, Any]]:
        if not names:
            return {}
        query = select(FlightSourceRecordRow.name, FlightSourceRecordRow.record).where(
            *_of(FlightSourceRecordRow, key), FlightSourceRecordRow.name.in_(sorted(names))
        )
        with self.reading() as session:
            return {name: record for name, record in session.execute(query)}

    def commit(self, updates: Sequence[FlightUpdate], decisions: Sequence[DecisionRecord]) -> None:
        with self.transaction() as session:
            apply_updates(session, updates)
            add_decisions(session, decisions)


def _of(table: type[FlightSourcesRow] | type[FlightSourceRecordRow], key: FlightKey) -> list[Any]:
    return [table.agency == key.agency, table.flight == key.flight, table.flight_date == key.date]


def apply_updates(session: Session, updates: Sequence[FlightUpdate]) -> None:
    """Write each update inside the caller's transaction (the ingest store adds its message there too);
    ``FlightChanged`` when a flight is not at the version its update was made from (the caller's
    transaction then rolls back)."""
    now = utcnow()
    _drop_expired(session, now)
    # In one order in every transaction, so two messages of the same flights never wait on each other in a ring.
    for found in sorted(updates, key=lambda u: (u.after.key.agency, u.after.key.flight, u.after.key.date)):
        key, after = found.after.key, found.after
        assert after.expires_at is not None
        # Checked by JSON before any write: what cannot be stored fails here, as in the in-memory store.
        state = json.loads(json.dumps(state_document(after)))
        records = {name: json.loads(json.dumps(record)) for name, record in found.records.items()}
        if found.before == 0:
            # New, or expired when read (and perhaps not yet dropped): the version was 0 to its reader.
            inserted = session.execute(
                upsert(session)(FlightSourcesRow)
                .values(
                    agency=key.agency,
                    flight=key.flight,
                    flight_date=key.date,
                    version=1,
                    state=state,
                    expires_at=after.expires_at,
                )
                .on_conflict_do_nothing(index_elements=["agency", "flight", "flight_date"])
                .returning(FlightSourcesRow.version)
            ).scalar_one_or_none()
            if inserted is None:
                raise FlightChanged("another message of this flight was joined meanwhile; try again")
        else:
            moved = session.execute(
                update(FlightSourcesRow)
                .where(*_of(FlightSourcesRow, key), FlightSourcesRow.version == found.before)
                .values(version=found.before + 1, state=state, expires_at=after.expires_at)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise FlightChanged("another message of this flight was joined meanwhile; try again")
        replaced = set(found.dropped) | set(records)
        if replaced:
            session.execute(
                delete(FlightSourceRecordRow).where(
                    *_of(FlightSourceRecordRow, key), FlightSourceRecordRow.name.in_(sorted(replaced))
                )
            )
        if records:
            session.execute(
                FlightSourceRecordRow.__table__.insert(),
                [
                    {"agency": key.agency, "flight": key.flight, "flight_date": key.date, "name": name, "record": r}
                    for name, r in records.items()
                ],
            )


def _drop_expired(session: Session, now: dt.datetime) -> None:
    """Drop every flight past its time, and its records (a flight read as expired is then written anew)."""
    flights, records = FlightSourcesRow, FlightSourceRecordRow
    of_expired = exists().where(
        and_(
            flights.agency == records.agency,
            flights.flight == records.flight,
            flights.flight_date == records.flight_date,
            flights.expires_at <= now,
        )
    )
    session.execute(delete(records).where(of_expired))
    session.execute(delete(flights).where(flights.expires_at <= now))
