"""``targeting ingest`` against a real RabbitMQ: acknowledged only after the commit, unreadable messages
dead-lettered with their reason, nothing lost or recorded twice when a worker dies, and a thousand
messages through two worker processes, one SIGKILLed midway.

The broker is the machine's (``TEST_AMQP_URL``, default 127.0.0.1:5672 guest/guest; .ci/run starts
it). Without one these tests are skipped, except in CI (``CI=true``), where that is a failure.
Each test declares this run's queues (``INGEST_QUEUE``) and deletes them at the end.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pika
import pytest
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPConnectionError
from sqlalchemy import func, select

from api.common import Unavailable
from api.db.models import IngestedMessageRow
from api.ingest import metrics
from api.ingest.broker import BrokerWorker, Topology, publish
from api.ingest.handler import MessageHandler, Outcome
from testing.ingest import AMQP_URL, paxlst_message, pnrgov_message, unreadable_message
from testing.live import ROOT, free_port
from tests.api.conftest import INGEST_QUEUE
from tests.api.test_ingest import activate_nzl_rule, decisions_per_passenger, hits_per_passenger

BROKER_REQUIRED = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TOPOLOGY = Topology(INGEST_QUEUE)


@pytest.fixture
def broker() -> Iterator[BlockingChannel]:
    """A channel to the test broker, with this run's queues declared afresh; deleted afterwards."""
    try:
        connection = pika.BlockingConnection(pika.URLParameters(f"{AMQP_URL}?connection_attempts=1&socket_timeout=3"))
    except AMQPConnectionError as exc:
        reason = f"no RabbitMQ at {AMQP_URL.rsplit('@', 1)[-1]} ({type(exc).__name__})"
        if BROKER_REQUIRED:
            pytest.fail(f"{reason}; CI=true, so this is a failure, not a skip", pytrace=False)
        pytest.skip(reason)
    channel = connection.channel()
    TOPOLOGY.delete(channel)  # what a test that failed before may have left
    TOPOLOGY.declare(channel)
    try:
        yield channel
    finally:
        if not channel.is_open:
            channel = connection.channel()
        TOPOLOGY.delete(channel)
        connection.close()


def _depth(channel: BlockingChannel, queue: str) -> int:
    return channel.queue_declare(queue, passive=True).method.message_count


def _dead_letters(channel: BlockingChannel) -> list[tuple[bytes, dict]]:
    found = []
    while True:
        method, properties, body = channel.basic_get(TOPOLOGY.dead_letter, auto_ack=True)
        if method is None:
            return found
        found.append((body, properties.headers or {}))


def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _counted(outcome: str) -> float:
    return metrics.MESSAGES.labels(outcome)._value.get()


class _Worker:
    """A broker worker on a thread of this process, stopped (and joined) at the end of the block."""

    def __init__(self, handler: MessageHandler, prefetch: int = 4) -> None:
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self._worker = BrokerWorker(handler, AMQP_URL, TOPOLOGY, prefetch, self.stop)
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            self._worker.run()
        except BaseException as exc:
            self.error = exc

    def __enter__(self) -> _Worker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join(timeout=30)
        assert not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


