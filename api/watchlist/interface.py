"""The stored joint watchlist: entries with their owners, and its revision for pollers; an entry as
the API shows it (``entry_view``) and as a body makes it (``entry_from_body``); what every store
shares: the owner check and the audit entries of each change."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from api.audit.interface import AuditEntry, canonical_hash
from api.common import Actor, Conflict, Forbidden, Unprocessable
from screening import WatchlistEntry, parse_entry


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: entries created and updated, and the file's bad rows it skipped."""

    created: int
    updated: int
    skipped_rows: int


class WatchlistStore(Protocol):
    """The joint non-compliant list: entries owned by agencies, every change audited."""

    def revision(self) -> int:
        """A counter that moves with every change to the list."""

    def snapshot(self) -> tuple[int, list[WatchlistEntry]]: ...

    def entries(self, agency: str | None, limit: int, offset: int) -> tuple[int, list[WatchlistEntry]]: ...

    def owners(self, entry_ids: Sequence[str], batch: int = 1000) -> dict[str, str]:
        """The owning agency of each of ``entry_ids`` already on the list."""

    def entry(self, entry_id: str) -> WatchlistEntry: ...

    def create(self, entry: WatchlistEntry, actor: Actor) -> WatchlistEntry: ...

    def replace(self, entry: WatchlistEntry, actor: Actor) -> WatchlistEntry: ...

    def remove(self, entry_id: str, actor: Actor) -> None: ...

    def import_entries(
        self,
        entries: Sequence[WatchlistEntry],
        actor: Actor,
        source: str,
        skipped_rows: int = 0,
        progress: Callable[[int], None] | None = None,
        batch: int = 1000,
    ) -> ImportSummary: ...


def entry_view(entry: WatchlistEntry) -> dict[str, Any]:
    """An entry as the API shows it to its owner (dates as ISO text, date of birth as written)."""
    return {
        "id": entry.id,
        "agency": entry.agency,
        "family_name": entry.family_name,
        "given_names": entry.given_names,
        "date_of_birth": entry.date_of_birth or None,
        "nationality": entry.nationality,
        "document_number": entry.document_number,
        "document_country": entry.document_country,
        "category": entry.category,
        "reason": entry.reason,
        "expires": entry.expires.isoformat(),
    }


def entry_from_body(body: Mapping[str, Any], today: dt.date | None = None) -> WatchlistEntry:
    """An API body checked by the engine's own entry rules; ``Unprocessable`` with every field problem."""

    values = {name: (None if value is None else str(value)) for name, value in body.items()}
    entry, problems = parse_entry(values, today=today)
    if entry is None:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(problem.field or "_", []).append(problem.message)
        raise Unprocessable("the watchlist entry is invalid", "invalid_entry", errors)
    return entry


def check_owner(agency: str, actor: Actor) -> None:
    """Refuse (``Forbidden``) a change of ``agency``'s entries by another agency's key, unless an admin's."""
    if actor.agency != agency and "admin" not in actor.roles:
        raise Forbidden(f"this entry belongs to {agency}; your key is for {actor.agency}", "agency_forbidden")


def check_import_keeps_owner(owner: str, entry: WatchlistEntry) -> None:
    """Refuse (``Conflict``) an import that would give ``owner``'s listed entry to another agency."""
    if owner != entry.agency:
        raise Conflict(f"entry {entry.id} belongs to {owner}; an import cannot move it", "agency_fixed")


def _hash(entry: WatchlistEntry) -> str:
    return canonical_hash(entry_view(entry))


def entry_change(
    actor: Actor,
    action: str,
    entry_id: str,
    agency: str,
    before: WatchlistEntry | None,
    after: WatchlistEntry | None,
) -> AuditEntry:
    """The audit entry of one entry's change: its id, owner and category, never the person's name."""
    changed = after or before
    return AuditEntry(
        actor.label,
        agency,
        action,
        "watchlist_entry",
        entry_id,
        _hash(before) if before else None,
        _hash(after) if after else None,
        {"category": changed.category if changed else ""},
    )


def import_entry(actor: Actor, source: str, entries: Sequence[WatchlistEntry], summary: ImportSummary) -> AuditEntry:
    """The one audit entry of an import: its source, a hash of every entry and the counts."""
    return AuditEntry(
        actor.label,
        actor.agency,
        "watchlist.import",
        "watchlist",
        source[:100],
        None,
        canonical_hash([entry_view(e) for e in entries]),
        dataclasses.asdict(summary),
    )


def clear_entry(actor: Actor, agency: str, removed: int) -> AuditEntry:
    """The audit entry of removing every entry ``agency`` owns."""
    return AuditEntry(
        actor.label, actor.agency, "watchlist.clear", "watchlist", agency, None, None, {"removed": removed}
    )
