"""durable-rules in a worker process, so a crash or a hang costs the worker, not the service.

``IsolatedEvaluator`` has the ``Evaluator`` interface. It sends checked records to a child
process that holds the engine rulesets and gets back which rule branches fired; matches,
explanations and scores are assembled in the calling process. If the child dies (a
segfault, a SIGFPE, a kill) or does not answer within the timeout, it is replaced and the
batch is tried once more on the new child; a second failure raises ``EngineFailure``,
which callers report as retryable. A new ruleset gets a new child and the old one exits,
so the engine's per-ruleset leaks end with it.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from engine.errors import EngineFailure
from engine.evaluation import BaseEvaluator, Evaluator
from engine.records import PassengerRecord
from engine.ruleset import CompiledRuleset

# forkserver: children start from a clean, single-threaded server process, not from a
# copy of a threaded web worker.
_CONTEXT = mp.get_context("forkserver")


def _serve(connection: Connection, ruleset: CompiledRuleset) -> None:
    evaluator = Evaluator(ruleset)
    connection.send(("ready", None))
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        if request is None:
            return
        try:
            connection.send(("ok", evaluator.fire_batch(request)))
        except EngineFailure as exc:
            connection.send(("engine_failure", str(exc)))


class IsolatedEvaluator(BaseEvaluator):
    """An evaluator whose engine runs in a replaceable child process."""

    def __init__(self, ruleset: CompiledRuleset, timeout: float = 10.0, start_timeout: float = 120.0) -> None:
        super().__init__(ruleset)
        self.timeout = timeout
        self.start_timeout = start_timeout
        self.restarts = 0
        self._lock = threading.Lock()
        self._process: Any = None
        self._connection: Connection | None = None
        self._start()

    def _start(self) -> None:
        parent, child = _CONTEXT.Pipe()
        process = _CONTEXT.Process(target=_serve, args=(child, self.ruleset), daemon=True, name="engine-worker")
        process.start()
        child.close()
        if not parent.poll(self.start_timeout):
            process.kill()
            raise EngineFailure("the engine worker did not start")
        try:
            parent.recv()
        except EOFError:
            process.join()
            raise EngineFailure(f"the engine worker failed to load the ruleset (exit {process.exitcode})") from None
        self._process, self._connection = process, parent

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join()
        if self._connection is not None:
            self._connection.close()
        self._process = self._connection = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def fire_batch(self, records: Sequence[PassengerRecord]) -> list[dict[int, set[int]]]:
        with self._lock:
            try:
                return self._round_trip(records)
            except _WorkerLost:
                self._replace()
            try:
                return self._round_trip(records)
            except _WorkerLost as exc:
                self._replace()
                raise EngineFailure(
                    f"the engine worker failed twice on this request ({exc}); it was replaced"
                ) from None

    def _round_trip(self, records: Sequence[PassengerRecord]) -> list[dict[int, set[int]]]:
        if self._connection is None:
            raise _WorkerLost("no worker")
        try:
            # Values only: screening details stay here, where explanations are assembled.
            self._connection.send([PassengerRecord(record.values) for record in records])
            if not self._connection.poll(self.timeout):
                raise _WorkerLost(f"no answer within {self.timeout:g} s")
            answer: tuple[str, Any] = self._connection.recv()
            status, payload = answer
        except (EOFError, OSError, BrokenPipeError):
            self._process.join(1)
            raise _WorkerLost(f"worker exited with {self._process.exitcode}") from None
        if status == "engine_failure":
            raise EngineFailure(payload)
        shards: list[dict[int, set[int]]] = payload  # the worker's answer: each record's flags per shard
        return shards

    def _replace(self) -> None:
        self.restarts += 1
        self._stop()
        self._start()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                with contextlib.suppress(OSError):
                    self._connection.send(None)
            self._stop()


class _WorkerLost(Exception):
    pass
