"""The four-eyes lifecycle every versioned document shares (a rule, a reference list).

draft → submitted → approved (by someone other than the author) → active → retired. The
checks and the stamping are here once, over anything that holds a version's lifecycle
attributes: a SQL row (``api.db.models.VersionColumns``) or an in-memory record. Each store
calls them inside the transaction it owns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from api.audit.interface import AuditEntry, canonical_hash
from api.common import Actor, Conflict, Forbidden, as_utc

#: action -> (the status it moves from, the status it moves to)
TRANSITIONS = {
    "submit": ("draft", "submitted"),
    "approve": ("submitted", "approved"),
    "activate": ("approved", "active"),
}
#: action -> the step whose ``*_by`` and ``*_at`` it stamps
_STAMPS = {"submit": "submitted", "approve": "approved", "activate": "activated"}
STEPS = ("submitted", "approved", "activated", "retired")


@dataclass(frozen=True)
class Lifecycle:
    """Where one version stands, and who moved it through each step when."""

    status: str
    reason: str
    author: str
    created_at: dt.datetime
    submitted_by: str | None = None
    submitted_at: dt.datetime | None = None
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    activated_by: str | None = None
    activated_at: dt.datetime | None = None
    retired_by: str | None = None
    retired_at: dt.datetime | None = None


@dataclass(frozen=True)
class Version:
    """One immutable version of a document (``key``: a rule's id, a list's name): its content and
    where it stands in the lifecycle."""

    key: str
    number: int
    content: Mapping[str, Any]
    content_hash: str
    lifecycle: Lifecycle

    @property
    def status(self) -> str:
        return self.lifecycle.status


class Stamped(Protocol):
    """What a stored version holds of its lifecycle (a SQL row or an in-memory record)."""

    status: str
    reason: str
    author: str
    created_at: dt.datetime
    submitted_by: str | None
    submitted_at: dt.datetime | None
    approved_by: str | None
    approved_at: dt.datetime | None
    activated_by: str | None
    activated_at: dt.datetime | None
    retired_by: str | None
    retired_at: dt.datetime | None


def lifecycle_of(version: Stamped) -> Lifecycle:
    """The domain value of a stored version's lifecycle (times as aware UTC)."""
    steps = {}
    for step in STEPS:
        steps[f"{step}_by"] = getattr(version, f"{step}_by")
        steps[f"{step}_at"] = as_utc(getattr(version, f"{step}_at"))
    created = as_utc(version.created_at)
    assert created is not None
    return Lifecycle(version.status, version.reason, version.author, created, **steps)


def check_transition(version: Stamped, action: str, actor: Actor, described: str) -> None:
    """Refuse ``action`` on ``version`` (``described`` as, e.g., "version 2 of CUS-0100") unless it may
    happen now: ``Conflict`` from the wrong status, ``Forbidden`` for an author approving their own."""
    before, _ = TRANSITIONS[action]
    if version.status != before:
        raise Conflict(
            f"{described} is {version.status}; only {_indefinite(before)} version can be {_STAMPS[action]}",
            "invalid_transition",
        )
    if action == "approve" and version.author == actor.name:
        raise Forbidden("the author of a change cannot approve it; a second approver must", "self_approval")


def _indefinite(word: str) -> str:
    """``word`` with its indefinite article: "a draft", "an approved"."""
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def apply_transition(
    version: Stamped, siblings: Iterable[Stamped], action: str, actor: Actor, now: dt.datetime
) -> None:
    """Move ``version`` on (already checked) and stamp who and when; activating one retires the
    document's version that was active (among ``siblings``)."""
    version.status = TRANSITIONS[action][1]
    setattr(version, f"{_STAMPS[action]}_by", actor.name)
    setattr(version, f"{_STAMPS[action]}_at", now)
    if action == "activate":
        for other in siblings:
            if other.status == "active" and other is not version:
                retire(other, actor, now)


def retire(version: Stamped, actor: Actor, now: dt.datetime) -> None:
    version.status, version.retired_by, version.retired_at = "retired", actor.name, now


class StoredVersion(Stamped, Protocol):
    number: int
    content_hash: str


def state_hash(key: str, version: StoredVersion) -> str:
    """The hash of where version ``number`` of ``key`` stands, for its audit entries' before and after."""
    where = f"{key}@{version.number}"
    return canonical_hash({"version": where, "content_hash": version.content_hash, **asdict(lifecycle_of(version))})


def step(
    kind: str,
    key: str,
    agency: str,
    version: StoredVersion,
    siblings: Iterable[Stamped],
    action: str,
    actor: Actor,
    reason: str,
    now: dt.datetime,
) -> AuditEntry:
    """Take a checked step (``action``, or "retire") with version ``number`` of ``kind`` ("rule",
    "list") ``key``; the audit entry to append in the same transaction."""
    before = state_hash(key, version)
    if action == "retire":
        retire(version, actor, now)
    else:
        apply_transition(version, siblings, action, actor, now)
    detail = {"reason": reason} if reason or action == "retire" else {}
    where = f"{key}@{version.number}"
    after = state_hash(key, version)
    return AuditEntry(actor.label, agency, f"{kind}.{action}", f"{kind}_version", where, before, after, detail)
