"""API keys on SQL: issued with an argon2 hash of the secret, revoked, and authenticated with
a short-lived cache of verified secrets (argon2 is deliberately slow)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.audit.interface import AuditEntry
from api.audit.log import SqlAuditLog
from api.common import Actor, Conflict, NotFound, Unavailable
from api.db.models import ApiKeyRow, utcnow
from api.db.sessions import SqlService
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


class SqlKeyStore(SqlService):
    """Implements ``KeyStore``."""

    def __init__(
        self, sessions: sessionmaker[Session], audit: SqlAuditLog, hasher: PasswordHasher | None = None
    ) -> None:
        super().__init__(sessions)
        self._audit = audit
        self._hasher = hasher or PasswordHasher()
        self._verified = VerifiedSecrets(self._hasher)

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
        row = ApiKeyRow(
            id=key_id,
            secret_hash=self._hasher.hash(plaintext),
            name=name,
            agency=agency,
            roles=",".join(sorted(set(roles))),
            created_by=actor.name,
            expires_at=expires_at,
        )
        try:
            with self.transaction() as session:
                session.add(row)
                session.flush()
                self._audit.append(session, created_entry(actor, agency, key_id, name, row.roles, expires_at))
        except IntegrityError:
            raise Conflict(f"key {key_id} exists", "key_exists") from None
        return api_key_of(row), plaintext

    def api_keys(self) -> list[ApiKey]:
        with self.reading() as session:
            return [api_key_of(r) for r in session.execute(select(ApiKeyRow).order_by(ApiKeyRow.id)).scalars()]

    def revoke_key(self, key_id: str, actor: Actor) -> ApiKey:
        with self.transaction() as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFound(f"no key {key_id}", "key_not_found")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                self._audit.append(session, AuditEntry(actor.label, row.agency, "key.revoke", "api_key", key_id))
        self._verified.forget_key(key_id)
        return api_key_of(row)

    def authenticate(self, presented: str) -> Actor | None:
        """The actor for a presented key, or None. Revocation and expiry are checked on every call.

        While the store is unreachable, a key verified in the last few minutes is still
        accepted (no key can be revoked then either), so agency systems keep evaluating on
        the loaded ruleset through a database outage; any other key gets the 503.
        """
        key_id = presented_key_id(presented)
        if key_id is None:
            return None
        digest = hashlib.sha256(presented.encode()).hexdigest()
        try:
            with self.reading() as session:
                return authenticated(session.get(ApiKeyRow, key_id), presented, digest, self._verified)
        except Unavailable:
            remembered = self._verified.recent(digest)
            if remembered is not None:
                return remembered
            raise

    def record_failed_authentication(self, key_id: str, reason: str, address: str = "") -> None:
        detail = {"reason": reason, "address": address}
        try:
            with self.transaction() as session:
                self._audit.append(
                    session, AuditEntry("anonymous", "", "auth.failed", "api_key", key_id, detail=detail)
                )
        except Unavailable:
            pass  # the request is refused either way