def test_messages_are_evaluated_once_and_the_unreadable_dead_lettered_with_their_reason(services, broker):
    activate_nzl_rule(services)
    readable = [paxlst_message("BRKA", 2), pnrgov_message("BRKB01", 2), paxlst_message("BRKC", 1)]
    unreadable = [unreadable_message(0), unreadable_message(2)]
    for n, body in enumerate(readable):
        publish(broker, INGEST_QUEUE, body, "paxlst" if n == 0 else None)
    publish(broker, INGEST_QUEUE, readable[0])  # the airline sent it twice
    for body in unreadable:
        publish(broker, INGEST_QUEUE, body, None, origin="test")
    before = {outcome: _counted(outcome) for outcome in ("evaluated", "duplicate", "dead_lettered")}
    expected = {"BRKA-1": 1, "BRKA-2": 1, "BRKB01-1": 1, "BRKB01-2": 1, "BRKC-1": 1}
    with _Worker(MessageHandler(services, "customs")) as worker:
        _until(lambda: _counted("dead_lettered") - before["dead_lettered"] == 2, 30, "the dead letters")
        _until(lambda: sum(_counted(o) - n for o, n in before.items()) == 6, 30, "every message")
    assert worker.error is None
    assert decisions_per_passenger(services) == expected
    assert hits_per_passenger(services) == {"BRKA-2": 1}
    assert {o: _counted(o) - n for o, n in before.items()} == {"evaluated": 3, "duplicate": 1, "dead_lettered": 2}
    assert _depth(broker, INGEST_QUEUE) == 0  # every message acknowledged: none came back when it stopped
    dead = _dead_letters(broker)
    assert sorted(body for body, _ in dead) == sorted(unreadable)
    for body, headers in dead:
        assert headers["x-ingest-reason"].startswith(("unknown_message_type: ", "invalid_paxlst: "))
        assert headers["x-ingest-digest"] == hashlib.sha256(body).hexdigest()
        assert headers["origin"] == "test"  # the publisher's own headers are kept
    assert metrics.QUEUE_DEPTH.labels(INGEST_QUEUE)._value.get() >= 0
    assert metrics.QUEUE_CONSUMERS.labels(INGEST_QUEUE)._value.get() >= 1


class _Killed(BaseException):
    """The worker dying: nothing in it catches this."""


class _DiesAfterCommit(MessageHandler):
    def handle(self, body: bytes, **kwargs: str | None) -> Outcome:
        super().handle(body, **kwargs)
        raise _Killed  # committed, but the acknowledgement is never sent


def test_a_message_committed_by_a_worker_that_died_before_acknowledging_is_not_evaluated_again(services, broker):
    publish(broker, INGEST_QUEUE, paxlst_message("BRKD", 2), "paxlst")
    with _Worker(_DiesAfterCommit(services, "customs")) as dying:
        _until(lambda: not dying.alive, 30, "the worker to die")
    assert isinstance(dying.error, _Killed)
    assert decisions_per_passenger(services) == {"BRKD-1": 1, "BRKD-2": 1}
    assert _depth(broker, INGEST_QUEUE) == 1  # back in the queue: never acknowledged
    duplicates = _counted("duplicate")
    with _Worker(MessageHandler(services, "customs")):
        _until(lambda: _counted("duplicate") == duplicates + 1, 30, "the redelivery")
    assert decisions_per_passenger(services) == {"BRKD-1": 1, "BRKD-2": 1}
    assert _depth(broker, INGEST_QUEUE) == 0


def test_a_message_waits_in_the_queue_while_the_store_is_down(services, broker, monkeypatch):
    publish(broker, INGEST_QUEUE, paxlst_message("BRKE", 1), "paxlst")

    def down(digest: str) -> None:
        raise Unavailable("the store is unavailable; try again")

    monkeypatch.setattr(services.ingest, "ingested", down)
    with _Worker(MessageHandler(services, "customs")):
        _until(lambda: _depth(broker, INGEST_QUEUE) == 0, 30, "the worker to take it")  # held, unacknowledged
        time.sleep(0.3)
    assert _depth(broker, INGEST_QUEUE) == 1  # stopped while the store was down: given back
    assert decisions_per_passenger(services) == {}
    monkeypatch.undo()
    with _Worker(MessageHandler(services, "customs")):
        _until(lambda: decisions_per_passenger(services) == {"BRKE-1": 1}, 30, "the evaluation")
        _until(lambda: _depth(broker, INGEST_QUEUE) == 0, 30, "the acknowledgement")


# --------------------------------------------------------------------------- a thousand messages


def _thousand_messages() -> tuple[list[tuple[bytes, str | None]], set[str], set[bytes]]:
    """(body and declared type of each message, every passenger id, the unreadable bodies): PAXLST and
    PNRGOV messages of two travellers, every 50th message unreadable, ten sent twice."""
    messages: list[tuple[bytes, str | None]] = []
    passengers: set[str] = set()
    unreadable: set[bytes] = set()
    for n in range(990):
        if n % 50 == 7:
            body = unreadable_message(n)
            unreadable.add(body)
            messages.append((body, None))
        elif n % 10 == 3:
            messages.append((pnrgov_message(f"Q{n:05d}", 2), "PNRGOV" if n % 20 == 3 else None))
            passengers |= {f"Q{n:05d}-1", f"Q{n:05d}-2"}
        else:
            messages.append((paxlst_message(f"M{n:04d}", 2), "PAXLST" if n % 2 else None))
            passengers |= {f"M{n:04d}-1", f"M{n:04d}-2"}
    for n in range(10):
        messages.insert(100 * n + 60, messages[100 * n])  # the same bytes again, some way behind
    return messages, passengers, unreadable


