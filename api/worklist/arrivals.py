"""Flights by New Zealand arrival: what lands on a day, when, from where, and how much work each brings.

A flight is on the day when its passengers' records give a scheduled arrival on that day in
Pacific/Auckland (``DecisionStore.arrivals``: the day's journeys read light, no whole record). Its
bands are those of its own priority list (relative risk among its passengers), so the count of
high-band passengers is the one the list shows.
Open hits are counted for the agencies whose matches the caller sees, and for the caller's own
agency even when it has none, so an officer always sees their agency's count.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from api.common import Actor
from api.evaluations import interface as decisions
from api.hits.interface import HitState, Journey
from api.worklist.rows import Route, nz
from engine.language import AGENCIES
from engine.risk import relative_risk

BANDS = ("high", "elevated", "routine")
#: The record fields a flight's route is read from (``DecisionStore.arrivals``' ``fields``).
ROUTE_FIELDS = ("flight.departure_airport", "flight.arrival_airport")


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
    passengers: Iterable[decisions.Arrival],
    states: Mapping[Journey, Sequence[HitState]],
) -> list[Arrival]:
    """The flights of the passengers arriving on the day (``DecisionStore.arrivals`` with
    ``ROUTE_FIELDS``), earliest first, with the states of the hits of the agencies the caller sees."""
    flights: dict[tuple[str, dt.date], list[decisions.Arrival]] = defaultdict(list)
    for passenger in passengers:
        flights[(passenger.flight, passenger.flight_date)].append(passenger)
    found = []
    for (flight, departure_date), on_board in flights.items():
        risks = relative_risk([passenger.score for passenger in on_board])
        open_hits: Counter[str] = Counter()
        if actor.agency in AGENCIES:
            open_hits[actor.agency] = 0
        for passenger in on_board:
            for state in states.get(passenger.journey, ()):
                if state.open:
                    open_hits[state.agency] += 1
        found.append(
            Arrival(
                flight=flight,
                departure_date=departure_date,
                route=_route(on_board),
                scheduled_arrival=min(passenger.arrival_at for passenger in on_board),
                passengers=len(on_board),
                bands={band: sum(risk.band == band for risk in risks) for band in BANDS},
                open_hits=dict(sorted(open_hits.items())),
            )
        )
    return sorted(found, key=lambda arrival: (arrival.scheduled_arrival, arrival.flight))


def _route(passengers: Iterable[decisions.Arrival]) -> Route:
    """The route the flight's records give most often (they normally all agree)."""
    routes = Counter(Route(*passenger.values) for passenger in passengers)
    return routes.most_common(1)[0][0]
