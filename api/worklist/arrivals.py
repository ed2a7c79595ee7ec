"""Flights by New Zealand arrival: what lands on a day, when, from where, and how much work each brings.

A flight is on the day when its passengers' records give a scheduled arrival on that day in
Pacific/Auckland (``rows.arriving_on``). Its bands are those of its own priority list (relative
risk among its passengers), so the count of high-band passengers is the one the list shows.
Open hits are counted for the agencies whose matches the caller sees, and for the caller's own
agency even when it has none, so an officer always sees their agency's count.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from api.common import Actor
from api.evaluations.interface import DecisionRecord
from api.hits.interface import OPEN, Hit, Journey
from api.worklist.rows import Route, arriving_on, nz, route_of
from engine.language import AGENCIES
from engine.risk import relative_risk

BANDS = ("high", "elevated", "routine")


@dataclass(frozen=True)
class Arrival:
    """One flight landing on the day, as its passengers' records describe it."""

    flight: str
    #: the UTC date of scheduled departure: with the flight, what names its priority list
    departure_date: dt.date
    route: Route
    scheduled_arrival: dt.datetime
    passengers: int
    bands: Mapping[str, int]
    #: open hits (new or in review) by agency
    open_hits: Mapping[str, int] = field(default_factory=dict)

    @property
    def scheduled_arrival_local(self) -> dt.datetime:
        return self.scheduled_arrival.astimezone(nz())


def arrivals(
    actor: Actor,
    decisions: Iterable[DecisionRecord],
    hits: Mapping[Journey, Sequence[Hit]],
    day: dt.date,
) -> list[Arrival]:
    """The flights arriving on ``day``, earliest first, from the decisions of flights that can
    (``departure_window``) and the hits of the agencies the caller sees."""
    flights: dict[tuple[str, dt.date], list[tuple[DecisionRecord, dt.datetime]]] = defaultdict(list)
    for decision, arrival in arriving_on(decisions, day):
        assert decision.flight is not None and decision.flight_date is not None  # departing_decisions' own
        flights[(decision.flight, decision.flight_date)].append((decision, arrival))
    found = []
    for (flight, departure_date), passengers in flights.items():
        risks = relative_risk([decision.score for decision, _ in passengers])
        open_hits: Counter[str] = Counter()
        if actor.agency in AGENCIES:
            open_hits[actor.agency] = 0
        for decision, _ in passengers:
            for hit in hits.get((decision.identity_hash, flight, departure_date), ()):
                if hit.status in OPEN:
                    open_hits[hit.agency] += 1
        found.append(
            Arrival(
                flight=flight,
                departure_date=departure_date,
                route=_route(decision for decision, _ in passengers),
                scheduled_arrival=min(arrival for _, arrival in passengers),
                passengers=len(passengers),
                bands={band: sum(risk.band == band for risk in risks) for band in BANDS},
                open_hits=dict(sorted(open_hits.items())),
            )
        )
    return sorted(found, key=lambda arrival: (arrival.scheduled_arrival, arrival.flight))


def _route(decisions: Iterable[DecisionRecord]) -> Route:
    """The route the flight's records give most often (they normally all agree)."""
    routes = Counter(route_of(decision.record) for decision in decisions)
    return routes.most_common(1)[0][0]
