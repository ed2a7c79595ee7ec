"""The sharing grants in memory, for running the API without a database: the same checks, errors
and audit entries as ``api.sharing.store.SqlSharingStore``, read as a ``SharingPolicy``."""

from __future__ import annotations

from collections.abc import Iterable

from api.audit.memory import MemoryAuditLog, MemoryTransaction
from api.common import Actor
from api.sharing.interface import grants_set_entry
from api.sharing.policy import SharingPolicy, check_grant


class MemorySharingStore:
    """Implements ``SharingStore``. Every read sees the newest grants (there is no other process
    whose changes it could miss, so no cache as the SQL store keeps)."""

    def __init__(self, transaction: MemoryTransaction, audit: MemoryAuditLog) -> None:
        self._transaction = transaction
        self._audit = audit
        self._grants: frozenset[tuple[str, str, str]] = frozenset()  # (viewer, owner, what)

    def policy(self) -> SharingPolicy:
        with self._transaction():
            return SharingPolicy(self._grants)

    def set_grants(self, viewer: str, owner: str, kinds: Iterable[str], actor: Actor) -> SharingPolicy:
        """Make ``viewer``'s grants from ``owner`` exactly ``kinds`` (empty: revoke them all)."""
        wanted = set(kinds)
        check_grant(viewer, owner, wanted)
        with self._transaction():
            before = sorted(what for v, o, what in self._grants if (v, o) == (viewer, owner))
            self._audit.append(grants_set_entry(actor, viewer, owner, before, wanted))
            kept = {(v, o, what) for v, o, what in self._grants if (v, o) != (viewer, owner)}
            self._grants = frozenset(kept | {(viewer, owner, what) for what in wanted})
        return self.policy()
