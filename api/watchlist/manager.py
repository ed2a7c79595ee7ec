"""The screening index each process holds, rebuilt off the request path when the list changes.

Building the blocking index of 100,000 entries takes seconds, so requests keep screening
against the previous snapshot until the new one is ready, then it is swapped in whole:
like a ruleset activation, every result names the list version it used.
"""

from __future__ import annotations

import logging
import threading

from api.common import ServiceError
from api.polling import Poller
from api.watchlist.interface import WatchlistStore
from screening import MatchSettings, Watchlist

log = logging.getLogger(__name__)


class WatchlistManager(Poller):
    thread_name = "watchlist-poll"

    def __init__(self, store: WatchlistStore, poll_seconds: float, settings: MatchSettings) -> None:
        super().__init__(poll_seconds)
        self._store = store
        self._settings = settings
        self._current = Watchlist((), settings)
        self._revision = -1
        self._refresh_lock = threading.Lock()
        self.last_error: str | None = None

    @property
    def current(self) -> Watchlist:
        return self._current

    @property
    def revision(self) -> int:
        return self._revision

    def refresh(self) -> bool:
        """Rebuild from the store if its revision moved; True when the snapshot changed."""
        with self._refresh_lock:
            try:
                if self._store.revision() == self._revision:
                    return False
                revision, entries = self._store.snapshot()
                built = Watchlist(entries, self._settings)
            except ServiceError as exc:
                self.last_error = str(exc)
                log.warning("watchlist refresh failed", extra={"error": type(exc).__name__})
                return False
            self._current, self._revision = built, revision
            self.last_error = None
            log.info("watchlist loaded", extra={"watchlist_version": built.version, "entries": len(built)})
            return True
