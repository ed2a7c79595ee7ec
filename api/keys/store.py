"""API keys on SQL: issued with an argon2 hash of the secret, revoked, and authenticated with
a short-lived cache of verified secrets (argon2 is deliberately slow)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from collections.abc import Sequence
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.audit.interface import AuditEntry
from api.audit.log import SqlAuditLog
from api.common import Actor, Conflict, NotFound, Unavailable, Unprocessable
from api.db.models import (
    ApiKeyRow,
    as_utc,
    iso_utc,
    utcnow,
)
from api.db.sessions import SqlService
from engine.language import AGENCIES

ROLES = ("officer", "approver", "system", "auditor", "admin")
KEY_AGENCIES = (*AGENCIES, "central")
KEY_PREFIX = "tgt_"


class SqlKeyStore(SqlService):
    """Implements ``KeyStore``."""

    def __init__(
        self, sessions: sessionmaker[Session], audit: SqlAuditLog, hasher: PasswordHasher | None = None
    ) -> None:
        super().__init__(sessions)
        self._audit = audit
        self._hasher = hasher or PasswordHasher()
        self._verified: dict[str, tuple[str, float, Actor]] = {}
        self._verified_lock = threading.Lock()

    def create_key(
        self,
        name: str,
        agency: str,
        roles: Sequence[str],
        actor: Actor,
        expires_at: dt.datetime | None = None,
        secret: str | None = None,
        key_id: str | None = None,
    ) -> tuple[dict[str, Any], str]:
        bad = sorted(set(roles) - set(ROLES))
        if bad or not roles:
            raise Unprocessable("unknown roles", "invalid_roles", {"roles": [f"must be among {', '.join(ROLES)}"]})
        if agency not in KEY_AGENCIES:
            raise Unprocessable("unknown agency", "invalid_agency", {"agency": [f"one of {', '.join(KEY_AGENCIES)}"]})
        key_id = key_id or "k" + secrets.token_hex(6)
        plaintext = f"{KEY_PREFIX}{key_id}_{secret or secrets.token_urlsafe(24)}"
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
                self._audit.append(
                    session,
                    AuditEntry(
                        actor.label,
                        agency,
                        "key.create",
                        "api_key",
                        key_id,
                        None,
                        None,
                        {"name": name, "roles": row.roles, "expires_at": iso_utc(expires_at)},
                    ),
                )
        except IntegrityError:
            raise Conflict(f"key {key_id} exists", "key_exists") from None
        return self._key_view(row), plaintext

    @staticmethod
    def _key_view(row: ApiKeyRow) -> dict[str, Any]:
        return {
            "id": row.id,
            "name": row.name,
            "agency": row.agency,
            "roles": row.roles.split(","),
            "created_at": iso_utc(row.created_at),
            "created_by": row.created_by,
            "expires_at": iso_utc(row.expires_at),
            "revoked_at": iso_utc(row.revoked_at),
        }

    def api_keys(self) -> list[dict[str, Any]]:
        with self.reading() as session:
            return [self._key_view(r) for r in session.execute(select(ApiKeyRow).order_by(ApiKeyRow.id)).scalars()]

    def revoke_key(self, key_id: str, actor: Actor) -> dict[str, Any]:
        with self.transaction() as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFound(f"no key {key_id}", "key_not_found")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                self._audit.append(session, AuditEntry(actor.label, row.agency, "key.revoke", "api_key", key_id))
        with self._verified_lock:
            self._verified = {digest: kept for digest, kept in self._verified.items() if kept[0] != key_id}
        return self._key_view(row)

    def authenticate(self, presented: str) -> Actor | None:
        """The actor for a presented key, or None. Revocation and expiry are checked on every call.

        While the store is unreachable, a key verified in the last few minutes is still
        accepted (no key can be revoked then either), so agency systems keep evaluating on
        the loaded ruleset through a database outage; any other key gets the 503.
        """
        if not presented.startswith(KEY_PREFIX) or presented.count("_") < 2 or len(presented) > 200:
            return None
        key_id = presented[len(KEY_PREFIX) :].split("_", 1)[0]
        digest = hashlib.sha256(presented.encode()).hexdigest()
        try:
            with self.reading() as session:
                row = session.get(ApiKeyRow, key_id)
                if row is None or row.revoked_at is not None:
                    self._forget(digest)
                    return None
                expires = as_utc(row.expires_at)
                if expires is not None and expires <= utcnow():
                    self._forget(digest)
                    return None
                actor = Actor(row.id, row.name, row.agency, frozenset(row.roles.split(",")))
                return actor if self._secret_matches(row, presented, digest, actor) else None
        except Unavailable:
            with self._verified_lock:
                remembered = self._verified.get(digest)
            if remembered is not None and remembered[1] > time.monotonic():
                return remembered[2]
            raise

    def _forget(self, digest: str) -> None:
        with self._verified_lock:
            self._verified.pop(digest, None)

    def _secret_matches(self, row: ApiKeyRow, presented: str, digest: str, actor: Actor) -> bool:
        # argon2 is deliberately slow; a verified key is remembered (by digest, briefly) so
        # each request does not pay for it. Revocation is still checked above every time.
        now = time.monotonic()
        with self._verified_lock:
            remembered = self._verified.get(digest)
        if remembered and remembered[0] == row.id and remembered[1] > now:
            return True
        try:
            self._hasher.verify(row.secret_hash, presented)
        except (VerificationError, InvalidHashError):
            return False
        with self._verified_lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[digest] = (row.id, now + 300, actor)
        return True

    def record_failed_authentication(self, key_id: str, reason: str, address: str = "") -> None:
        detail = {"reason": reason, "address": address}
        try:
            with self.transaction() as session:
                self._audit.append(
                    session, AuditEntry("anonymous", "", "auth.failed", "api_key", key_id, detail=detail)
                )
        except Unavailable:
            pass  # the request is refused either way
