"""One passenger as an officer works them: who they are, where they stand on their flight, every hit
the caller may see, and what made up their score.

The passenger is named by a decision. When the passenger was evaluated again since, the page
is the newer decision's (``superseded_by`` says which); a resubmitted passenger keeps the hits
of their journey, so the hits are the journey's, not the decision's.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from api.common import Actor
from api.container import Services
from api.evaluations.interface import DecisionRecord
from api.hits.interface import Hit
from api.sharing.policy import SharingPolicy
from api.sources.summary import journey_view
from api.worklist.paging import sort_key
from api.worklist.rows import Identity, Route, arrival_of, flight_candidates, identity_shown, nz, route_of, works


@dataclass(frozen=True)
class Standing:
    """Where the passenger stands on their flight's priority list."""

    rank: int
    passengers: int
    percentile: float
    band: str


@dataclass(frozen=True)
class PassengerView:
    decision_id: str
    passenger_id: str | None
    flight: str | None
    departure_date: dt.date | None
    #: None: withheld by the sharing policy, or the record is purged
    identity: Identity | None
    record_retained: bool
    scheduled_arrival: dt.datetime | None
    route: Route
    score: float
    #: None for a passenger on no flight (no priority list to stand on)
    standing: Standing | None
    #: the matches the caller may see, heaviest first, each with its rule's agency and title
    reasons: list[dict[str, Any]]
    #: every other agency that matched, and how many of its rules did
    other_agencies: dict[str, int]
    #: the journey's hits the caller may see (not yet filtered for the values in their reasons)
    hits: list[Hit]
    #: the passenger's newest decision, when this one is not it
    superseded_by: str | None
    #: joined from the flight's API and PNR (api/sources/summary.py): None if not, or not the caller's to see
    journey: dict[str, Any] | None = None

    @property
    def identity_withheld(self) -> bool:
        return self.identity is None

    @property
    def scheduled_arrival_local(self) -> dt.datetime | None:
        return self.scheduled_arrival.astimezone(nz()) if self.scheduled_arrival else None


def passenger_view(services: Services, actor: Actor, policy: SharingPolicy, decision_id: str) -> PassengerView:
    """The passenger of ``decision_id`` (a ``NotFound`` if there is no such decision)."""
    store = services.decision_store
    decision = store.decision(decision_id)
    agencies = policy.visible_agencies(actor, "matches")
    standing = None
    superseded_by = None
    hits: list[Hit] = []
    if decision.flight is not None and decision.flight_date is not None:
        day = decision.flight_date
        on_flight = store.flight_decisions(decision.flight, day)
        journeys = {(d.identity_hash, decision.flight, day) for d in [*on_flight, decision]}
        journey_hits = services.hits.journey_hits(journeys, agencies)
        ranked = sorted(flight_candidates(actor, policy, on_flight, journey_hits), key=lambda c: sort_key(c, "risk"))
        for rank, candidate in enumerate(ranked, start=1):
            if candidate.arrival.identity_hash == decision.identity_hash:
                if candidate.arrival.decision_id != decision.id:
                    superseded_by = candidate.arrival.decision_id
                standing = Standing(rank, len(ranked), candidate.risk.percentile, candidate.risk.band)
        hits = list(journey_hits.get((decision.identity_hash, decision.flight, day), ()))
    elif decision.passenger_ref is not None:
        found = services.hits.hits(agencies, passenger_ref=decision.passenger_ref, limit=1000)
        hits = [hit for hit in found if hit.decision_id == decision.id]
    reasons, others = _reasons(services, actor, policy, decision)
    return PassengerView(
        decision_id=decision.id,
        passenger_id=decision.passenger_ref,
        flight=decision.flight,
        departure_date=decision.flight_date,
        identity=identity_shown(actor, policy, decision, any(works(actor, hit.agency) for hit in hits)),
        record_retained=decision.record is not None,
        scheduled_arrival=arrival_of(decision),
        route=route_of(decision.record),
        score=decision.score,
        standing=standing,
        reasons=reasons,
        other_agencies=others,
        hits=sorted(hits, key=lambda hit: (hit.agency != actor.agency, -hit.weight, hit.rule_id)),
        superseded_by=superseded_by,
        # The journey's fields are the sending agency's contribution, shown as the policy shows it.
        journey=journey_view(decision.record, decision.sources, by_field=False)
        if policy.sees(actor, decision.agency, "contributions")
        else None,
    )


def _reasons(
    services: Services, actor: Actor, policy: SharingPolicy, decision: DecisionRecord
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    summaries = services.rule_store.rule_versions_summary({(m["rule_id"], m["version"]) for m in decision.matches})
    matches: Sequence[dict[str, Any]] = [
        {
            "rule_id": m["rule_id"],
            "version": m["version"],
            "weight": m["weight"],
            "action": m["action"],
            "agency": m.get("agency") or agency,
            "title": title,
        }
        for m in decision.matches
        for agency, title in [summaries.get((m["rule_id"], m["version"]), ("", ""))]
    ]
    shown, _ = policy.matches_for(actor, matches)
    others = Counter(m["agency"] for m in matches if m["agency"] != actor.agency)
    return sorted(shown, key=lambda m: (m["agency"] != actor.agency, -m["weight"], m["rule_id"])), dict(
        sorted(others.items())
    )
