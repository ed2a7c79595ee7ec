"""What each service promises. Views and the ruleset manager depend on these, never on an implementation.

Domain errors live here too; ``api.errors`` turns every one of them into an HTTP response.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from screening import WatchlistEntry

# --- domain errors ----------------------------------------------------------------------


class ServiceError(Exception):
    """An error with a stable code, an HTTP status and field errors for the client."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, errors: Mapping[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.errors = dict(errors or {})


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Unprocessable(ServiceError):
    status = 422
    code = "invalid_input"


class Unavailable(ServiceError):
    status = 503
    code = "store_unavailable"


# --- values passed across the interfaces -------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who is acting: an API key's id, name, agency and roles."""

    key_id: str
    name: str
    agency: str
    roles: frozenset[str]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.key_id})"


@dataclass(frozen=True)
class RulesetInfo:
    seq: int
    version: str
    rule_versions: tuple[tuple[str, int], ...]
    created_at: dt.datetime
    created_by: str


@dataclass(frozen=True)
class ActiveRule:
    rule_id: str
    number: int
    agency: str
    content: Mapping[str, Any]


@dataclass(frozen=True)
class DecisionRecord:
    id: str
    created_at: dt.datetime
    evaluated_at: dt.datetime
    ruleset_seq: int
    ruleset_version: str
    agency: str
    submitted_by: str
    passenger_ref: str | None
    identity_hash: str
    matches: list[dict[str, Any]]
    score: float
    cached: bool
    record: Mapping[str, Any] | None = None
    flight: str | None = None
    flight_date: dt.date | None = None
    watchlist_version: str | None = None
    #: rule id -> why it matched, kept with the hit (not the decision) when one is created
    explanations: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    agency: str
    action: str
    object_type: str
    object_id: str
    before_hash: str | None = None
    after_hash: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_broken: int | None = None
    reason: str = ""


# --- the services ------------------------------------------------------------------------


class AuditLog(Protocol):
    """Append-only, hash-chained log of who did what to which object."""

    def append(self, session: Session, entry: AuditEntry) -> int:
        """Add ``entry`` inside the caller's transaction; returns its sequence number."""

    def append_many(self, session: Session, entries: Sequence[AuditEntry]) -> list[int]:
        """Add ``entries`` in order inside the caller's transaction; returns their sequence numbers."""

    def entries(
        self,
        *,
        agency: str | None = None,
        object_id: str | None = None,
        object_prefix: str | None = None,
        actor: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        after_seq: int = 0,
        limit: int = 100,
    ) -> list[dict[str, Any]]: ...

    def verify(self) -> ChainReport: ...


class RuleStore(Protocol):
    """Rules, their immutable versions and lifecycle, and the activated rulesets."""

    def create_rule(self, agency: str, content: Mapping[str, Any], reason: str, actor: Actor) -> dict[str, Any]: ...

    def add_version(self, rule_id: str, content: Mapping[str, Any], reason: str, actor: Actor) -> dict[str, Any]: ...

    def rollback(self, rule_id: str, to_number: int, reason: str, actor: Actor) -> dict[str, Any]: ...

    def rule(self, rule_id: str) -> dict[str, Any]: ...

    def rule_agency(self, rule_id: str) -> str: ...

    def rules(self, agency: str | None = None) -> list[dict[str, Any]]: ...

    def version(self, rule_id: str, number: int) -> dict[str, Any]: ...

    def transition(self, rule_id: str, number: int, action: str, actor: Actor, reason: str = "") -> dict[str, Any]:
        """``submit``, ``approve``, ``activate`` a version; activation makes a new ruleset."""

    def retire(self, rule_id: str, reason: str, actor: Actor) -> dict[str, Any]: ...

    def import_packs(self, packs: Sequence[tuple[str, Mapping[str, Any]]], actor: Actor) -> RulesetInfo: ...

    def latest_ruleset(self) -> RulesetInfo | None: ...

    def ruleset_rules(self, seq: int) -> tuple[RulesetInfo, list[ActiveRule]]: ...


