"""Hits (one rule match on one passenger's journey) worked to a disposition, and rule statistics.

A hit is created with the decision that first produced it, in the same transaction; the
same passenger on the same flight matching the same rule again is the same hit, so an
outcome is recorded once. Only the agency that owns the rule works its hits: a sharing
grant lets another agency see them, never record their outcome (which is the owner's
rule precision). Dispositions are audited.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from api.audit.interface import AuditEntry
from api.audit.log import SqlAuditLog
from api.common import Actor, Conflict, Forbidden, NotFound, Unprocessable
from api.db.models import DecisionRow, HitRow, utcnow
from api.db.sessions import SqlService
from api.evaluations.interface import DecisionRecord

OPEN = ("new", "in_review")
DISPOSITIONS = ("referred", "cleared", "false_match", "offence_found")
STATUSES = (*OPEN, *DISPOSITIONS)
# A disposition closes a hit; "in_review" only from "new".
_ALLOWED = {"new": {"in_review", *DISPOSITIONS}, "in_review": set(DISPOSITIONS)}


def upsert(session: Session) -> Any:
    """The dialect's ``insert`` that knows ``ON CONFLICT`` (both stores have one)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def add_hits(session: Session, decisions: Sequence[DecisionRecord]) -> None:
    """Insert a hit for each match not already a hit on that passenger's journey (inside the caller's transaction)."""
    rows = [
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
    if not rows:
        return
    statement = upsert(session)(HitRow).on_conflict_do_nothing(
        index_elements=["identity_hash", "flight", "flight_date", "rule_id"]
    )
    session.execute(statement, rows)


def hit_view(row: HitRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "decision_id": row.decision_id,
        "passenger_id": row.passenger_ref,
        "flight": row.flight,
        "flight_date": row.flight_date.isoformat() if row.flight_date else None,
        "rule_id": row.rule_id,
        "rule_version": row.rule_version,
        "agency": row.agency,
        "weight": row.weight,
        "action": row.action,
        "why": row.why,
        "status": row.status,
        "disposition": row.status if row.status in DISPOSITIONS else None,
        "note": row.note,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
        "updated_by": row.updated_by,
    }


class SqlHitStore(SqlService):
    """Implements ``HitStore``."""

    def __init__(self, sessions: sessionmaker[Session], audit: SqlAuditLog) -> None:
        super().__init__(sessions)
        self._audit = audit

    def _session(self, writing: bool) -> AbstractContextManager[Session]:
        return self.transaction() if writing else self.reading()

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
    ) -> list[dict[str, Any]]:
        """Hits of rules owned by ``agencies`` (None: every agency), newest first, filtered."""
        query = select(HitRow).order_by(HitRow.created_at.desc(), HitRow.id)
        if agencies is not None:
            query = query.where(HitRow.agency.in_(list(agencies)))
        if flight is not None:
            query = query.where(HitRow.flight == flight)
        if day is not None:
            query = query.where(HitRow.flight_date == day)
        if status is not None:
            query = query.where(HitRow.status == status)
        if rule_id is not None:
            query = query.where(HitRow.rule_id == rule_id)
        if passenger_ref is not None:
            query = query.where(HitRow.passenger_ref == passenger_ref)
        with self._session(False) as session:
            return [hit_view(row) for row in session.execute(query.limit(limit).offset(offset)).scalars()]

    def hit(self, hit_id: str) -> dict[str, Any]:
        with self._session(False) as session:
            row = session.get(HitRow, hit_id)
            if row is None:
                raise NotFound(f"no hit {hit_id}", "hit_not_found")
            return hit_view(row)

    def set_status(self, hit_id: str, status: str, note: str, actor: Actor) -> dict[str, Any]:
        """Move a hit on (``in_review``, or a disposition with a note): only by the rule's own agency."""
        note = note.strip()
        with self._session(True) as session:
            row = session.get(HitRow, hit_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no hit {hit_id}", "hit_not_found")
            if row.agency != actor.agency:
                raise Forbidden(
                    f"this hit is {row.agency}'s to work; a sharing grant shows it to {actor.agency}, "
                    f"it does not let {actor.agency} record its outcome",
                    "agency_forbidden",
                )
            if status != "in_review" and not note:
                raise Unprocessable(
                    "a disposition needs a note", "note_required", {"note": ["required for a disposition"]}
                )
            if status not in _ALLOWED.get(row.status, set()):
                raise Conflict(f"a hit that is {row.status} cannot become {status}", "invalid_transition")
            before = row.status
            row.status, row.note, row.updated_at, row.updated_by = status, note, utcnow(), actor.name
            self._audit.append(
                session,
                AuditEntry(
                    actor.label,
                    actor.agency,
                    f"hit.{status}",
                    "hit",
                    hit_id,
                    None,
                    None,
                    {"from": before, "to": status, "rule_id": row.rule_id, "rule_version": row.rule_version},
                ),
            )
            return hit_view(row)

    def rule_stats(
        self, rule_id: str, since: dt.datetime | None, until: dt.datetime | None, runaway_share: float, runaway_min: int
    ) -> dict[str, Any]:
        """Hits, dispositions and precision per rule version; flights where the rule ran away."""
        query = select(HitRow.rule_version, HitRow.status, HitRow.flight, HitRow.flight_date).where(
            HitRow.rule_id == rule_id
        )
        if since is not None:
            query = query.where(HitRow.created_at >= since)
        if until is not None:
            query = query.where(HitRow.created_at < until)
        with self._session(False) as session:
            found = session.execute(query).all()
            per_flight: Counter[tuple[str, dt.date]] = Counter(
                (flight, day) for _, _, flight, day in found if flight is not None and day is not None
            )
            passengers = self._passengers(session, per_flight)
        versions: dict[int | None, Counter[str]] = defaultdict(Counter)
        for version, status, _, _ in found:
            versions[version][status] += 1
        rows = []
        for version in sorted(versions, key=lambda v: -1 if v is None else v):
            counts = versions[version]
            reviewed = sum(counts[d] for d in DISPOSITIONS)
            rows.append(
                {
                    "version": version,
                    "hits": sum(counts.values()),
                    "statuses": {status: counts[status] for status in STATUSES},
                    "reviewed": reviewed,
                    "precision": round(counts["offence_found"] / reviewed, 4) if reviewed else None,
                }
            )
        runaway = [
            {
                "flight": flight,
                "date": day.isoformat(),
                "matched": matched,
                "passengers": passengers.get((flight, day), 0),
                "share": round(matched / passengers[(flight, day)], 4),
            }
            for (flight, day), matched in sorted(per_flight.items())
            if passengers.get((flight, day), 0) >= runaway_min and matched / passengers[(flight, day)] > runaway_share
        ]
        return {"rule_id": rule_id, "versions": rows, "runaway_flights": runaway}

    @staticmethod
    def _passengers(session: Session, flights: Iterable[tuple[str, dt.date]]) -> dict[tuple[str, dt.date], int]:
        wanted = set(flights)
        if not wanted:
            return {}
        query = (
            select(DecisionRow.flight, DecisionRow.flight_date, func.count(func.distinct(DecisionRow.identity_hash)))
            .where(DecisionRow.flight.in_({flight for flight, _ in wanted}))
            .group_by(DecisionRow.flight, DecisionRow.flight_date)
        )
        return {(flight, day): int(count) for flight, day, count in session.execute(query) if (flight, day) in wanted}
