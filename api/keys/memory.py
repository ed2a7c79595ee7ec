"""API keys in memory, for running the API without a database: the same checks, answers, errors and
audit entries as ``api.keys.store.SqlKeyStore``, and the same cache of verified secrets."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence

from argon2 import PasswordHasher

from api.audit.interface import AuditEntry
from api.audit.memory import MemoryAuditLog, MemoryTransaction
from api.common import Actor, Conflict, NotFound, as_utc
from api.keys.interface import (
    ApiKey,
    VerifiedSecrets,
    api_key_of,
    authenticated,
    check_new_key,
    created_entry,
    new_key,
    presented_key_id,
)


@dataclasses.dataclass(frozen=True)
class MemoryKey:
    """A key as the in-memory store keeps it (``api.keys.interface.StoredKey``): replaced, never
    changed, so one read under the lock is a consistent snapshot for the slow check after it."""

    id: str
    secret_hash: str
    name: str
    agency: str
    roles: str
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None


class MemoryKeyStore:
    """Implements ``KeyStore``."""

    def __init__(
        self,
        transaction: MemoryTransaction,
        audit: MemoryAuditLog,
        hasher: PasswordHasher | None = None,
        issued: Iterable[MemoryKey] = (),
    ) -> None:
        """``issued``: keys issued before (by another store), kept as they are: what a database
        holds when a process starts."""
        self._transaction = transaction
        self._audit = audit
        self._hasher = hasher or PasswordHasher()
        self._verified = VerifiedSecrets(self._hasher)
        self._keys: dict[str, MemoryKey] = {key.id: key for key in issued}

    def issued(self) -> list[MemoryKey]:
        """Every key this store holds, revoked ones too."""
        with self._transaction():
            return list(self._keys.values())

    def create_key(
        self,
        name: str,
        agency: str,
        roles: Sequence[str],
        actor: Actor,
        expires_at: dt.datetime | None = None,
        secret: str | None = None,
        key_id: str | None = None,
    ) -> tuple[ApiKey, str]:
        check_new_key(agency, roles)
        key_id, plaintext = new_key(key_id, secret)
        secret_hash = self._hasher.hash(plaintext)  # slow: outside the lock
        with self._transaction():
            if key_id in self._keys:
                raise Conflict(f"key {key_id} exists", "key_exists")
            key = MemoryKey(
                id=key_id,
                secret_hash=secret_hash,
                name=name,
                agency=agency,
                roles=",".join(sorted(set(roles))),
                created_at=dt.datetime.now(dt.UTC),
                created_by=actor.name,
                expires_at=as_utc(expires_at),
            )
            self._audit.append(created_entry(actor, agency, key_id, name, key.roles, expires_at))
            self._keys[key_id] = key
        return api_key_of(key), plaintext

    def api_keys(self) -> list[ApiKey]:
        with self._transaction():
            keys = list(self._keys.values())
        return [api_key_of(key) for key in sorted(keys, key=lambda key: key.id)]

    def revoke_key(self, key_id: str, actor: Actor) -> ApiKey:
        with self._transaction():
            key = self._keys.get(key_id)
            if key is None:
                raise NotFound(f"no key {key_id}", "key_not_found")
            if key.revoked_at is None:
                self._audit.append(AuditEntry(actor.label, key.agency, "key.revoke", "api_key", key_id))
                key = self._keys[key_id] = dataclasses.replace(key, revoked_at=dt.datetime.now(dt.UTC))
        self._verified.forget_key(key_id)
        return api_key_of(key)

    def authenticate(self, presented: str) -> Actor | None:
        """The actor for a presented key, or None. Revocation and expiry are checked on every call."""
        key_id = presented_key_id(presented)
        if key_id is None:
            return None
        digest = hashlib.sha256(presented.encode()).hexdigest()
        with self._transaction():
            key = self._keys.get(key_id)
        # Outside the lock: argon2 (on a first use) is slow, and every store shares the lock.
        return authenticated(key, presented, digest, self._verified)

    def record_failed_authentication(self, key_id: str, reason: str, address: str = "") -> None:
        detail = {"reason": reason, "address": address}
        with self._transaction():
            self._audit.append(AuditEntry("anonymous", "", "auth.failed", "api_key", key_id, detail=detail))