class DecisionStore(Protocol):
    def record_decisions(self, decisions: Sequence[DecisionRecord]) -> None: ...

    def decision(self, decision_id: str) -> DecisionRecord: ...

    def flight_decisions(self, flight: str, day: dt.date) -> list[DecisionRecord]:
        """The newest decision for each passenger (by identity hash) on a flight."""

    def purge_records(self, before: dt.datetime, actor: Actor) -> int: ...

    def retained_decisions(self, since: dt.datetime, until: dt.datetime) -> list[DecisionRecord]:
        """The newest decision per passenger journey in the window whose record is still retained."""

    def flights(self, day: dt.date) -> list[dict[str, Any]]: ...

    def unplaced_decisions(self, day: dt.date) -> list[DecisionRecord]:
        """The newest decision for each passenger evaluated on ``day`` whose record names no flight."""


class KeyStore(Protocol):
    def create_key(
        self, name: str, agency: str, roles: Sequence[str], actor: Actor, expires_at: dt.datetime | None = None
    ) -> tuple[dict[str, Any], str]:
        """The key's record and its plaintext, which is shown once and never stored."""

    def api_keys(self) -> list[dict[str, Any]]: ...

    def revoke_key(self, key_id: str, actor: Actor) -> dict[str, Any]: ...

    def authenticate(self, presented: str) -> Actor | None: ...

    def record_failed_authentication(self, key_id: str, reason: str) -> None: ...


class Cache(Protocol):
    """Evaluation results by key. Never raises: a failing cache is a miss."""

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """The value of each key, None where there is none (or the cache is down)."""

    def set_many(self, items: Mapping[str, str], ttl_seconds: int) -> None: ...

    def healthy(self) -> bool: ...

    def describe(self) -> str: ...


class WatchlistStore(Protocol):
    """The joint non-compliant list: entries owned by agencies, every change audited."""

    def revision(self) -> int:
        """A counter that moves with every change to the list."""

    def snapshot(self) -> tuple[int, list[WatchlistEntry]]: ...

    def entries(self, agency: str | None, limit: int, offset: int) -> tuple[int, list[WatchlistEntry]]: ...

    def owners(self, entry_ids: Sequence[str], batch: int = 1000) -> dict[str, str]:
        """The owning agency of each of ``entry_ids`` already on the list."""

    def entry(self, entry_id: str) -> WatchlistEntry: ...

    def create(self, entry: WatchlistEntry, actor: Actor) -> WatchlistEntry: ...

    def replace(self, entry: WatchlistEntry, actor: Actor) -> WatchlistEntry: ...

    def remove(self, entry_id: str, actor: Actor) -> None: ...

    def import_entries(
        self,
        entries: Sequence[WatchlistEntry],
        actor: Actor,
        source: str,
        skipped_rows: int = 0,
        progress: Callable[[int], None] | None = None,
        batch: int = 1000,
    ) -> dict[str, int]: ...


class HitStore(Protocol):
    """Hits worked to dispositions, and per-rule statistics."""

    def hits(
        self,
        agencies: Iterable[str] | None,
        *,
        flight: str | None = None,
        day: dt.date | None = None,
        status: str | None = None,
        rule_id: str | None = None,
        passenger_ref: str | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[dict[str, Any]]: ...

    def hit(self, hit_id: str) -> dict[str, Any]: ...

    def set_status(self, hit_id: str, status: str, note: str, actor: Actor) -> dict[str, Any]: ...

    def rule_stats(
        self, rule_id: str, since: dt.datetime | None, until: dt.datetime | None, runaway_share: float, runaway_min: int
    ) -> dict[str, Any]: ...


class SharingStore(Protocol):
    """The sharing policy between agencies (``api.services.sharing.SharingPolicy``), audited."""

    def policy(self) -> Any: ...

    def set_grants(self, viewer: str, owner: str, kinds: Iterable[str], actor: Actor) -> Any: ...
