"""The decision store: every evaluation answered, kept for audit and replay until retention ends;
the audit entry every store makes of a retention purge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from api.audit.interface import AuditEntry
from api.common import Actor


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
class FlightCount:
    """A flight departing on a day (UTC) and how many passengers on it were evaluated (each once)."""

    flight: str
    date: dt.date
    passengers: int


class DecisionStore(Protocol):
    def record_decisions(self, decisions: Sequence[DecisionRecord]) -> None: ...

    def decision(self, decision_id: str) -> DecisionRecord: ...

    def flight_decisions(self, flight: str, day: dt.date) -> list[DecisionRecord]:
        """The newest decision for each passenger (by identity hash) on a flight."""

    def purge_records(self, before: dt.datetime, actor: Actor) -> int: ...

    def retained_decisions(self, since: dt.datetime, until: dt.datetime) -> list[DecisionRecord]:
        """The newest decision per passenger journey in the window whose record is still retained."""

    def flights(self, day: dt.date) -> list[FlightCount]: ...

    def unplaced_decisions(self, day: dt.date) -> list[DecisionRecord]:
        """The newest decision for each passenger evaluated on ``day`` whose record names no flight."""


def purge_entry(actor: Actor, before: dt.datetime, purged: int, journey_parts_expired: int) -> AuditEntry:
    """The audit entry of dropping the records of decisions made before ``before``."""
    return AuditEntry(
        actor.label,
        actor.agency,
        "decisions.purge",
        "decisions",
        "records",
        None,
        None,
        {"before": before.isoformat(), "purged": purged, "journey_parts_expired": journey_parts_expired},
    )
