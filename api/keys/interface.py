"""API keys: issuing, revoking and authenticating them; a key as the API shows it (``key_view``),
and what every key store shares: the checks, the key format, the audit entry of a new key, the
cache of verified secrets and the order in which a presented key is checked."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api.audit.interface import AuditEntry
from api.common import Actor, Unprocessable, as_utc, iso_utc
from engine.language import AGENCIES

ROLES = ("officer", "approver", "system", "auditor", "admin")
KEY_AGENCIES = (*AGENCIES, "central")
KEY_PREFIX = "tgt_"


class KeyStore(Protocol):
    def create_key(
        self, name: str, agency: str, roles: Sequence[str], actor: Actor, expires_at: dt.datetime | None = None
    ) -> tuple[ApiKey, str]:
        """The key's record and its plaintext, which is shown once and never stored."""

    def api_keys(self) -> list[ApiKey]: ...

    def revoke_key(self, key_id: str, actor: Actor) -> ApiKey: ...

    def authenticate(self, presented: str) -> Actor | None: ...

    def record_failed_authentication(self, key_id: str, reason: str, address: str = "") -> None: ...


class StoredKey(Protocol):
    """A key as a store keeps it (a SQL row, an in-memory record): roles comma separated. Read
    only: the in-memory store replaces its frozen records instead of changing them."""

    @property
    def id(self) -> str: ...
    @property
    def secret_hash(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def agency(self) -> str: ...
    @property
    def roles(self) -> str: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def created_by(self) -> str: ...
    @property
    def expires_at(self) -> dt.datetime | None: ...
    @property
    def revoked_at(self) -> dt.datetime | None: ...


def check_new_key(agency: str, roles: Sequence[str]) -> None:
    """Refuse a key with no roles, a role that is not one, or an agency that is not one."""
    bad = sorted(set(roles) - set(ROLES))
    if bad or not roles:
        raise Unprocessable("unknown roles", "invalid_roles", {"roles": [f"must be among {', '.join(ROLES)}"]})
    if agency not in KEY_AGENCIES:
        raise Unprocessable("unknown agency", "invalid_agency", {"agency": [f"one of {', '.join(KEY_AGENCIES)}"]})


def new_key(key_id: str | None, secret: str | None) -> tuple[str, str]:
    """A key's id and plaintext (``tgt_<id>_<secret>``); either part made up if not given."""
    key_id = key_id or "k" + secrets.token_hex(6)
    return key_id, f"{KEY_PREFIX}{key_id}_{secret or secrets.token_urlsafe(24)}"


def created_entry(
    actor: Actor, agency: str, key_id: str, name: str, roles: str, expires_at: dt.datetime | None
) -> AuditEntry:
    """The audit entry of issuing a key (``roles`` as stored, comma separated): never its secret."""
    return AuditEntry(
        actor.label,
        agency,
        "key.create",
        "api_key",
        key_id,
        None,
        None,
        {"name": name, "roles": roles, "expires_at": iso_utc(expires_at)},
    )


def presented_key_id(presented: str) -> str | None:
    """The id in a presented key, or None if it is not shaped like one."""
    if not presented.startswith(KEY_PREFIX) or presented.count("_") < 2 or len(presented) > 200:
        return None
    return presented[len(KEY_PREFIX) :].split("_", 1)[0]


def key_actor(row: StoredKey) -> Actor:
    return Actor(row.id, row.name, row.agency, frozenset(row.roles.split(",")))


@dataclass(frozen=True)
class ApiKey:
    """An issued key, as anyone may see it: never its secret."""

    id: str
    name: str
    agency: str
    roles: tuple[str, ...]
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


def api_key_of(row: StoredKey) -> ApiKey:
    created = as_utc(row.created_at)
    assert created is not None
    return ApiKey(
        row.id,
        row.name,
        row.agency,
        tuple(row.roles.split(",")),
        created,
        row.created_by,
        as_utc(row.expires_at),
        as_utc(row.revoked_at),
    )


class VerifiedSecrets:
    """Keys whose secret was verified in the last few minutes, by a digest of the presented key.

    argon2 is deliberately slow; a verified key is remembered (briefly) so each request does not
    pay for it. The store still checks revocation and expiry on every call, before asking this.
    """

    def __init__(self, hasher: PasswordHasher, seconds: float = 300, most: int = 10_000) -> None:
        self._hasher = hasher
        self._seconds = seconds
        self._most = most
        self._verified: dict[str, tuple[str, float, Actor]] = {}
        self._lock = threading.Lock()

    def matches(self, row: StoredKey, presented: str, digest: str, actor: Actor) -> bool:
        """Whether ``presented`` is ``row``'s key: remembered, or verified against its hash now."""
        now = time.monotonic()
        with self._lock:
            remembered = self._verified.get(digest)
        if remembered and remembered[0] == row.id and remembered[1] > now:
            return True
        try:
            self._hasher.verify(row.secret_hash, presented)
        except (VerificationError, InvalidHashError):
            return False
        with self._lock:
            if len(self._verified) > self._most:
                self._verified.clear()
            self._verified[digest] = (row.id, now + self._seconds, actor)
        return True

    def recent(self, digest: str) -> Actor | None:
        """The actor of a key verified in the last few minutes (for a store that cannot be reached)."""
        with self._lock:
            remembered = self._verified.get(digest)
        return remembered[2] if remembered is not None and remembered[1] > time.monotonic() else None

    def forget(self, digest: str) -> None:
        with self._lock:
            self._verified.pop(digest, None)

    def forget_key(self, key_id: str) -> None:
        with self._lock:
            self._verified = {digest: kept for digest, kept in self._verified.items() if kept[0] != key_id}


def authenticated(row: StoredKey | None, presented: str, digest: str, verified: VerifiedSecrets) -> Actor | None:
    """The actor of ``row`` if ``presented`` is its key, or None: revocation, then expiry, then the
    secret (the slow check last); a refused key's remembered verification is forgotten."""
    if row is None or row.revoked_at is not None:
        verified.forget(digest)
        return None
    expires = as_utc(row.expires_at)
    if expires is not None and expires <= dt.datetime.now(dt.UTC):
        verified.forget(digest)
        return None
    actor = key_actor(row)
    return actor if verified.matches(row, presented, digest, actor) else None
