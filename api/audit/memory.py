"""The audit log in memory, for the in-memory stores: the same chain, entries and checks as the
SQL log, held in a list. Stores append inside their own transaction (``MemoryTransaction``)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from api.audit.interface import (
    GENESIS,
    AuditEntry,
    AuditRecord,
    ChainReport,
    audit_record,
    entry_hash,
    verify_chain,
)


class MemoryTransaction:
    """The one lock every in-memory store takes for a change: a change and its audit entries are
    made together, and a change that fails makes none (each store checks before it writes)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            yield


@dataclass
class MemoryEntry:
    """An entry as the in-memory log keeps it (``api.audit.interface.StoredEntry``)."""

    seq: int
    at: dt.datetime
    actor: str
    agency: str
    action: str
    object_type: str
    object_id: str
    before_hash: str | None
    after_hash: str | None
    detail: Any
    prev_hash: str
    hash: str


class MemoryAuditLog:
    """Implements ``AuditLog``."""

    def __init__(self, transaction: MemoryTransaction) -> None:
        self.transaction = transaction
        self._entries: list[MemoryEntry] = []

    def append(self, entry: AuditEntry) -> int:
        return self.append_many([entry])[0]

    def append_many(self, entries: Sequence[AuditEntry]) -> list[int]:
        """Chain ``entries`` in order (the caller holds the transaction); their sequence numbers."""
        with self.transaction():
            for entry in entries:
                previous = self._entries[-1].hash if self._entries else GENESIS
                stored = MemoryEntry(
                    seq=len(self._entries) + 1,
                    at=dt.datetime.now(dt.UTC),
                    actor=entry.actor,
                    agency=entry.agency,
                    action=entry.action,
                    object_type=entry.object_type,
                    object_id=entry.object_id,
                    before_hash=entry.before_hash,
                    after_hash=entry.after_hash,
                    detail=json.loads(json.dumps(dict(entry.detail), default=str)),
                    prev_hash=previous,
                    hash="",
                )
                stored.hash = entry_hash(stored)
                self._entries.append(stored)
            return [e.seq for e in self._entries[len(self._entries) - len(entries) :]]

    def entries(
        self,
        *,
        agency: str | None = None,
        object_id: str | None = None,
        object_prefix: str | None = None,
        actor: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        after_seq: int = 0,
        limit: int = 100,
        before_seq: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditRecord]:
        with self.transaction():
            kept = list(self._entries)
        found = [
            e
            for e in kept
            if e.seq > after_seq
            and (before_seq is None or e.seq < before_seq)
            and (not agency or e.agency == agency)
            and (not object_id or e.object_id == object_id)
            and (not object_prefix or e.object_id.startswith(object_prefix))
            and (not actor or actor in e.actor)
            and (since is None or e.at >= since)
            and (until is None or e.at < until)
        ]
        if newest_first:
            found.reverse()
        return [audit_record(e) for e in found[:limit]]

    def verify(self) -> ChainReport:
        with self.transaction():
            kept = list(self._entries)
        # No separate head to compare with: the list is the whole log (the SQL log also checks its head row).
        return verify_chain(kept)
