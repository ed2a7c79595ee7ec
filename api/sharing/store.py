"""The sharing grants on SQL, audited; read as a ``SharingPolicy`` (``api.sharing.policy``)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextlib import AbstractContextManager

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from api.audit.log import SqlAuditLog
from api.common import Actor, Unavailable
from api.db.models import SharingGrantRow
from api.db.sessions import SqlService
from api.sharing.interface import grants_set_entry
from api.sharing.policy import SharingPolicy, check_grant


class SqlSharingStore(SqlService):
    """Implements ``SharingStore``.

    The policy is read on every evaluation, so each process keeps it for ``MAX_AGE_SECONDS``;
    when the store is unreachable it keeps answering with the last policy it read (or, never
    having read one, with no grants: the strictest policy), so evaluation goes on.
    """

    MAX_AGE_SECONDS = 1.0

    def __init__(self, sessions: sessionmaker[Session], audit: SqlAuditLog) -> None:
        super().__init__(sessions)
        self._audit = audit
        self._cached: tuple[float, SharingPolicy] | None = None

    def _session(self, writing: bool) -> AbstractContextManager[Session]:
        return self.transaction() if writing else self.reading()

    def policy(self) -> SharingPolicy:
        now = time.monotonic()
        if self._cached is not None and now - self._cached[0] < self.MAX_AGE_SECONDS:
            return self._cached[1]
        try:
            with self._session(False) as session:
                rows = session.execute(
                    select(SharingGrantRow.viewer, SharingGrantRow.owner, SharingGrantRow.what)
                ).all()
        except Unavailable:
            return self._cached[1] if self._cached is not None else SharingPolicy(frozenset())
        policy = SharingPolicy(frozenset((v, o, w) for v, o, w in rows))
        self._cached = (now, policy)
        return policy

    def set_grants(self, viewer: str, owner: str, kinds: Iterable[str], actor: Actor) -> SharingPolicy:
        """Make ``viewer``'s grants from ``owner`` exactly ``kinds`` (empty: revoke them all)."""
        wanted = set(kinds)
        check_grant(viewer, owner, wanted)
        with self._session(True) as session:
            before = sorted(
                session.execute(
                    select(SharingGrantRow.what).where(SharingGrantRow.viewer == viewer, SharingGrantRow.owner == owner)
                ).scalars()
            )
            session.execute(
                delete(SharingGrantRow).where(SharingGrantRow.viewer == viewer, SharingGrantRow.owner == owner)
            )
            for what in sorted(wanted):
                session.add(SharingGrantRow(viewer=viewer, owner=owner, what=what, granted_by=actor.name))
            self._cached = None
            session.flush()
            self._audit.append(session, grants_set_entry(actor, viewer, owner, before, wanted))
        self._cached = None
        return self.policy()
