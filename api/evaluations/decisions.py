"""Recording decisions without losing any when the store hiccups.

Decisions are written in one batch per request, before the answer. If the store is
unavailable the batch waits in a bounded queue and a background thread retries until it
is written, so evaluation keeps answering on the loaded ruleset through a store outage.

A waiting batch is also spooled to a file (fsynced before the answer goes out) under the
instance folder, locked by the process that queued it. If that process dies (SIGKILL, a
crash, a lost host) its locks go with it, and the next process to start on the same
instance folder adopts the files and writes them: an answered decision is never lost.
Writes are idempotent by decision id, so a batch sent twice is stored once. A spool file
holds passenger records only until the store takes them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import json
import logging
import os
import threading
import uuid
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from prometheus_client import Gauge

from api.common import Unavailable
from api.evaluations.interface import DecisionRecord, DecisionStore

log = logging.getLogger(__name__)
PENDING = Gauge(
    "targeting_decisions_pending", "Decisions waiting to be written to the store", multiprocess_mode="liveall"
)


def _encoded(decision: DecisionRecord) -> dict[str, Any]:
    found = dataclasses.asdict(decision)
    found["created_at"] = decision.created_at.isoformat()
    found["evaluated_at"] = decision.evaluated_at.isoformat()
    found["flight_date"] = decision.flight_date.isoformat() if decision.flight_date else None
    return found


def _decoded(found: dict[str, Any]) -> DecisionRecord:
    return DecisionRecord(
        **{
            **found,
            "created_at": dt.datetime.fromisoformat(found["created_at"]),
            "evaluated_at": dt.datetime.fromisoformat(found["evaluated_at"]),
            "flight_date": dt.date.fromisoformat(found["flight_date"]) if found["flight_date"] else None,
        }
    )


@dataclasses.dataclass
class _Batch:
    decisions: Sequence[DecisionRecord]
    spooled: Path | None = None
    lock: IO[bytes] | None = None  # open while this process owns the spool file


class DecisionSpool:
    """Waiting batches as files in ``folder``, each locked (``flock``) by the process that owns it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, decisions: Sequence[DecisionRecord]) -> _Batch:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex}"
        partial = self.folder / f"{name}.partial"
        # Locked before it has its final name, so no other process can adopt it while it is ours.
        handle = partial.open("xb")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            handle.write(json.dumps([_encoded(d) for d in decisions], default=str).encode())
            handle.flush()
            os.fsync(handle.fileno())
            final = partial.with_suffix(".json")
            partial.rename(final)
            self._sync_folder()
        except BaseException:
            handle.close()
            partial.unlink(missing_ok=True)
            raise
        return _Batch(decisions, final, handle)

    def adopt(self) -> list[_Batch]:
        """Batches spooled by processes that are gone (their locks are free), oldest first."""
        if not self.folder.is_dir():
            return []
        adopted = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                handle = path.open("rb")
            except FileNotFoundError:
                continue  # written and removed by its owner meanwhile
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()  # a live process owns it
                continue
            if os.fstat(handle.fileno()).st_nlink == 0:
                handle.close()  # removed after its batch was written, between listing and locking
                continue
            try:
                decisions = [_decoded(found) for found in json.loads(handle.read())]
            except (ValueError, KeyError, TypeError):
                log.error("unreadable decision spool file left in place", extra={"file": path.name})
                handle.close()
                continue
            adopted.append(_Batch(decisions, path, handle))
        # A .partial file is a batch whose writer died before answering: never acknowledged, so dropped.
        for partial in self.folder.glob("*.partial"):
            with partial.open("rb") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                partial.unlink(missing_ok=True)
        return adopted

    def remove(self, batch: _Batch) -> None:
        if batch.spooled is not None:
            batch.spooled.unlink(missing_ok=True)
            self._sync_folder()
        if batch.lock is not None:
            batch.lock.close()

    def _sync_folder(self) -> None:
        descriptor = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


class DecisionRecorder:
    MAX_PENDING = 100_000

    def __init__(self, store: DecisionStore, retry_seconds: float = 1.0, spool: DecisionSpool | None = None) -> None:
        self._store = store
        self._spool = spool
        self._pending: deque[_Batch] = deque()
        self._count = 0
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one writer of the queue at a time: a batch is written once
        self._wake = threading.Event()
        self._retry_seconds = retry_seconds
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> int:
        return self._count

    def record(self, decisions: Sequence[DecisionRecord]) -> bool:
        """Write now if possible; otherwise queue (and spool). False when the batch had to wait."""
        if not self._pending:
            try:
                self._store.record_decisions(decisions)
                return True
            except Unavailable:
                log.warning("store unavailable; decisions queued", extra={"count": len(decisions)})
        if self._count + len(decisions) > self.MAX_PENDING:
            raise Unavailable("the store is unavailable and the decision queue is full; try again", "store_unavailable")
        batch = self._spooled(decisions)  # on disk before the answer goes out
        with self._lock:
            self._queue(batch)
        self._start()
        self._wake.set()
        return False

    def recover(self) -> int:
        """Queue the batches of processes that died with decisions unwritten; how many decisions."""
        if self._spool is None:
            return 0
        adopted = self._spool.adopt()
        with self._lock:
            for batch in adopted:
                self._queue(batch)
        found = sum(len(batch.decisions) for batch in adopted)
        if found:
            log.warning("adopted spooled decisions of an earlier process", extra={"count": found})
            self._start()
            self._wake.set()
        return found

    def flush(self) -> bool:
        """Write queued decisions; True when none are left."""
        with self._flushing:
            with self._lock:
                batches = list(self._pending)
            if not batches:
                return True
            try:
                self._store.record_decisions([d for batch in batches for d in batch.decisions])
            except Unavailable:
                return False
            with self._lock:
                for batch in batches:
                    self._pending.popleft()
                    self._count -= len(batch.decisions)
                PENDING.set(self._count)
            if self._spool is not None:
                for batch in batches:
                    self._spool.remove(batch)
            return not self._pending

    def _spooled(self, decisions: Sequence[DecisionRecord]) -> _Batch:
        if self._spool is None:
            return _Batch(decisions)
        try:
            return self._spool.write(decisions)
        except OSError as exc:
            log.error("decisions could not be spooled; held in memory only", extra={"error": type(exc).__name__})
            return _Batch(decisions)

    def _queue(self, batch: _Batch) -> None:
        self._pending.append(batch)
        self._count += len(batch.decisions)
        PENDING.set(self._count)

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="decision-retry", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._retry_seconds)
            self._wake.clear()
            if self._pending and not self.flush():
                self._wake.wait(self._retry_seconds)
