"""The joint non-compliant list in the relational store: entries owned by agencies, audited.

Every change bumps one revision counter in the same transaction, so each process can tell
cheaply that its screening index is stale (``api.watchlists.WatchlistManager``). Audit
entries carry the entry id, owner and category, never the listed person's name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.audit.interface import AuditEntry
from api.audit.log import SqlAuditLog
from api.common import Actor, Conflict, NotFound
from api.db.models import WatchlistEntryRow, WatchlistRevisionRow, utcnow
from api.db.sessions import SqlService
from api.watchlist.interface import (
    ImportSummary,
    check_import_keeps_owner,
    check_owner,
    clear_entry,
    entry_change,
    import_entry,
)
from screening import WatchlistEntry

_ENTRY_FIELDS = [f.name for f in dataclasses.fields(WatchlistEntry)]


def _entry(row: WatchlistEntryRow) -> WatchlistEntry:
    return WatchlistEntry(**{name: getattr(row, name) for name in _ENTRY_FIELDS})


class SqlWatchlistStore(SqlService):
    """Implements ``WatchlistStore``."""

    def __init__(self, sessions: sessionmaker[Session], audit: SqlAuditLog) -> None:
        super().__init__(sessions)
        self._audit = audit

    def revision(self) -> int:
        with self.reading() as session:
            return int(session.execute(select(WatchlistRevisionRow.revision)).scalar_one())

    def snapshot(self) -> tuple[int, list[WatchlistEntry]]:
        """The revision and every entry (expired ones too: screening skips them by date)."""
        with self.reading() as session:
            revision = int(session.execute(select(WatchlistRevisionRow.revision)).scalar_one())
            rows = session.execute(select(WatchlistEntryRow)).scalars()
            return revision, [_entry(row) for row in rows]

    def entries(self, agency: str | None, limit: int, offset: int) -> tuple[int, list[WatchlistEntry]]:
        """Total and one page of entries, ordered by id (one agency's, or all with None)."""
        from sqlalchemy import func

        query = select(WatchlistEntryRow).order_by(WatchlistEntryRow.id)
        counting = select(func.count()).select_from(WatchlistEntryRow)
        if agency is not None:
            query = query.where(WatchlistEntryRow.agency == agency)
            counting = counting.where(WatchlistEntryRow.agency == agency)
        with self.reading() as session:
            total = int(session.execute(counting).scalar_one())
            rows = session.execute(query.limit(limit).offset(offset)).scalars()
            return total, [_entry(row) for row in rows]

    def owners(self, entry_ids: Sequence[str], batch: int = 1000) -> dict[str, str]:
        """The owning agency of each of ``entry_ids`` already on the list."""
        found: dict[str, str] = {}
        with self.reading() as session:
            for start in range(0, len(entry_ids), batch):
                chunk = list(entry_ids[start : start + batch])
                query = select(WatchlistEntryRow.id, WatchlistEntryRow.agency).where(WatchlistEntryRow.id.in_(chunk))
                found.update((entry_id, agency) for entry_id, agency in session.execute(query))
        return found

    def entry(self, entry_id: str) -> WatchlistEntry:
        with self.reading() as session:
            row = session.get(WatchlistEntryRow, entry_id)
            if row is None:
                raise NotFound(f"no watchlist entry {entry_id}", "entry_not_found")
            return _entry(row)

    def create(self, entry: WatchlistEntry, actor: Actor) -> WatchlistEntry:
        check_owner(entry.agency, actor)
        with self.transaction() as session:
            if session.get(WatchlistEntryRow, entry.id) is not None:
                raise Conflict(f"watchlist entry {entry.id} already exists", "entry_exists")
            session.add(WatchlistEntryRow(**dataclasses.asdict(entry), created_by=actor.name))
            self._changed(session, entry_change(actor, "watchlist.create", entry.id, entry.agency, None, entry))
        return entry

    def replace(self, entry: WatchlistEntry, actor: Actor) -> WatchlistEntry:
        check_owner(entry.agency, actor)
        with self.transaction() as session:
            row = self._owned_row(session, entry.id, actor)
            before = _entry(row)
            if before.agency != entry.agency:
                raise Conflict("an entry's owning agency cannot change; delete it and create another", "agency_fixed")
            for name, value in dataclasses.asdict(entry).items():
                setattr(row, name, value)
            row.updated_at, row.updated_by = utcnow(), actor.name
            self._changed(session, entry_change(actor, "watchlist.update", entry.id, entry.agency, before, entry))
        return entry

    def remove(self, entry_id: str, actor: Actor) -> None:
        with self.transaction() as session:
            row = self._owned_row(session, entry_id, actor)
            before = _entry(row)
            session.delete(row)
            self._changed(session, entry_change(actor, "watchlist.delete", entry_id, before.agency, before, None))

    def import_entries(
        self,
        entries: Sequence[WatchlistEntry],
        actor: Actor,
        source: str,
        skipped_rows: int = 0,
        progress: Callable[[int], None] | None = None,
        batch: int = 1000,
    ) -> ImportSummary:
        """Insert new entries and update existing ones, all in one transaction with one audit entry."""
        for entry in entries:
            check_owner(entry.agency, actor)
        created = updated = 0
        with self.transaction() as session:
            for start in range(0, len(entries), batch):
                chunk = entries[start : start + batch]
                existing = {
                    row.id: row
                    for row in session.execute(
                        select(WatchlistEntryRow).where(WatchlistEntryRow.id.in_([e.id for e in chunk]))
                    ).scalars()
                }
                for entry in chunk:
                    row = existing.get(entry.id)
                    if row is None:
                        session.add(WatchlistEntryRow(**dataclasses.asdict(entry), created_by=actor.name))
                        created += 1
                    else:
                        check_import_keeps_owner(row.agency, entry)
                        for name, value in dataclasses.asdict(entry).items():
                            setattr(row, name, value)
                        row.updated_at, row.updated_by = utcnow(), actor.name
                        updated += 1
                session.flush()
                if progress is not None:
                    progress(len(chunk))
            summary = ImportSummary(created, updated, skipped_rows)
            self._bump(session)
            self._audit.append(session, import_entry(actor, source, entries, summary))
        return summary

    def clear(self, agency: str, actor: Actor) -> int:
        """Remove every entry an agency owns (used by the seed command to reload a demo list)."""
        check_owner(agency, actor)
        with self.transaction() as session:
            result = session.execute(delete(WatchlistEntryRow).where(WatchlistEntryRow.agency == agency))
            count = int(result.rowcount or 0)  # type: ignore[attr-defined]
            self._bump(session)
            self._audit.append(session, clear_entry(actor, agency, count))
            return count

    # -- helpers

    def _owned_row(self, session: Session, entry_id: str, actor: Actor) -> WatchlistEntryRow:
        row = session.get(WatchlistEntryRow, entry_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no watchlist entry {entry_id}", "entry_not_found")
        check_owner(row.agency, actor)
        return row

    @staticmethod
    def _bump(session: Session) -> None:
        session.execute(
            update(WatchlistRevisionRow)
            .where(WatchlistRevisionRow.id == 1)
            .values(revision=WatchlistRevisionRow.revision + 1, changed_at=utcnow())
        )

    def _changed(self, session: Session, audited: AuditEntry) -> None:
        """Write the change of one entry, bump the revision and audit it (``entry_change``)."""
        session.flush()
        self._bump(session)
        self._audit.append(session, audited)
