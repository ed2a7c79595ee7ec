"""The joint non-compliant list in memory, for running the API without a database: the same
answers, errors, revision counter and audit entries as ``api.watchlist.store.SqlWatchlistStore``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from api.audit.interface import AuditEntry
from api.audit.memory import MemoryAuditLog, MemoryTransaction
from api.common import Actor, Conflict, NotFound
from api.watchlist.interface import (
    ImportSummary,
    check_import_keeps_owner,
    check_owner,
    clear_entry,
    entry_change,
    import_entry,
)
from screening import WatchlistEntry

# Entries are frozen dataclasses of immutable values, so they are handed out as stored: no caller
# can change the list through one. Lists and dicts handed out are always new.


def _page(entries: list[WatchlistEntry], limit: int, offset: int) -> list[WatchlistEntry]:
    # As SQLite reads LIMIT and OFFSET: a negative limit is no limit, a negative offset is none.
    start = max(offset, 0)
    return entries[start:] if limit < 0 else entries[start : start + limit]


class MemoryWatchlistStore:
    """Implements ``WatchlistStore``.

    Entries are kept in the order they were added (a replaced entry keeps its place, a removed
    and re-added one goes last): the order in which SQLite reads the table without an ORDER BY.
    """

    def __init__(self, transaction: MemoryTransaction, audit: MemoryAuditLog) -> None:
        self._transaction = transaction
        self._audit = audit
        self._entries: dict[str, WatchlistEntry] = {}
        self._revision = 0

    def revision(self) -> int:
        with self._transaction():
            return self._revision

    def snapshot(self) -> tuple[int, list[WatchlistEntry]]:
        """The revision and every entry (expired ones too: screening skips them by date)."""
        with self._transaction():
            return self._revision, list(self._entries.values())

    def entries(self, agency: str | None, limit: int, offset: int) -> tuple[int, list[WatchlistEntry]]:
        """Total and one page of entries, ordered by id (one agency's, or all with None)."""
        with self._transaction():
            found = [e for e in self._entries.values() if agency is None or e.agency == agency]
        found.sort(key=lambda e: e.id)
        return len(found), _page(found, limit, offset)

    def owners(self, entry_ids: Sequence[str], batch: int = 1000) -> dict[str, str]:
        """The owning agency of each of ``entry_ids`` already on the list."""
        found: dict[str, str] = {}
        with self._transaction():
            # Batch by batch and sorted within each, in the order SQLite answers the SQL store's queries.
            for start in range(0, len(entry_ids), batch):
                chunk = sorted(set(entry_ids[start : start + batch]))
                found.update(
                    (entry_id, self._entries[entry_id].agency) for entry_id in chunk if entry_id in self._entries
                )
        return found

    def entry(self, entry_id: str) -> WatchlistEntry:
        with self._transaction():
            return self._get(entry_id)

    def create(self, entry: WatchlistEntry, actor: Actor) -> WatchlistEntry:
        check_owner(entry.agency, actor)
        with self._transaction():
            if entry.id in self._entries:
                raise Conflict(f"watchlist entry {entry.id} already exists", "entry_exists")
            self._changed(entry_change(actor, "watchlist.create", entry.id, entry.agency, None, entry))
            self._entries[entry.id] = entry
        return entry

    def replace(self, entry: WatchlistEntry, actor: Actor) -> WatchlistEntry:
        check_owner(entry.agency, actor)
        with self._transaction():
            before = self._owned(entry.id, actor)
            if before.agency != entry.agency:
                raise Conflict("an entry's owning agency cannot change; delete it and create another", "agency_fixed")
            self._changed(entry_change(actor, "watchlist.update", entry.id, entry.agency, before, entry))
            self._entries[entry.id] = entry
        return entry

    def remove(self, entry_id: str, actor: Actor) -> None:
        with self._transaction():
            before = self._owned(entry_id, actor)
            self._changed(entry_change(actor, "watchlist.delete", entry_id, before.agency, before, None))
            del self._entries[entry_id]

    def import_entries(
        self,
        entries: Sequence[WatchlistEntry],
        actor: Actor,
        source: str,
        skipped_rows: int = 0,
        progress: Callable[[int], None] | None = None,
        batch: int = 1000,
    ) -> ImportSummary:
        """Insert new entries and update existing ones, all at once with one audit entry.

        Goes batch by batch like the SQL store, so ``progress`` is told of each batch and an error
        comes after the same calls; the changes are staged and made only once every batch is done.
        """
        for entry in entries:
            check_owner(entry.agency, actor)
        created = updated = 0
        with self._transaction():
            staged: dict[str, WatchlistEntry] = {}
            for start in range(0, len(entries), batch):
                chunk = entries[start : start + batch]
                # As the SQL store reads the rows of a batch before it writes any of them.
                existing = {e.id: staged.get(e.id) or self._entries.get(e.id) for e in chunk}
                added: set[str] = set()
                twice: str | None = None
                for entry in chunk:
                    known = existing.get(entry.id)
                    if known is None:
                        if entry.id in added and twice is None:
                            twice = entry.id
                        added.add(entry.id)
                        created += 1
                    else:
                        check_import_keeps_owner(known.agency, entry)
                        updated += 1
                    staged[entry.id] = entry
                if twice is not None:
                    # The SQL store inserts both rows and the database refuses the second (an
                    # IntegrityError, so a 500); the API never gets here (parse_csv refuses the file).
                    raise ValueError(f"watchlist entry {twice} is new twice in one batch of the import")
                if progress is not None:
                    progress(len(chunk))
            summary = ImportSummary(created, updated, skipped_rows)
            self._audit.append(import_entry(actor, source, entries, summary))
            self._entries.update(staged)
            self._revision += 1
        return summary

    def clear(self, agency: str, actor: Actor) -> int:
        """Remove every entry an agency owns (used by the seed command to reload a demo list)."""
        check_owner(agency, actor)
        with self._transaction():
            removed = [entry_id for entry_id, entry in self._entries.items() if entry.agency == agency]
            self._audit.append(clear_entry(actor, agency, len(removed)))
            for entry_id in removed:
                del self._entries[entry_id]
            self._revision += 1
            return len(removed)

    # -- helpers

    def _get(self, entry_id: str) -> WatchlistEntry:
        found = self._entries.get(entry_id)
        if found is None:
            raise NotFound(f"no watchlist entry {entry_id}", "entry_not_found")
        return found

    def _owned(self, entry_id: str, actor: Actor) -> WatchlistEntry:
        found = self._get(entry_id)
        check_owner(found.agency, actor)
        return found

    def _changed(self, audited: AuditEntry) -> None:
        """Audit a change of one entry (``entry_change``) and bump the revision; the caller then makes the change."""
        self._audit.append(audited)
        self._revision += 1
