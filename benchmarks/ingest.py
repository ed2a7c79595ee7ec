"""End-to-end ingest: ``python -m benchmarks.ingest [--messages 200] [--workers 1,2] [--rules 1000]``.

``targeting ingest`` worker processes, as deployed, take PAXLST and PNRGOV messages from a RabbitMQ
queue of this run's own (``targeting-bench.<pid>.ingest`` on 127.0.0.1:5672, guest/guest, deleted
with its dead-letter queue at the end) and commit their decisions, hits and digests to a database of
this run's own (PostgreSQL when reachable, dropped at the end; else SQLite). Each run starts the
workers, waits until every one consumes and has committed a warm-up message, then publishes
``messages`` messages (PAXLST of 100 passengers and PNRGOV pushes of 20 PNRs of 2 travellers, in
turn) and times from the first publish to the last message committed: messages/s and travellers/s,
with 1 and with 2 workers, and the folder mode (``--watch DIR``, one worker) for comparison, the
files renamed into the folder as a sender would. Without a broker the folder mode is measured alone,
with a line saying so; on SQLite, one worker only (two processes writing one file wait on its lock).
The workers share the machine's cores with the database, the broker and this process.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.stores import migrated_services, own_database
from testing.ingest import AMQP_URL, paxlst_message
from testing.live import ROOT, reachable
from testing.synthetic import synthetic_packs

PAXLST_PASSENGERS = 100
PNRGOV_PNRS, PNRGOV_TRAVELLERS = 20, 2


def pnrgov_push(prefix: str, pnrs: int, travellers: int) -> bytes:
    """A PNRGOV push for NZ5 LAX-AKL of ``pnrs`` (up to 100) PNRs of ``travellers`` each, whose locators
    are ``prefix`` (4 letters and digits) and the PNR's number; every traveller a person of their own."""
    assert prefix.isalnum() and len(prefix) == 4 and pnrs <= 100, (prefix, pnrs)
    segments = [
        "UNA:+.?*'",
        "UNB+IATA:1+NZ++261201:2100+IC1'",
        f"UNH+{prefix}+PNRGOV:11:1:IA+{prefix}'",
        "MSG+:22'",
        "ORG+NZ:AKL+52519950'",
        "TVL+011226:0915+LAX+AKL+NZ+5'",
        f"EQN+{pnrs}'",
    ]
    for number in range(pnrs):
        locator = f"{prefix}{number:02d}"
        segments += ["SRC'", f"RCI+NZ:{locator}'"]
        for n in range(1, travellers + 1):
            segments += [
                f"TIF+{locator}TRAVELLER{n}+GIVEN{n}:A:{n}'",
                f"SSR+DOCS:HK::NZ:::::/P/USA/{locator}{n:03d}/USA/12JUL84/M/23AUG30/{locator}TRAVELLER{n}/GIVEN{n}'",
            ]
        segments.append("TVL+011226:0915::1230+LAX+AKL+NZ+5:B'")
    in_message = len(segments) - 2 + 1  # UNH onwards (not UNA and UNB), and UNT
    segments += [f"UNT+{in_message}+{prefix}'", "UNZ+1+IC1'"]
    return "\n".join(segments).encode()


def _base36(number: int, width: int) -> str:
    digits = ""
    for _ in range(width):
        number, digit = divmod(number, 36)
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[digit] + digits
    return digits


def workload(run: str, count: int) -> list[tuple[str, bytes, int]]:
    """``count`` new messages for ``run`` (one letter: each run's travellers are people of their own),
    PAXLST and PNRGOV in turn: each one's kind, body and travellers."""
    assert len(run) == 1 and run.isalpha() and count <= 36**3, (run, count)
    messages = []
    for number in range(count):
        prefix = f"{run}{_base36(number, 3)}"
        if number % 2:
            body = pnrgov_push(prefix, PNRGOV_PNRS, PNRGOV_TRAVELLERS)
            messages.append(("pnrgov", body, PNRGOV_PNRS * PNRGOV_TRAVELLERS))
        else:
            messages.append(("paxlst", paxlst_message(prefix, PAXLST_PASSENGERS), PAXLST_PASSENGERS))
    return messages


