"""Fixtures for the service: real PostgreSQL and SQLite, real Redis.

Every API test runs once per database. Tables are emptied between tests (the schema is
migrated once per session); API keys are kept, since hashing them is deliberately slow.

The PostgreSQL server and Redis are shared (with other runs, other projects), so a run
touches only what it creates: a database of its own, ``targeting_test_<run id>``, dropped
at the end of the session, and Redis keys under ``targeting-test:<run id>:`` only
(``REDIS_KEY_PREFIX``), deleted by prefix between tests and at the end; never FLUSHDB.
An ingest test's queues on the shared RabbitMQ are named after the run too (``INGEST_QUEUE``),
and deleted by the test that declared them. ``TEST_RUN_ID`` sets the run id
(``scripts/check_leftovers.py`` does, to look for leftovers); otherwise each session makes one up.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import redis
from argon2 import PasswordHasher
from sqlalchemy import delete, text, update

from api import create_app
from api.audit.interface import GENESIS
from api.audit.log import SqlAuditLog
from api.audit.memory import MemoryAuditLog, MemoryTransaction
from api.common import Actor
from api.config import Settings
from api.container import MEMORY_URL, Services
from api.db import make_engine, make_sessions, upgrade
from api.db.models import ApiKeyRow, AuditHeadRow, Base, WatchlistRevisionRow
from api.keys.memory import MemoryKey, MemoryKeyStore
from api.keys.store import SqlKeyStore

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RUN_ID = os.environ.get("TEST_RUN_ID") or f"r{uuid.uuid4().hex[:12]}"
if not re.fullmatch(r"[a-z0-9_]{1,40}", RUN_ID):
    raise ValueError(f"TEST_RUN_ID must be 1 to 40 of a-z, 0-9 and _, not {RUN_ID!r}")
#: pytest-xdist's worker (``gw0``, ``gw1``, ...): each worker process is a session of its own, so each
#: has its own database, key prefix and queue, all still named after the run.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if not re.fullmatch(r"(gw[0-9]{1,2})?", WORKER):
    raise ValueError(f"PYTEST_XDIST_WORKER is gw and a number, not {WORKER!r}")
#: This run's own PostgreSQL database, and the prefix of every Redis key it writes.
POSTGRES_DATABASE = f"targeting_test_{RUN_ID}" + (f"_{WORKER}" if WORKER else "")
REDIS_KEY_PREFIX = f"targeting-test:{RUN_ID}:" + (f"{WORKER}:" if WORKER else "")
#: This run's ingest queue on the shared RabbitMQ (with ``.dead``, its dead-letter exchange and queue);
#: the broker tests use it one at a time and delete all three (scripts/check_leftovers.py looks for them).
INGEST_QUEUE = f"targeting-test.{RUN_ID}." + (f"{WORKER}." if WORKER else "") + "ingest"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
OPERATOR = Actor("test", "operator:test", "central", frozenset({"admin"}))

ACCOUNTS = {
    "customs_officer": ("aroha@customs", "customs", ["officer"]),
    "customs_officer2": ("tama@customs", "customs", ["officer"]),
    "customs_approver": ("ben@customs", "customs", ["approver"]),
    "customs_system": ("cusmod@customs", "customs", ["system"]),
    "mpi_officer": ("mere@mpi", "mpi", ["officer"]),
    "mpi_approver": ("liam@mpi", "mpi", ["approver"]),
    "mpi_system": ("quarantine@mpi", "mpi", ["system"]),
    "immigration_system": ("border@immigration", "immigration", ["system"]),
    "auditor": ("hana@audit", "central", ["auditor"]),
    "admin": ("ops@central", "central", ["admin"]),
    # the same person as customs_officer, with an approver key: still may not approve their own change
    "aroha_approver": ("aroha@customs", "customs", ["approver"]),
}


def administer(statement: str) -> None:
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def _create_postgres_database() -> str:
    # The name is this run's alone: an existing one is an error, not something to drop.
    administer(f'CREATE DATABASE "{POSTGRES_DATABASE}"')
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + POSTGRES_DATABASE


def _drop_postgres_database() -> None:
    # FORCE ends connections left open (a pool not yet disposed, a server a failed test left behind).
    administer(f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}" WITH (FORCE)')


def delete_redis_keys(url: str = REDIS_URL, prefix: str = REDIS_KEY_PREFIX) -> int:
    """Delete the keys under ``prefix`` (SCAN, then DEL in batches), and only those; returns how many."""
    assert prefix and not set("*?[]\\") & set(prefix), prefix
    client = redis.Redis.from_url(url)
    deleted = 0
    try:
        batch = []
        for key in client.scan_iter(match=prefix + "*", count=1000):
            batch.append(key)
            if len(batch) == 500:
                deleted += client.delete(*batch)
                batch = []
        if batch:
            deleted += client.delete(*batch)
    finally:
        client.close()
    return deleted


@pytest.fixture(scope="session", autouse=True)
def _own_redis_keys() -> Iterator[None]:
    """At the end of the session, delete every key this run wrote to the shared Redis."""
    yield
    delete_redis_keys()


@dataclass
class Backend:
    name: str
    url: str
    keys: dict[str, str]
    #: the in-memory stores' copy of the keys
    issued: list[MemoryKey] = field(default_factory=list)


def _memory_keys() -> tuple[dict[str, str], list[MemoryKey]]:
    """The accounts' keys for the in-memory stores: issued once, as on a database, and given to the
    fresh stores of each test (whose audit log then starts empty, as a database's is emptied)."""
    transaction = MemoryTransaction()
    store = MemoryKeyStore(transaction, MemoryAuditLog(transaction), FAST_HASHER)
    keys = {}
    for label, (name, agency, roles) in ACCOUNTS.items():
        _, keys[label] = store.create_key(name, agency, roles, OPERATOR, key_id=f"k{label.replace('_', '')}")
    return keys, store.issued()


@pytest.fixture(scope="session", params=["sqlite", "postgresql", "memory"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    if request.param == "memory":
        keys, issued = _memory_keys()
        yield Backend("memory", MEMORY_URL, keys, issued)
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        url = _create_postgres_database()
    try:
        engine = make_engine(url)
        upgrade(engine)
        store = SqlKeyStore(make_sessions(engine), SqlAuditLog(make_sessions(engine)), FAST_HASHER)
        keys = {}
        for label, (name, agency, roles) in ACCOUNTS.items():
            _, plaintext = store.create_key(name, agency, roles, OPERATOR, key_id=f"k{label.replace('_', '')}")
            keys[label] = plaintext
        engine.dispose()
        yield Backend(request.param, url, keys)
    finally:
        if request.param == "postgresql":
            _drop_postgres_database()


#: Tables a test's reset keeps: the session's API keys, and the single-row counters reset below.
KEPT_TABLES = frozenset({ApiKeyRow.__tablename__, WatchlistRevisionRow.__tablename__, AuditHeadRow.__tablename__})


def _reset(engine: Any) -> None:
    # Every other table, children before parents: a new table is emptied between tests without a word.
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEPT_TABLES:
                connection.execute(delete(table))
        connection.execute(update(WatchlistRevisionRow).values(revision=0))
        connection.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=0, hash=GENESIS))


@pytest.fixture
def settings(backend: Backend, tmp_path: Path) -> Settings:
    return Settings(
        database_url=backend.url,
        # The in-memory stores run with no server at all: the cache and journeys in memory too.
        redis_url="" if backend.name == "memory" else REDIS_URL,
        redis_key_prefix=REDIS_KEY_PREFIX,
        identity_hash_key="test-identity-key",
        instance_path=str(tmp_path),
        ruleset_poll_seconds=0.1,
        engine_isolation=False,  # in-process engine for speed; test_engine_isolation covers the worker
        # Every test client request comes from 127.0.0.1, and the matrix test alone sends dozens without a key;
        # test_rate_limits.py checks the limit itself.
        auth_failure_limit="10000/minute",
        testing=True,
    )


def build_services(settings: Settings) -> Services:
    return Services.build(settings, FAST_HASHER)


@pytest.fixture
def services(settings: Settings, backend: Backend) -> Iterator[Services]:
    delete_redis_keys()  # this run's keys only: the Redis is shared
    built = build_services(settings)
    if isinstance(built.audit, MemoryAuditLog):
        built.key_store = MemoryKeyStore(built.audit.transaction, built.audit, FAST_HASHER, backend.issued)
    else:
        _reset(built.engine)
    yield built
    built.rulesets.stop()
    built.watchlists.stop()
    if built.engine is not None:
        built.engine.dispose()


@pytest.fixture
def suite_redis(backend: Backend) -> str:
    """The suite's Redis, for a test about what the service keeps there (the in-memory run has none)."""
    if backend.name == "memory":
        pytest.skip("about the service's use of Redis: the in-memory run uses no server")
    return REDIS_URL


@pytest.fixture
def sql_backend(backend: Backend) -> Backend:
    """The backend of a test about the SQL stores themselves (their rows, their connections)."""
    if backend.name == "memory":
        pytest.skip("about the SQL stores: the in-memory stores have no database")
    return backend


@pytest.fixture
def app(services: Services) -> Any:
    return create_app(services.settings, services=services)


class ApiClient:
    """A test client that speaks as one of the accounts."""

    def __init__(self, client: Any, keys: dict[str, str]) -> None:
        self._client = client
        self.keys = keys

    def call(self, method: str, path: str, who: str | None = None, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if who:
            headers["X-API-Key"] = self.keys[who]
        return self._client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, who: str | None = None, **kwargs: Any) -> Any:
        return self.call("GET", path, who, **kwargs)

    def post(self, path: str, who: str | None = None, **kwargs: Any) -> Any:
        return self.call("POST", path, who, **kwargs)


@pytest.fixture
def api(app: Any, backend: Backend) -> ApiClient:
    return ApiClient(app.test_client(), backend.keys)


def rule(rule_id: str = "CUS-0500", **overrides: Any) -> dict[str, Any]:
    content = {
        "id": rule_id,
        "title": "Cash booking through Bogota",
        "description": "Short-notice cash tickets via a source country.",
        "weight": 40,
        "action": "refer",
        "valid_until": "2027-06-30",
        "when": {
            "all": [
                {"field": "booking.payment_method", "eq": "cash"},
                {"field": "flight.departure_airport", "eq": "BOG"},
            ]
        },
    }
    content.update(overrides)
    return content


def watchlist_entry(reason: str, agency: str = "customs") -> Any:
    """A fresh entry of ``agency``'s, with a new id each time: a test that deletes one changes nothing else."""
    from screening import WatchlistEntry

    return WatchlistEntry(
        id=f"{agency[:3].upper()}-{uuid.uuid4().hex[:8]}",
        agency=agency,
        family_name="Example",
        category={"mpi": "biosecurity"}.get(agency, agency),
        reason=reason,
        expires=dt.date(2030, 1, 1),
    )


def passenger(**sections: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "passenger_id": "P-" + uuid.uuid4().hex[:8],
        "flight": {
            "carrier": "LA",
            "number": "801",
            "departure_airport": "BOG",
            "arrival_airport": "AKL",
            "scheduled_departure": "2026-12-01T22:00:00Z",
            "scheduled_arrival": "2026-12-03T08:00:00Z",
        },
        "traveller": {
            "family_name": "Quispe",
            "given_names": "Rosa",
            "date_of_birth": "1990-04-02",
            "nationality": "COL",
        },
        "document": {"type": "P", "number": "AB123456", "issuing_country": "COL", "expiry_date": "2030-01-01"},
        "booking": {"payment_method": "cash", "booked_at": "2026-11-30T10:00:00Z"},
    }
    for section, values in sections.items():
        if values is None:
            record.pop(section, None)
        elif isinstance(values, dict):
            record[section] = {**record.get(section, {}), **values}
        else:
            record[section] = values
    return record


def live_rule(
    api: ApiClient,
    content: dict[str, Any] | None = None,
    officer: str = "customs_officer",
    approver: str = "customs_approver",
) -> dict[str, Any]:
    """Create, submit, approve and activate a rule; returns the activation response."""
    content = content or rule()
    created = api.post("/v1/rules", officer, json={"rule": content, "reason": "new pattern"})
    assert created.status_code == 201, created.json
    rule_id, number = content["id"], created.json["number"]
    assert api.post(f"/v1/rules/{rule_id}/versions/{number}/submit", officer, json={}).status_code == 200
    assert api.post(f"/v1/rules/{rule_id}/versions/{number}/approve", approver, json={}).status_code == 200
    activated = api.post(f"/v1/rules/{rule_id}/versions/{number}/activate", approver, json={})
    assert activated.status_code == 200, activated.json
    return activated.json


__all__ = ["ApiClient", "build_services", "live_rule", "passenger", "replace", "rule"]
