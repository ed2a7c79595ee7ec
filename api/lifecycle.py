"""The four-eyes lifecycle every versioned document shares (a rule, a reference list).

draft → submitted → approved (by someone other than the author) → active → retired. The
checks and the stamping are here once, over anything that holds a version's lifecycle
attributes: a SQL row (``api.db.models.VersionColumns``) or an in-memory record. Each store
calls them inside the transaction it owns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Protocol

from api.audit.interface import canonical_hash
from api.common import Actor, Conflict, Forbidden

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


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def lifecycle_of(version: Stamped) -> Lifecycle:
    """The domain value of a stored version's lifecycle (times as aware UTC)."""
    steps = {}
    for step in STEPS:
        steps[f"{step}_by"] = getattr(version, f"{step}_by")
        steps[f"{step}_at"] = _utc(getattr(version, f"{step}_at"))
    created = _utc(version.created_at)
    assert created is not None
    return Lifecycle(version.status, version.reason, version.author, created, **steps)


def check_transition(version: Stamped, action: str, actor: Actor, described: str) -> None:
    """Refuse ``action`` on ``version`` (``described`` as, e.g., "version 2 of CUS-0100") unless it may
    happen now: ``Conflict`` from the wrong status, ``Forbidden`` for an author approving their own."""
    before, _ = TRANSITIONS[action]
    if version.status != before:
        raise Conflict(
            f"{described} is {version.status}; only a {before} version can be {action}d", "invalid_transition"
        )
    if action == "approve" and version.author == actor.name:
        raise Forbidden("the author of a change cannot approve it; a second approver must", "self_approval")


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


def state_hash(key: str, content_hash: str, lifecycle: Lifecycle) -> str:
    """The hash of where version ``key`` (e.g. "CUS-0100@2") stands, for its audit entries' before and after."""
    return canonical_hash({"version": key, "content_hash": content_hash, **asdict(lifecycle)})
