"""The audit log: an append-only, hash-chained record of every change."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

#: The hash the first entry follows.
GENESIS = "0" * 64


def canonical_hash(payload: Any) -> str:
    """SHA-256 of ``payload`` as canonical JSON (sorted keys, no spaces; other values as text)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    agency: str
    action: str
    object_type: str
    object_id: str
    before_hash: str | None = None
    after_hash: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


class StoredEntry(Protocol):
    """An entry as a log keeps it (a SQL row, an in-memory record): the entry, where it is in the
    chain, and the hashes that chain it."""

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


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _chained_fields(row: StoredEntry) -> dict[str, Any]:
    """Everything an entry's hash covers: all of it but the hash itself."""
    return {
        "seq": row.seq,
        "at": _utc(row.at).isoformat(),
        "actor": row.actor,
        "agency": row.agency,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "before_hash": row.before_hash,
        "after_hash": row.after_hash,
        "detail": row.detail,
        "prev_hash": row.prev_hash,
    }


def entry_hash(row: StoredEntry) -> str:
    return canonical_hash(_chained_fields(row))


@dataclass(frozen=True)
class AuditRecord:
    """An entry as auditors read it: the entry, when, where it is in the chain and its hashes."""

    seq: int
    at: dt.datetime
    actor: str
    agency: str
    action: str
    object_type: str
    object_id: str
    before_hash: str | None
    after_hash: str | None
    detail: Mapping[str, Any]
    prev_hash: str
    hash: str


def audit_record(row: StoredEntry) -> AuditRecord:
    return AuditRecord(
        row.seq,
        _utc(row.at),
        row.actor,
        row.agency,
        row.action,
        row.object_type,
        row.object_id,
        row.before_hash,
        row.after_hash,
        dict(row.detail or {}),
        row.prev_hash,
        row.hash,
    )


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_broken: int | None = None
    reason: str = ""
    last_hash: str = GENESIS


def verify_chain(entries: Iterable[StoredEntry]) -> ChainReport:
    """Recompute the chain over ``entries`` (in sequence order) and name the first that was edited,
    deleted or moved; ``last_hash`` of an intact report is the hash of the last entry."""
    expected_seq, previous, count = 1, GENESIS, 0
    for row in entries:
        if row.seq != expected_seq:
            return ChainReport(False, count, expected_seq, f"entry {expected_seq} is missing")
        if row.prev_hash != previous:
            return ChainReport(False, count, row.seq, "does not follow the entry before it")
        if entry_hash(row) != row.hash:
            return ChainReport(False, count, row.seq, "content does not match its hash")
        previous, expected_seq, count = row.hash, expected_seq + 1, count + 1
    return ChainReport(True, count, last_hash=previous)


def check_head(report: ChainReport, head_seq: int, head_hash: str) -> ChainReport:
    """An intact chain must also end where the log's head says: else entries after it were removed."""
    if head_seq != report.entries or head_hash != report.last_hash:
        return ChainReport(False, report.entries, report.entries + 1, f"entries after {report.entries} are missing")
    return report


class AuditLog(Protocol):
    """Append-only, hash-chained log of who did what to which object, as auditors read it.

    Entries are written by the stores, each inside the transaction that makes the change
    it records (``SqlAuditLog.append``, ``MemoryAuditLog.append``): nothing changes
    without its entry, and no caller writes one on its own.
    """

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
    ) -> list[AuditRecord]: ...

    def verify(self) -> ChainReport: ...
