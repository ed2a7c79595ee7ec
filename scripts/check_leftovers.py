"""Run a command (the test suite) and fail if it left anything behind on the shared servers or in the work tree.

    .venv/bin/python scripts/check_leftovers.py bash scripts/test.sh [pytest arguments]

Before and after the command it takes stock of the PostgreSQL databases, the keys of every
Redis database (INFO keyspace, then SCAN), the RabbitMQ queues and exchanges of the ingest worker's
names (found by passive declaration, which needs no management plugin: this run's and the
default ones) and ``git status``. It gives the command a run id (``TEST_RUN_ID``), which the tests
put in the names of everything they create (``targeting_test_<id>``, Redis keys under
``targeting-test:<id>:``, the queue ``targeting-test.<id>.ingest``), then fails when, after the
command:

- a database whose name starts with ``targeting_test`` is new, unless it is another run's
  (``targeting_test_r`` and 12 hex digits, not this run's);
- a Redis key of this project's shapes (``tgt:``, ``LIMITS``, ``targeting``) is new, unless
  it is under another run's prefix; every key under this run's own prefix counts;
- a queue or exchange of this run's ingest names is there, or one of the default names
  (``targeting.ingest``, ``targeting.ingest.dead``) is new;
- the work tree's ``git status`` differs (a new, changed or removed entry, or a file listed
  before whose content changed).

Other runs and other projects share the servers and come and go meanwhile, so things of
other shapes are only reported. In a work tree others edit at the same time their edits show
up as differences too; CI runs in a clone of its own.

Exit status: the command's when it failed, else 1 when something was left behind, else 0.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
GENERATED_ID = r"r[0-9a-f]{12}"  # the shape of the run ids this script and tests/api/conftest.py make up
#: pytest-xdist's worker names: each worker of a run has its own database, key prefix and queue (tests/api/conftest.py)
WORKERS = [f"gw{number}" for number in range(16)]
PROJECT_KEY = re.compile(r"(tgt:|LIMITS|targeting)")


def databases() -> set[str] | None:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=5) as db:
            return {name for (name,) in db.execute("SELECT datname FROM pg_database")}
    except psycopg.Error as exc:
        print(f"check_leftovers: PostgreSQL not reachable ({exc}); its databases are not compared", file=sys.stderr)
        return None


def redis_keys() -> set[tuple[int, str]] | None:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
        found = set()
        for section in client.info("keyspace"):  # db0, db15, ...: every database that holds keys
            number = int(section.removeprefix("db"))
            url = urlsplit(REDIS_URL)._replace(path=f"/{number}").geturl()
            database = redis.Redis.from_url(url, socket_connect_timeout=5)
            found |= {(number, key.decode(errors="replace")) for key in database.scan_iter(count=1000)}
            database.close()
        client.close()
        return found
    except redis.RedisError as exc:
        print(f"check_leftovers: Redis not reachable ({exc}); its keys are not compared", file=sys.stderr)
        return None


def ingest_names(run_id: str) -> list[str]:
    """The names a run's ingest tests use (tests/api/conftest.py ``INGEST_QUEUE``, and ``.dead``), and
    the default ones (``api.config`` ``INGEST_QUEUE``), which no test should create."""
    owns = [f"targeting-test.{run_id}.ingest"] + [f"targeting-test.{run_id}.{worker}.ingest" for worker in WORKERS]
    return [name for own in owns for name in (own, f"{own}.dead")] + ["targeting.ingest", "targeting.ingest.dead"]


def broker_names(run_id: str) -> set[str] | None:
    """Which of ``ingest_names`` exist on the broker, as ``queue NAME`` and ``exchange NAME``."""
    import pika
    from pika.exceptions import AMQPError, ChannelClosedByBroker

    try:
        connection = pika.BlockingConnection(pika.URLParameters(f"{AMQP_URL}?connection_attempts=1&socket_timeout=5"))
    except AMQPError as exc:
        print(
            f"check_leftovers: RabbitMQ not reachable ({type(exc).__name__}); its queues are not compared",
            file=sys.stderr,
        )
        return None
    found = set()
    try:
        for name in ingest_names(run_id):
            for kind in ("queue", "exchange"):
                channel = connection.channel()  # a passive declaration of nothing closes its channel
                try:
                    if kind == "queue":
                        channel.queue_declare(name, passive=True)
                    else:
                        channel.exchange_declare(name, passive=True)
                    found.add(f"{kind} {name}")
                except ChannelClosedByBroker:
                    continue
                if channel.is_open:
                    channel.close()
    finally:
        connection.close()
    return found


def work_tree() -> dict[str, str]:
    """Each ``git status`` entry (ignored files aside), with a digest of the file's content."""
    listed = subprocess.run(
        ["git", "status", "--porcelain", "-z", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    entries = {}
    parts = iter(listed.split("\0"))
    for entry in parts:
        if not entry:
            continue
        if entry[0] in "RC":  # a rename or copy is followed by its source path
            next(parts, None)
        path = ROOT / entry[3:]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "-"
        entries[entry] = digest
    return entries


def leftovers(run_id: str, before: dict, after: dict) -> tuple[list[str], list[str]]:
    """(what this run left behind, what appeared meanwhile that is not of this project's shapes)."""
    problems: list[str] = []
    notes: list[str] = []
    mine = re.escape(run_id)
    # A run's databases: targeting_test_<run id>, then a worker's _gwN, then a test's own _<name>.
    others_database = re.compile(
        rf"targeting_test_(?!{mine}(_gw[0-9]+)?(_[a-z]+)?$){GENERATED_ID}(_gw[0-9]+)?(_[a-z]+)?"
    )
    others_prefix = re.compile(rf"targeting-test:(?!{mine}:){GENERATED_ID}:")
    own_prefix = f"targeting-test:{run_id}:"
    if before["databases"] is not None and after["databases"] is not None:
        for name in sorted(after["databases"] - before["databases"]):
            if not name.startswith("targeting_test"):
                notes.append(f"database {name} (not this project's shape)")
            elif not others_database.fullmatch(name):
                problems.append(f"PostgreSQL database {name}")
    if before["keys"] is not None and after["keys"] is not None:
        for number, key in sorted(after["keys"] - before["keys"]):
            if key.startswith(own_prefix) or (PROJECT_KEY.match(key) and not others_prefix.match(key)):
                problems.append(f"Redis key db{number} {key}")
            elif not others_prefix.match(key):
                notes.append(f"Redis key db{number} {key} (not this project's shape)")
    if before.get("broker") is not None and after.get("broker") is not None:
        own = f"targeting-test.{run_id}."
        for name in sorted(after["broker"]):
            if own in name or name not in before["broker"]:
                problems.append(f"RabbitMQ {name}")
    for entry in sorted(set(before["tree"]) | set(after["tree"])):
        if before["tree"].get(entry) != after["tree"].get(entry):
            was = "new" if entry not in before["tree"] else "gone" if entry not in after["tree"] else "changed"
            problems.append(f"work tree: {entry!r} ({was} since the start)")
    return problems, notes


def snapshot(run_id: str) -> dict:
    return {"databases": databases(), "keys": redis_keys(), "broker": broker_names(run_id), "tree": work_tree()}


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    run_id = os.environ.get("TEST_RUN_ID") or f"r{uuid.uuid4().hex[:12]}"
    before = snapshot(run_id)
    print(f"check_leftovers: run {run_id}: {' '.join(command)}", flush=True)
    returncode = subprocess.run(command, cwd=ROOT, env={**os.environ, "TEST_RUN_ID": run_id}).returncode
    problems, notes = leftovers(run_id, before, snapshot(run_id))
    for note in notes[:20]:
        print(f"check_leftovers: appeared meanwhile, not counted: {note}")
    for problem in problems[:200]:
        print(f"check_leftovers: LEFT BEHIND: {problem}")
    if problems:
        print(f"check_leftovers: {len(problems)} thing(s) left behind by run {run_id}")
    else:
        print(f"check_leftovers: run {run_id} left PostgreSQL, Redis, RabbitMQ and the work tree as it found them")
    return returncode or (1 if problems else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
