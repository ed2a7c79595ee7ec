"""Flight legs as every airline message gives them, and what records take from them: the leg
arriving in New Zealand, the itinerary's stops with their countries, and the legs' times, which
messages write in the local time of each airport, read as times with that airport's offset."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from messages import airports
from messages.edifact import Segment
from messages.problems import Problems, show_code
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
    """The legs as itinerary stops: each airport once per visit, with its country and times."""
    stops: list[dict[str, str]] = []
    for leg in legs:
        if leg.departure_airport:
            if not (stops and stops[-1]["airport"] == leg.departure_airport):
                stops.append(stop_at(leg.departure_airport))
            if leg.departure:
                stops[-1]["departure"] = leg.departure.isoformat()
        if leg.arrival_airport:
            stop = stop_at(leg.arrival_airport)
            if leg.arrival:
                stop["arrival"] = leg.arrival.isoformat()
            stops.append(stop)
    return stops


def stop_at(airport: str) -> dict[str, str]:
    """An itinerary stop at ``airport``, with its country when the airport table knows it."""
    country = airports.country(airport)
    return {"airport": airport, "country": country} if country else {"airport": airport}


class LocalTimes:
    """Reads times written in the local time of their airport as times with that airport's offset.

    A time whose airport the table does not know is kept as written, without an offset (which
    the catalogue reads as UTC), with a warning once per airport: never silently wrong.
    """

    def __init__(self, problems: Problems[Any]) -> None:
        self.problems = problems
        self.unknown: set[str] = set()

    def settle(self, leg: Leg) -> None:
        """The leg's departure at its departure airport's offset, its arrival at its arrival airport's."""
        if leg.departure is not None:
            leg.departure = self.at(leg.departure, leg.departure_airport, leg.segment, "departure")
        if leg.arrival is not None:
            leg.arrival = self.at(leg.arrival, leg.arrival_airport, leg.segment, "arrival")

    def at(self, moment: dt.datetime, airport: str | None, where: Segment, what: str) -> dt.datetime:
        """``moment``, a local time at ``airport``, with the airport's offset on that day."""
        if moment.tzinfo is not None:
            return moment
        zone = airports.zone(airport) if airport else None
        if zone is None:
            self._unknown(airport, where, what)
            return moment
        local = moment.replace(tzinfo=zone)
        try:
            again = local.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
        except OverflowError:
            return moment  # at the ends of the calendar: out of the catalogue's range, refused there
        if again != moment:
            self.problems.warn(
                "ambiguous_time",
                where,
                f"the {what} time does not exist at {airport} (clocks go forward then); "
                "read with the offset before the change",
            )
        elif local.utcoffset() != moment.replace(tzinfo=zone, fold=1).utcoffset():
            self.problems.warn(
                "ambiguous_time",
                where,
                f"the {what} time happens twice at {airport} (clocks go back then); read as the first",
            )
        return local

    def _unknown(self, airport: str | None, where: Segment, what: str) -> None:
        if airport is None:
            self.problems.warn(
                "unknown_airport", where, f"the {what} time has no airport: kept as given, with no time zone"
            )
        elif airport not in self.unknown:
            self.unknown.add(airport)
            self.problems.warn(
                "unknown_airport",
                where,
                f"airport {show_code(airport)} is not in the airport table: its times are kept as given, "
                "with no time zone",
            )
