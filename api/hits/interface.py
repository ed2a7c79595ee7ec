"""Hits: the matches officers work, with their status history (``Hit``), per-rule statistics
(``RuleStats``), and what every store shares of making, moving and counting hits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from api.audit.interface import AuditEntry
from api.common import Actor, Conflict, Forbidden, Unprocessable, as_utc
from api.evaluations.interface import DecisionRecord

OPEN = ("new", "in_review")
DISPOSITIONS = ("referred", "cleared", "false_match", "offence_found")
STATUSES = (*OPEN, *DISPOSITIONS)
# A disposition closes a hit; "in_review" only from "new".
_ALLOWED = {"new": {"in_review", *DISPOSITIONS}, "in_review": set(DISPOSITIONS)}

#: What ``rule_stats`` counts of each hit: its rule version, status, flight and flight date.
Counted = tuple[int | None, str, str | None, dt.date | None]
#: A passenger's journey, as a decision and its hits name it: identity hash, flight, UTC date of departure.
Journey = tuple[str, str, dt.date]


@dataclass(frozen=True)
class Hit:
    """One rule's match on one passenger's journey, and how an officer has worked it."""

    id: str
    decision_id: str
    passenger_ref: str | None
    flight: str | None
    flight_date: dt.date | None
    rule_id: str
    rule_version: int | None
    agency: str
    weight: int
    action: str
    why: list[Any]
    status: str
    note: str
    created_at: dt.datetime
    updated_at: dt.datetime | None
    updated_by: str | None

    @property
    def disposition(self) -> str | None:
        return self.status if self.status in DISPOSITIONS else None


class HitState(NamedTuple):
    """What a list selects a journey's hit on: whose rule, which, and how far it has been worked (a named
    tuple: a day has thousands)."""

    id: str
    rule_id: str
    agency: str
    status: str

    @property
    def open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True)
class VersionStats:
    """What one version of a rule matched, and how officers worked those hits."""

    version: int | None
    hits: int
    statuses: Mapping[str, int]
    reviewed: int
    #: offence_found over reviewed (None before any is reviewed)
    precision: float | None


@dataclass(frozen=True)
class RunawayFlight:
    """A flight on which a rule matched more than the runaway share of the passengers evaluated."""

    flight: str
    date: dt.date
    matched: int
    passengers: int
    share: float


@dataclass(frozen=True)
class RuleStats:
    rule_id: str
    versions: tuple[VersionStats, ...]
    runaway_flights: tuple[RunawayFlight, ...]


class HitStore(Protocol):
    """Hits worked to dispositions, and per-rule statistics."""

    def hits(
        self,
        agencies: Iterable[str] | None,
        *,
        flight: str | None = None,
        day: dt.date | None = None,
        status: str | Collection[str] | None = None,
        rule_id: str | None = None,
        passenger_ref: str | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[Hit]: ...

    def hit(self, hit_id: str) -> Hit: ...

    def hit_states(
        self, flights: Collection[tuple[str, dt.date]], agencies: Iterable[str] | None
    ) -> dict[Journey, list[HitState]]:
        """The states of the hits of rules owned by ``agencies`` (None: every agency) on ``flights``
        (carrier and number, UTC departure date), by journey, each journey's oldest first."""

    def journey_hits(self, journeys: Collection[Journey], agencies: Iterable[str] | None) -> dict[Journey, list[Hit]]:
        """Hits of rules owned by ``agencies`` (None: every agency) on ``journeys``, by journey, each
        journey's oldest first."""

    def set_status(self, hit_id: str, status: str, note: str, actor: Actor) -> Hit: ...

    def rule_stats(
        self, rule_id: str, since: dt.datetime | None, until: dt.datetime | None, runaway_share: float, runaway_min: int
    ) -> RuleStats: ...


class StoredHit(Protocol):
    """A hit as a store keeps it (a SQL row, an in-memory record)."""

    id: str
    decision_id: str
    passenger_ref: str | None
    flight: str | None
    flight_date: dt.date | None
    rule_id: str
    rule_version: int | None
    agency: str
    weight: int
    action: str
    why: list[Any]
    status: str
    note: str
    created_at: dt.datetime
    updated_at: dt.datetime | None
    updated_by: str | None