def _metrics(port: int) -> dict[str, float]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    found = {}
    for line in text.splitlines():
        if line.startswith("targeting_ingest_"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def _start_worker(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "targeting", "ingest", "--agency", "customs", "--queue", INGEST_QUEUE]
    return subprocess.Popen(
        [*command, "--metrics-port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: one signal reaches the engine worker too
    )


def _evaluated_by(port: int) -> float:
    try:
        return _metrics(port).get('targeting_ingest_messages_total{outcome="evaluated"}', 0.0)
    except OSError:
        return 0.0  # not serving yet


def test_a_thousand_messages_through_two_workers_one_killed_midway(backend, services, broker, tmp_path: Path):
    if backend.name != "postgresql":
        pytest.skip("worker processes share the production store, PostgreSQL")
    activate_nzl_rule(services)
    messages, passengers, unreadable = _thousand_messages()
    assert len(messages) == 1000 and len(unreadable) == 20
    for body, kind in messages:
        publish(broker, INGEST_QUEUE, body, kind)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")},
        "DATABASE_URL": backend.url,
        "AMQP_URL": AMQP_URL,
        "IDENTITY_HASH_KEY": "test-identity-key",
        "INSTANCE_PATH": str(tmp_path),
        "INGEST_PREFETCH": "8",
        "LOG_LEVEL": "WARNING",
    }
    ports = free_port(), free_port()
    workers = [_start_worker(env, port) for port in ports]
    started = time.monotonic()
    try:
        # Killed midway: once it has committed a hundred messages, with the rest still to do.
        _until(lambda: _evaluated_by(ports[0]) >= 100, 60, "the first worker to get going")
        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait(timeout=30)
        with services.engine.connect() as connection:
            at_kill = connection.execute(select(func.count()).select_from(IngestedMessageRow)).scalar_one()
        assert at_kill < 900, "the first worker was not killed midway"

        def ingested() -> int:
            with services.engine.connect() as connection:
                return connection.execute(select(func.count()).select_from(IngestedMessageRow)).scalar_one()

        _until(lambda: ingested() == 970 and _depth(broker, TOPOLOGY.dead_letter) == 20, 90, "every message")
        _until(lambda: _depth(broker, INGEST_QUEUE) == 0, 30, "an empty queue")
        survivor = _metrics(ports[1])
        workers[1].send_signal(signal.SIGTERM)
        assert workers[1].wait(timeout=30) == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=30)
    elapsed = time.monotonic() - started
    # Every traveller evaluated exactly once, its hit recorded once; nothing else lost.
    counted = decisions_per_passenger(services)
    assert set(counted) == passengers and set(counted.values()) == {1}
    assert hits_per_passenger(services) == Counter({p: 1 for p in passengers if p.startswith("M") and p.endswith("-2")})
    assert _depth(broker, INGEST_QUEUE) == 0  # the survivor gave back nothing unacknowledged on stopping
    dead = _dead_letters(broker)
    assert sorted(body for body, _ in dead) == sorted(unreadable)
    assert all(headers["x-ingest-reason"] for _, headers in dead)
    assert survivor['targeting_ingest_messages_total{outcome="evaluated"}'] >= 1
    assert survivor["targeting_ingest_travellers_total"] >= 2
    assert f'targeting_ingest_queue_depth{{queue="{INGEST_QUEUE}"}}' in survivor
    assert "targeting_ingest_lag_seconds" in survivor
    print(
        f"1,000 messages, {len(passengers)} travellers, one of two workers killed after {at_kill} were committed: "
        f"{elapsed:.1f} s from the workers' start"
    )
