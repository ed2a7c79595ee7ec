"""Flight legs as every airline message gives them, and what records take from them: the leg
arriving in New Zealand, and the itinerary's stops."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from messages.edifact import Segment
from messages.records import iso

# Airports in New Zealand with scheduled services: the leg arriving at one of these is the
# flight being screened. International arrivals are AKL, CHC, WLG, ZQN and DUD.
NZ_AIRPORTS = (
    frozenset({"AKL", "CHC", "WLG", "ZQN", "DUD"})
    | frozenset({"NSN", "NPE", "ROT", "HLZ", "PMR", "NPL", "TRG", "IVC", "KKE", "BHE", "GIS", "WRE"})
    | frozenset({"TIU", "HKK", "WSZ", "WAG", "TUO", "KAT", "CHT"})
)


@dataclass
class Leg:
    """One flight leg: the flight, its airports and scheduled times."""

    segment: Segment
    carrier: str | None = None
    number: str | None = None
    departure_airport: str | None = None
    arrival_airport: str | None = None
    departure: dt.datetime | None = None
    arrival: dt.datetime | None = None

    def as_dict(self) -> dict[str, str]:
        """The leg as the record's ``flight.*`` fields."""
        values = {
            "carrier": self.carrier,
            "number": self.number,
            "departure_airport": self.departure_airport,
            "arrival_airport": self.arrival_airport,
            "scheduled_departure": iso(self.departure),
            "scheduled_arrival": iso(self.arrival),
        }
        return {key: value for key, value in values.items() if value is not None}

    def days(self) -> list[dt.date]:
        return [moment.date() for moment in (self.departure, self.arrival) if moment is not None]


L = TypeVar("L", bound=Leg)


def nz_arrival(legs: Sequence[L]) -> L | None:
    """The first leg arriving in New Zealand, if any."""
    return next((leg for leg in legs if leg.arrival_airport in NZ_AIRPORTS), None)


def route_of(legs: Sequence[Leg]) -> list[dict[str, str]]:
    """The legs as itinerary stops: each airport once per visit, with its times."""
    stops: list[dict[str, str]] = []
    for leg in legs:
        if leg.departure_airport:
            if not (stops and stops[-1]["airport"] == leg.departure_airport):
                stops.append({"airport": leg.departure_airport})
            if leg.departure:
                stops[-1]["departure"] = leg.departure.isoformat()
        if leg.arrival_airport:
            stop = {"airport": leg.arrival_airport}
            if leg.arrival:
                stop["arrival"] = leg.arrival.isoformat()
            stops.append(stop)
    return stops
