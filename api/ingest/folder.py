"""Taking airline messages from a folder (``targeting ingest --watch DIR``), for a single machine.

A sender writes each message elsewhere (or under a name starting with ``.`` or ending ``.part``)
and renames it into the folder when complete, so the worker never reads half a file. The suffix
``.paxlst`` or ``.pnrgov`` names the kind; any other file is read as the UNH segment says.

Each file is evaluated and committed like a broker message (``api.ingest.handler``), then
removed: the decisions now hold the records, for ``RECORD_RETENTION_DAYS``, and the folder should
not keep passengers' data past that. An unreadable file moves to ``DIR/dead/`` beside a
``<name>.reason`` file saying why. A worker killed after the commit and before the removal finds
the file again on its next start, its digest already committed, and only removes it: nothing is
recorded twice. One worker per folder.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from api.common import Unavailable
from api.ingest import metrics
from api.ingest.handler import DEAD, MessageHandler, Outcome
from api.ingest.interface import message_digest

log = logging.getLogger(__name__)
SUFFIX_KINDS = {".paxlst": "paxlst", ".pnrgov": "pnrgov"}
ATTEMPTS = 3  # as a broker worker: a file the engine or a bug fails this often is moved aside


class FolderWorker:
    """Evaluates the files placed in ``folder``, oldest first, until ``stop`` is set."""

    def __init__(self, handler: MessageHandler, folder: Path, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        self._handler = handler
        self.folder = folder
        self.dead = folder / "dead"
        self._stop = stop
        self._poll_seconds = poll_seconds
        self._failures: dict[str, int] = {}

    def run(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        log.info("watching", extra={"folder": str(self.folder)})
        while not self._stop.is_set():
            if not self.run_once():
                self._stop.wait(self._poll_seconds)

    def run_once(self) -> int:
        """Take every file waiting now; how many were taken (evaluated, duplicates or moved aside)."""
        waiting = self.waiting()
        metrics.QUEUE_DEPTH.labels(str(self.folder)).set(len(waiting))
        taken = 0
        for path in waiting:
            if self._stop.is_set():
                break
            try:
                outcome = self.take(path)
            except Unavailable:
                log.warning("store unavailable; the files wait", extra={"seconds": self._poll_seconds})
                break
            if outcome is not None:
                taken += 1
        return taken

    def waiting(self) -> list[Path]:
        """The complete files in the folder, oldest first (by modification time, then name)."""
        found = []
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name.endswith(".part") or not entry.is_file():
                    continue
                try:
                    found.append((entry.stat().st_mtime, entry.name))
                except FileNotFoundError:
                    continue  # removed meanwhile
        return [self.folder / name for _, name in sorted(found)]

    def take(self, path: Path) -> Outcome | None:
        """Evaluate one file and remove it (or move it aside); None when it went away or failed this time."""
        started = time.perf_counter()
        try:
            body = path.read_bytes()
            metrics.LAG.set(max(time.time() - path.stat().st_mtime, 0.0))
        except FileNotFoundError:
            return None
        try:
            outcome = self._handler.handle(body, kind=SUFFIX_KINDS.get(path.suffix.lower()))
        except Unavailable:
            raise
        except Exception as exc:  # the engine failed, or a bug: a few tries, then aside with the reason
            failures = self._failures.get(path.name, 0) + 1
            self._failures[path.name] = failures
            log.exception("file failed", extra={"error": type(exc).__name__, "attempt": failures})
            if failures < ATTEMPTS:
                return None
            outcome = Outcome(DEAD, message_digest(body), reason=f"failed: {type(exc).__name__} on {failures} attempts")
        self._failures.pop(path.name, None)
        if outcome.status == DEAD:
            self._set_aside(path, outcome)
        else:
            path.unlink(missing_ok=True)
        metrics.MESSAGES.labels(outcome.status).inc()
        metrics.TRAVELLERS.inc(outcome.travellers)
        metrics.MESSAGE_SECONDS.observe(time.perf_counter() - started)
        log.info(
            "file taken", extra={"outcome": outcome.status, "kind": outcome.kind, "travellers": outcome.travellers}
        )
        return outcome

    def _set_aside(self, path: Path, outcome: Outcome) -> None:
        log.warning("file moved to dead/", extra={"digest": outcome.digest, "reason": outcome.reason})
        self.dead.mkdir(exist_ok=True)
        target = self.dead / path.name
        if target.exists():
            target = self.dead / f"{path.stem}.{outcome.digest[:12]}{path.suffix}"
        # The reason first: killed before the move, the file is read again and its reason written again.
        target.with_name(target.name + ".reason").write_text(f"{outcome.reason}\n")
        os.replace(path, target)