def hit_rows(decisions: Sequence[DecisionRecord]) -> list[dict[str, Any]]:
    """A new hit (its columns) for each match of ``decisions``; the store skips a journey's repeats."""
    return [
        {
            "id": str(uuid.uuid4()),
            "decision_id": d.id,
            "identity_hash": d.identity_hash,
            "passenger_ref": d.passenger_ref,
            "flight": d.flight,
            "flight_date": d.flight_date,
            "rule_id": match["rule_id"],
            "rule_version": match.get("version"),
            "agency": match.get("agency", ""),
            "weight": match["weight"],
            "action": match["action"],
            "why": list(d.explanations.get(match["rule_id"], [])),
            "status": "new",
            "note": "",
            "created_at": d.created_at,
        }
        for d in decisions
        for match in d.matches
    ]


def hit_of(row: StoredHit) -> Hit:
    created = as_utc(row.created_at)
    assert created is not None
    return Hit(
        row.id,
        row.decision_id,
        row.passenger_ref,
        row.flight,
        row.flight_date,
        row.rule_id,
        row.rule_version,
        row.agency,
        row.weight,
        row.action,
        list(row.why),
        row.status,
        row.note,
        created,
        as_utc(row.updated_at),
        row.updated_by,
    )


def move_hit(row: StoredHit, status: str, note: str, actor: Actor, now: dt.datetime) -> AuditEntry:
    """Check, then make, ``actor``'s move of ``row`` to ``status``; the audit entry that records it.

    Only the rule's own agency works its hits; a disposition needs a note. Nothing changes on a refusal.
    """
    note = note.strip()
    if row.agency != actor.agency:
        raise Forbidden(
            f"this hit is {row.agency}'s to work; a sharing grant shows it to {actor.agency}, "
            f"it does not let {actor.agency} record its outcome",
            "agency_forbidden",
        )
    if status != "in_review" and not note:
        raise Unprocessable("a disposition needs a note", "note_required", {"note": ["required for a disposition"]})
    if status not in _ALLOWED.get(row.status, set()):
        raise Conflict(f"a hit that is {row.status} cannot become {status}", "invalid_transition")
    before = row.status
    row.status, row.note, row.updated_at, row.updated_by = status, note, now, actor.name
    return AuditEntry(
        actor.label,
        actor.agency,
        f"hit.{status}",
        "hit",
        row.id,
        None,
        None,
        {"from": before, "to": status, "rule_id": row.rule_id, "rule_version": row.rule_version},
    )


def hits_per_flight(found: Iterable[Counted]) -> Counter[tuple[str, dt.date]]:
    """How many of a rule's hits each flight (on a date) has: the flights it may have run away on."""
    return Counter((flight, day) for _, _, flight, day in found if flight is not None and day is not None)


def rule_stats_of(
    rule_id: str,
    found: Sequence[Counted],
    per_flight: Counter[tuple[str, dt.date]],
    passengers: Mapping[tuple[str, dt.date], int],
    runaway_share: float,
    runaway_min: int,
) -> RuleStats:
    """Hits, dispositions and precision per rule version; the flights (``per_flight``, with their
    evaluated ``passengers``) where the rule matched more than ``runaway_share`` of them."""
    versions: dict[int | None, Counter[str]] = defaultdict(Counter)
    for version, status, _, _ in found:
        versions[version][status] += 1
    rows = []
    for version in sorted(versions, key=lambda v: -1 if v is None else v):
        counts = versions[version]
        reviewed = sum(counts[d] for d in DISPOSITIONS)
        precision = round(counts["offence_found"] / reviewed, 4) if reviewed else None
        statuses = {status: counts[status] for status in STATUSES}
        rows.append(VersionStats(version, sum(counts.values()), statuses, reviewed, precision))
    runaway = [
        RunawayFlight(flight, day, matched, passengers[(flight, day)], round(matched / passengers[(flight, day)], 4))
        for (flight, day), matched in sorted(per_flight.items())
        if passengers.get((flight, day), 0) >= runaway_min and matched / passengers[(flight, day)] > runaway_share
    ]
    return RuleStats(rule_id, tuple(rows), tuple(runaway))