def _environment(url: str, folder: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")}
    return {
        **env,
        "DATABASE_URL": url,
        "AMQP_URL": AMQP_URL,
        "INSTANCE_PATH": folder,
        "IDENTITY_HASH_KEY": "benchmark",
        "LOG_LEVEL": "WARNING",
    }


def _prepare(env: dict[str, str], rules: int) -> None:
    """Migrate the database and activate ``rules`` synthetic rules, through the service's own store."""
    with migrated_services(env) as (services, operator):
        packs = [(f"synthetic-{n}", pack) for n, pack in enumerate(synthetic_packs(rules))]
        services.rule_store.import_packs(packs, operator)


class _Committed:
    """Counts what the workers have committed: messages and their travellers."""

    def __init__(self, url: str) -> None:
        from api.db import make_engine

        self._engine = make_engine(url)

    def __call__(self) -> tuple[int, int]:
        from sqlalchemy import func, select

        from api.db.models import IngestedMessageRow

        query = select(func.count(), func.coalesce(func.sum(IngestedMessageRow.travellers), 0))
        with self._engine.connect() as connection:
            messages, travellers = connection.execute(query).one()
        return int(messages), int(travellers)

    def close(self) -> None:
        self._engine.dispose()


def _until(condition: Callable[[], bool], seconds: float, what: str, workers: list[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        for worker in workers:
            if worker.poll() is not None:
                raise RuntimeError(f"an ingest worker exited ({worker.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.05)


@contextmanager
def _workers(env: dict[str, str], count: int, source: list[str], logs: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """``count`` ``targeting ingest`` processes on ``source`` (``--queue Q`` or ``--watch DIR``), each
    started once it has said it is ready (its ruleset loaded); stopped (SIGTERM, then SIGKILL) at the end."""
    command = [sys.executable, "-m", "targeting", "ingest", "--agency", "customs", *source]
    started: list[subprocess.Popen[str]] = []
    try:
        for number in range(count):
            worker = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=(logs / f"worker-{number}.log").open("w"),
                text=True,
                start_new_session=True,  # its own process group: one signal reaches its engine worker too
            )
            started.append(worker)
            assert worker.stdout is not None
            if not worker.stdout.readline().startswith("targeting ingest:"):
                worker.wait(timeout=60)
                log = (logs / f"worker-{number}.log").read_text()[-2000:]
                raise RuntimeError(f"an ingest worker did not start (exit {worker.returncode}):\n{log}")
        yield started
    finally:
        for worker in started:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in started:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
            if worker.stdout is not None:
                worker.stdout.close()


def _broker() -> Any:
    """A channel to the broker, or None when it cannot be reached."""
    import pika
    from pika.exceptions import AMQPError

    try:
        connection = pika.BlockingConnection(pika.URLParameters(f"{AMQP_URL}?connection_attempts=1&socket_timeout=3"))
    except (AMQPError, OSError):
        return None
    return connection.channel()


def _drained(
    committed: Callable[[], tuple[int, int]],
    send: Callable[[str, bytes], None],
    messages: list[tuple[str, bytes, int]],
    workers: list[subprocess.Popen[str]],
) -> dict[str, Any]:
    """Send ``messages`` and time until the last one's decisions are committed."""
    before_messages, before_travellers = committed()
    travellers = sum(n for _, _, n in messages)
    began = time.perf_counter()
    for kind, body, _ in messages:
        send(kind, body)
    sent = time.perf_counter() - began
    _until(lambda: committed()[0] >= before_messages + len(messages), 60 + len(messages) * 5, "every message", workers)
    seconds = time.perf_counter() - began
    done_messages, done_travellers = committed()
    if (done_messages - before_messages, done_travellers - before_travellers) != (len(messages), travellers):
        raise RuntimeError(
            f"committed {done_messages - before_messages} messages and {done_travellers - before_travellers} "
            f"travellers, not {len(messages)} and {travellers}"
        )
    return {
        "messages": len(messages),
        "travellers": travellers,
        "publish_s": round(sent, 2),
        "seconds": round(seconds, 2),
        "messages_per_s": round(len(messages) / seconds, 1),
        "travellers_per_s": round(travellers / seconds),
    }


def _broker_run(
    env: dict[str, str], channel: Any, workers: int, run: str, count: int, counter: _Committed, logs: Path
) -> dict[str, Any]:
    from api.ingest.broker import Topology, publish

    def committed() -> tuple[int, int]:
        channel.connection.process_data_events(0)  # heartbeats: a run can outlast the broker's patience
        return counter()

    topology = Topology(f"targeting-bench.{os.getpid()}.{run}.ingest")
    topology.declare(channel)
    try:
        with _workers(env, workers, ["--queue", topology.queue], logs) as started:

            def consuming() -> bool:
                return bool(channel.queue_declare(topology.queue, passive=True).method.consumer_count >= workers)

            _until(consuming, 120, "every worker to consume", started)

            def send(kind: str, body: bytes) -> None:
                publish(channel, topology.queue, body, kind)

            warm = [("paxlst", paxlst_message(f"{run}WARM{n}", 2), 2) for n in range(workers)]
            _drained(committed, send, warm, started)
            result = _drained(committed, send, workload(run, count), started)
            dead = channel.queue_declare(topology.dead_letter, passive=True).method.message_count
    finally:
        topology.delete(channel)
    return {"mode": "broker", "workers": workers, "dead_lettered": dead, **result}


def _folder_run(env: dict[str, str], run: str, count: int, committed: _Committed, logs: Path) -> dict[str, Any]:
    inbox = logs / f"inbox-{run}"
    inbox.mkdir()
    with _workers(env, 1, ["--watch", str(inbox)], logs) as started:
        sent = 0

        def send(kind: str, body: bytes) -> None:
            # Written aside, then renamed in: the worker never reads half a file.
            nonlocal sent
            sent += 1
            partial = inbox / f".{run}-{sent:06d}.{kind}"
            partial.write_bytes(body)
            os.replace(partial, inbox / partial.name[1:])

        _drained(committed, send, [("paxlst", paxlst_message(f"{run}WARM", 2), 2)], started)
        result = _drained(committed, send, workload(run, count), started)
    return {"mode": "folder", "workers": 1, "dead_lettered": len(list((inbox / "dead").glob("*.reason"))), **result}


def measure(count: int, worker_counts: tuple[int, ...], rules: int) -> dict[str, Any]:
    """Every run against one database of this run's own: the broker's (when reachable), then the folder's."""
    kind = "postgresql" if reachable(5432) else "sqlite"
    results: dict[str, Any] = {"store": kind, "rules": rules, "messages": count, "runs": [], "notes": []}
    channel = _broker()
    if channel is None:
        results["notes"].append(
            f"RabbitMQ at {AMQP_URL.rsplit('@', 1)[-1]} is not reachable: folder mode (--watch DIR) only"
        )
    if kind == "sqlite" and channel is not None and max(worker_counts) > 1:
        results["notes"].append("PostgreSQL is not reachable: SQLite, one worker only (two would wait on its lock)")
        worker_counts = (1,)
    with tempfile.TemporaryDirectory() as folder, own_database(kind, folder, "ingest") as url:
        env = _environment(url, folder)
        _prepare(env, rules)
        committed = _Committed(url)
        try:
            if channel is not None:
                for workers, run in zip(worker_counts, "BCDEFG", strict=False):
                    results["runs"].append(_broker_run(env, channel, workers, run, count, committed, Path(folder)))
            results["runs"].append(_folder_run(env, "F", count, committed, Path(folder)))
        finally:
            committed.close()
            if channel is not None:
                channel.connection.close()
    baseline = results["runs"][0]["travellers_per_s"]
    for row in results["runs"]:
        row["vs_first"] = round(row["travellers_per_s"] / baseline, 2)
    return results


def table(results: dict[str, Any]) -> str:
    lines = [
        "| mode | workers | messages | travellers | seconds | messages/s | travellers/s | vs first row | dead |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results["runs"]:
        lines.append(
            f"| {row['mode']} | {row['workers']} | {row['messages']} | {row['travellers']:,} | {row['seconds']} | "
            f"{row['messages_per_s']} | {row['travellers_per_s']:,} | {row['vs_first']}x | {row['dead_lettered']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest")
    parser.add_argument("--messages", type=int, default=200, help="messages per run (PAXLST and PNRGOV in turn)")
    parser.add_argument("--workers", default="1,2", help="worker processes per broker run, comma-separated")
    parser.add_argument("--rules", type=int, default=1000, help="active synthetic rules")
    parser.add_argument("--json", default="benchmarks/results-ingest.json")
    args = parser.parse_args()
    results = measure(args.messages, tuple(int(n) for n in args.workers.split(",")), args.rules)
    for note in results["notes"]:
        print(note)
    print(
        f"targeting ingest end to end, {results['store']}, {results['rules']:,} rules: {args.messages} messages "
        f"(PAXLST of {PAXLST_PASSENGERS} passengers, PNRGOV of {PNRGOV_PNRS} PNRs x {PNRGOV_TRAVELLERS}), "
        "first publish to last commit"
    )
    print(table(results))
    Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
