"""Database sessions whose connection failures become ``Unavailable`` (HTTP 503), for every SQL service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from api.services.interfaces import Unavailable

UNAVAILABLE = "the store is unavailable; try again"


@contextmanager
def transaction(
    sessions: sessionmaker[Session], message: str = UNAVAILABLE, code: str | None = None
) -> Iterator[Session]:
    """A session in a transaction that commits on success and rolls back on any error."""
    try:
        with sessions.begin() as session:
            yield session
    except (OperationalError, InterfaceError) as exc:
        raise Unavailable(message, code) from exc


@contextmanager
def reading(sessions: sessionmaker[Session], message: str = UNAVAILABLE, code: str | None = None) -> Iterator[Session]:
    """A session for reads only."""
    try:
        with sessions() as session:
            yield session
    except (OperationalError, InterfaceError) as exc:
        raise Unavailable(message, code) from exc
