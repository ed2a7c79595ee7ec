"""A flight's held API and PNR on SQL: a row per agency and flight (its version), a row per traveller
(looked up by name, record locator, document and name keys), a row per journey as last evaluated;
written in one transaction with the decisions they led to."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.orm import Session

from api.common import as_utc
from api.db.models import FlightJourneyRow, FlightSourcesRow, FlightTravellerRow, utcnow
from api.db.sessions import SqlService
from api.evaluations.interface import DecisionRecord
from api.evaluations.store import add_decisions
from api.hits.store import upsert
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
from messages.journey import Traveller

_Table = type[FlightSourcesRow] | type[FlightTravellerRow] | type[FlightJourneyRow]
_MARK_COLUMNS = [f.name for f in dataclasses.fields(JourneyMark)]
_CHANGED = "another message of this flight was joined meanwhile; try again"


def _of(table: _Table, key: FlightKey) -> list[Any]:
    return [table.agency == key.agency, table.flight == key.flight, table.flight_date == key.date]


class SqlFlightSources(SqlService):
    """Implements ``FlightSourceStore``."""

    @contextmanager
    def view(self, key: FlightKey) -> Iterator[FlightView]:
        with self.reading() as session:
            yield _SqlFlightView(session, key)

    def commit(self, updates: Sequence[FlightUpdate], decisions: Sequence[DecisionRecord]) -> None:
        with self.transaction() as session:
            apply_updates(session, updates)
            add_decisions(session, decisions)


class _SqlFlightView:
    """Implements ``FlightView`` in one session."""

    def __init__(self, session: Session, key: FlightKey) -> None:
        self._session = session
        self._key = key
        row = session.get(FlightSourcesRow, (key.agency, key.flight, key.date))
        expires_at = as_utc(row.expires_at) if row is not None else None
        if row is None or expires_at is None or expires_at <= utcnow():
            self.state = FlightState(key)
        else:
            self.state = FlightState(key, row.version, as_utc(row.api_at), as_utc(row.pnr_at), expires_at)

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
        rows = FlightTravellerRow
        wanted = [
            column.in_(sorted(values))
            for column, values in (
                (rows.name, names),
                (rows.booking, bookings),
                (rows.document_key, documents),
                (rows.person_key, persons),
            )
            if values
        ]
        if self.state.version == 0 or not (wanted or every):
            return {}
        columns = (rows.name, rows.traveller, rows.passenger_id, rows.digest, rows.booking)
        query = select(*columns).where(*_of(rows, self._key))
        if not every:
            query = query.where(or_(*wanted))
            if source is not None:
                query = query.where(rows.name.startswith(f"{source}:", autoescape=True))
        return {
            name: HeldTraveller(Traveller(*traveller), passenger_id, digest, booking)
            for name, traveller, passenger_id, digest, booking in self._session.execute(query)
        }

    def journeys(self, travellers: Collection[str]) -> dict[str, JourneyMark]:
        if self.state.version == 0 or not travellers:
            return {}
        rows, names = FlightJourneyRow, sorted(travellers)
        columns = [getattr(rows, name) for name in _MARK_COLUMNS]
        query = select(*columns).where(*_of(rows, self._key), or_(rows.api.in_(names), rows.pnr.in_(names)))
        marks = [JourneyMark(*values) for values in self._session.execute(query)]
        return {mark.id: mark for mark in marks}

    def records(self, names: Collection[str]) -> dict[str, dict[str, Any]]:
        if self.state.version == 0 or not names:
            return {}
        rows = FlightTravellerRow
        query = select(rows.name, rows.record).where(*_of(rows, self._key), rows.name.in_(sorted(names)))
        return {name: record for name, record in self._session.execute(query)}


def apply_updates(session: Session, updates: Sequence[FlightUpdate]) -> None:
    """Write each update inside the caller's transaction (the ingest store adds its message there too);
    ``FlightChanged`` when a flight is not at the version its update was made from (the caller's
    transaction then rolls back)."""
    # In one order in every transaction, so two messages of the same flights never wait on each other in a ring.
    for found in sorted(updates, key=lambda u: (u.after.key.agency, u.after.key.flight, u.after.key.date)):
        # Checked by JSON before any write: what cannot be stored fails here, as in the in-memory store.
        records = {name: json.loads(json.dumps(record)) for name, record in found.records.items()}
        _lock(session, found)
        key = found.after.key
        if found.dropped:
            session.execute(delete(FlightTravellerRow).where(*_of(FlightTravellerRow, key), _in("name", found.dropped)))
        if found.travellers:
            rows = [_traveller_row(key, name, held, records[name]) for name, held in found.travellers.items()]
            _upsert(session, FlightTravellerRow, rows, ["agency", "flight", "flight_date", "name"])
        if found.ended:
            session.execute(delete(FlightJourneyRow).where(*_of(FlightJourneyRow, key), _in("journey", found.ended)))
        if found.journeys:
            rows = [{**_flight_columns(key), "journey": m.id, **dataclasses.asdict(m)} for m in found.journeys]
            _upsert(session, FlightJourneyRow, rows, ["agency", "flight", "flight_date", "journey"])


def _upsert(session: Session, table: _Table, rows: list[dict[str, Any]], key: list[str]) -> None:
    """Insert the rows, each replacing the row of its key if there is one."""
    statement = upsert(session)(table)
    changed = {column: statement.excluded[column] for column in rows[0] if column not in key}
    session.execute(statement.on_conflict_do_update(index_elements=key, set_=changed), rows)


def _lock(session: Session, found: FlightUpdate) -> None:
    """Lock the flight's row and move its version (a new flight: insert it). If another message was
    committed since this one read the flight, its reads are made again: ``FlightChanged`` unless each
    finds the same (and the flight has had its API and PNR come as it had)."""
    before, after = found.before, found.after
    key = after.key
    if before.version == 0:
        # Whatever has expired goes first: here, as often as new flights come, not on every commit.
        _drop_expired(session, utcnow())
        inserted = session.execute(
            upsert(session)(FlightSourcesRow)
            .values(**_flight_columns(key), version=1, **_state_columns(after))
            .on_conflict_do_nothing(index_elements=["agency", "flight", "flight_date"])
            .returning(FlightSourcesRow.version)
        ).scalar_one_or_none()
        if inserted is not None:
            return
    rows = FlightSourcesRow
    arrived = [
        column.is_(None) if read is None else column.is_not(None)
        for column, read in ((rows.api_at, before.api_at), (rows.pnr_at, before.pnr_at))
    ]
    # Later only, never earlier: a message committed meanwhile may have held the flight longer.
    expires_at = case((rows.expires_at > after.expires_at, rows.expires_at), else_=after.expires_at)
    version = session.execute(
        update(rows)
        .where(*_of(rows, key), *arrived)
        .values(version=rows.version + 1, api_at=after.api_at, pnr_at=after.pnr_at, expires_at=expires_at)
        .returning(rows.version)
    ).scalar_one_or_none()
    if version is None:
        raise FlightChanged(_CHANGED)  # its API or PNR came first meanwhile (every journey changes), or it expired
    if version - 1 != before.version and not same_reads(_SqlFlightView(session, key), found.reads):
        raise FlightChanged(_CHANGED)


def _in(column: str, values: Collection[str]) -> Any:
    return getattr(FlightTravellerRow if column == "name" else FlightJourneyRow, column).in_(sorted(values))


def _state_columns(state: FlightState) -> dict[str, Any]:
    return {"api_at": state.api_at, "pnr_at": state.pnr_at, "expires_at": state.expires_at}


def _flight_columns(key: FlightKey) -> dict[str, Any]:
    return {"agency": key.agency, "flight": key.flight, "flight_date": key.date}


def _traveller_row(key: FlightKey, name: str, held: HeldTraveller, record: Any) -> dict[str, Any]:
    return {
        **_flight_columns(key),
        "name": name,
        "traveller": list(dataclasses.astuple(held.traveller)),
        "document_key": held.traveller.document_key,
        "person_key": held.traveller.person_key,
        "passenger_id": held.passenger_id,
        "digest": held.digest,
        "booking": held.booking,
        "record": record,
    }


def _drop_expired(session: Session, now: dt.datetime) -> None:
    """Drop every flight past its time, with its travellers and journeys (it is then new to its next message)."""
    expired = session.execute(
        select(FlightSourcesRow.agency, FlightSourcesRow.flight, FlightSourcesRow.flight_date).where(
            FlightSourcesRow.expires_at <= now
        )
    ).all()
    for agency, flight, day in expired:
        key = FlightKey(agency, flight, day)
        for table in (FlightTravellerRow, FlightJourneyRow, FlightSourcesRow):
            session.execute(delete(table).where(*_of(table, key)))
