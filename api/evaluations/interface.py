"""The decision store: every evaluation answered, kept for audit and replay until retention ends;
the audit entries every store makes of a retention purge and of passengers' identities being shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from api.audit.interface import AuditEntry, AuditRecord
from api.common import Actor, iso_utc
from engine.values import ValueProblem, parse_datetime


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
    #: of a journey joined from a flight's API and PNR (``api.sources``): which message gave each field
    sources: Mapping[str, str] | None = None


class Arrival(NamedTuple):
    """A passenger journey arriving in a window, as its newest retained decision gives it: what a list
    of the day selects, ranks and sorts on before it reads the few whole decisions a page shows (a
    named tuple: a day has thousands)."""

    decision_id: str
    identity_hash: str
    flight: str
    flight_date: dt.date
    #: the record's ``flight.scheduled_arrival``, UTC
    arrival_at: dt.datetime
    score: float
    #: the agency whose system sent the record
    agency: str
    #: the record's values at the fields asked for, in their order, as text (None where it has none)
    values: tuple[str | None, ...] = ()

    @property
    def journey(self) -> tuple[str, str, dt.date]:
        return (self.identity_hash, self.flight, self.flight_date)


def record_value(record: Mapping[str, Any] | None, field_name: str) -> Any:
    """The value at a dotted field name (``traveller.family_name``) of a record as submitted, or None."""
    found: Any = record
    for part in field_name.split("."):
        if not isinstance(found, Mapping):
            return None
        found = found.get(part)
    return found


def scheduled_arrival(record: Mapping[str, Any] | None) -> dt.datetime | None:
    """The record's ``flight.scheduled_arrival`` in UTC, which a decision is stored with, if it gives one."""
    value = record_value(record, "flight.scheduled_arrival")
    try:
        return parse_datetime(value) if value is not None else None
    except ValueProblem:
        return None


@dataclass(frozen=True)
class FlightCount:
    """A flight departing on a day (UTC) and how many passengers on it were evaluated (each once)."""

    flight: str
    date: dt.date
    passengers: int


class DecisionStore(Protocol):
    def record_decisions(self, decisions: Sequence[DecisionRecord]) -> None: ...

    def decision(self, decision_id: str) -> DecisionRecord: ...

    def decisions(self, decision_ids: Sequence[str]) -> list[DecisionRecord]:
        """The decisions of these ids that exist, in the order of ``decision_ids``."""

    def flight_decisions(self, flight: str, day: dt.date) -> list[DecisionRecord]:
        """The newest decision for each passenger (by identity hash) on a flight."""

    def purge_records(self, before: dt.datetime, actor: Actor) -> int: ...

    def retained_decisions(self, since: dt.datetime, until: dt.datetime) -> list[DecisionRecord]:
        """The newest decision per passenger journey in the window whose record is still retained."""

    def flights(self, day: dt.date) -> list[FlightCount]: ...

    def unplaced_decisions(self, day: dt.date) -> list[DecisionRecord]:
        """The newest decision for each passenger evaluated on ``day`` whose record names no flight."""

    def arrivals(self, since: dt.datetime, until: dt.datetime, fields: Sequence[str] = ()) -> list[Arrival]:
        """The newest retained decision of each passenger journey (identity hash, flight, departure date)
        whose record's scheduled arrival is from ``since`` up to ``until``, earliest first, each with its
        record's values at ``fields`` (dotted names). A journey whose newest decision arrives outside the
        window is not in it, whatever its earlier decisions said."""

    def record_identity_view(self, actor: Actor, endpoint: str, decision_ids: Sequence[str]) -> None:
        """Audit that ``actor`` was shown the identities in the records of ``decision_ids`` on ``endpoint``."""

    def identity_views(
        self,
        *,
        actor: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        before_seq: int | None = None,
        limit: int = 100,
    ) -> list[IdentityView]:
        """The audit entries of identities shown, newest first: by actor (part of its label), time and
        before a sequence number (the next page)."""


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
        {"before": iso_utc(before), "purged": purged, "journey_parts_expired": journey_parts_expired},
    )


#: The audit action of showing passengers' identities (names, documents, dates of birth).
IDENTITY_VIEW = "identity.view"


@dataclass(frozen=True)
class IdentityView:
    """Who was shown the identities of which decisions' passengers, when, on which endpoint."""

    seq: int
    at: dt.datetime
    actor: str
    agency: str
    endpoint: str
    decisions: tuple[str, ...]

    @property
    def passengers(self) -> int:
        return len(self.decisions)


def identity_view_entry(actor: Actor, endpoint: str, decision_ids: Sequence[str]) -> AuditEntry:
    """The audit entry of ``actor`` being shown identities: decision ids only, never the identities."""
    return AuditEntry(
        actor.label,
        actor.agency,
        IDENTITY_VIEW,
        "passenger_identity",
        endpoint,
        None,
        None,
        {"endpoint": endpoint, "decisions": list(decision_ids)},
    )


def identity_view_of(record: AuditRecord) -> IdentityView:
    decisions = record.detail.get("decisions")
    decisions = decisions if isinstance(decisions, list) else []
    endpoint = record.detail.get("endpoint") or record.object_id
    return IdentityView(
        record.seq, record.at, record.actor, record.agency, str(endpoint), tuple(str(d) for d in decisions)
    )
