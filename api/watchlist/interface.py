"""The stored joint watchlist: entries with their owners, and its revision for pollers; an entry as
the API shows it (``entry_view``) and as a body makes it (``entry_from_body``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from api.common import Actor, Unprocessable
from screening import WatchlistEntry, parse_entry


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
    ) -> dict[str, int]: ...


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
