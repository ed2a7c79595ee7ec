"""A background loop that calls ``refresh`` every few seconds: how each process keeps its ruleset
and watchlist in step with the store without a message bus."""

from __future__ import annotations

import threading


class Poller:
    """Subclasses define ``refresh``; ``start`` runs it every ``poll_seconds`` on a daemon thread."""

    thread_name = "poll"

    def __init__(self, poll_seconds: float) -> None:
        self._poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> bool:
        raise NotImplementedError

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._poll, name=self.thread_name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _poll(self) -> None:
        while not self._stop.wait(self._poll_seconds):
            self.refresh()
