"""A database of a benchmark's own: a SQLite file in a folder it owns, or a PostgreSQL database on this
machine's server (127.0.0.1:5432, user postgres) named after the benchmark and this process, dropped
at the end whatever happened. Nothing else on the server is touched."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from api.common import Actor
    from api.container import Services

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def own_database(kind: str, folder: str, purpose: str) -> Iterator[str]:
    """The URL of a new, empty database of ``kind`` (``sqlite`` or ``postgresql``) for ``purpose``."""
    if kind == "sqlite":
        yield f"sqlite:///{Path(folder) / f'{purpose}-{os.getpid()}.sqlite3'}"
        return
    from sqlalchemy import text

    from api.db import make_engine

    name = f"targeting_bench_{purpose}_{os.getpid()}"
    admin = make_engine(POSTGRES_ADMIN_URL)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))  # this run's name: an existing one is an error
        try:
            yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        finally:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def migrated_services(env: dict[str, str]) -> Iterator[tuple[Services, Actor]]:
    """The service's own stores on the database ``env`` names (migrated), and an operator to act as;
    ``env`` is this process's environment meanwhile, and everything is closed afterwards."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from api.common import Actor
        from api.config import Settings
        from api.container import Services
        from api.db import upgrade

        services = Services.build(Settings.from_env())
        engine = services.engine
        assert engine is not None  # a SQL store: own_database gave its URL
        try:
            upgrade(engine)
            yield services, Actor("bench", "operator:benchmark", "central", frozenset({"admin"}))
        finally:
            services.rulesets.stop()
            services.rulesets.current.evaluator.close()
            engine.dispose()
    finally:
        os.environ.clear()
        os.environ.update(saved)
