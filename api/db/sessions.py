"""Database sessions whose connection failures become ``Unavailable`` (HTTP 503), for every SQL service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from api.common import Unavailable

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


class SqlService:
    """What every SQL service shares: its session factory, transactions and reads that fail as ``Unavailable``."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def transaction(self) -> AbstractContextManager[Session]:
        return transaction(self._sessions)

    def reading(self) -> AbstractContextManager[Session]:
        return reading(self._sessions)

    def ping(self) -> bool:
        try:
            with self.reading() as session:
                session.execute(select(1))
            return True
        except Unavailable:
            return False
