"""A database of a benchmark's own: a SQLite file in a folder it owns, or a PostgreSQL database on this
machine's server (127.0.0.1:5432, user postgres) named after the benchmark and this process, dropped
at the end whatever happened. Nothing else on the server is touched."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
