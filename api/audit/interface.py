"""The audit log: an append-only, hash-chained record of every change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session


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
        before_seq: int | None = None,
        newest_first: bool = False,
    ) -> list[dict[str, Any]]: ...

    def verify(self) -> ChainReport: ...
