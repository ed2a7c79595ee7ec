"""The stored joint watchlist: entries with their owners, and its revision for pollers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from api.common import Actor
from screening import WatchlistEntry


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
