"""What each agency shares with which other, as grants the sharing policy reads; the audit entry
every store makes of a change of grants."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from api.audit.interface import AuditEntry
from api.common import Actor
from api.sharing.policy import SharingPolicy


class SharingStore(Protocol):
    """The sharing policy between agencies (``api.sharing.policy.SharingPolicy``), audited."""

    def policy(self) -> SharingPolicy: ...

    def set_grants(self, viewer: str, owner: str, kinds: Iterable[str], actor: Actor) -> SharingPolicy: ...


def grants_set_entry(actor: Actor, viewer: str, owner: str, before: Sequence[str], wanted: Iterable[str]) -> AuditEntry:
    """The audit entry of setting ``viewer``'s grants from ``owner``: what they were and are now."""
    return AuditEntry(
        actor.label,
        actor.agency,
        "sharing.set",
        "sharing",
        f"{viewer}<-{owner}",
        None,
        None,
        {"before": before, "after": sorted(wanted)},
    )
