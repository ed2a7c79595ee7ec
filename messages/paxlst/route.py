"""A PAXLST message's flights as legs: each flight group's route (its LOC+92, 125 and 87 stops, in
order) cut into legs between consecutive stops, the border leg each group marks (from the last
departure before the border, LOC+125, to the first arrival after it, LOC+87), and the leg the
records are screened for."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from messages.legs import Leg, nz_arrival
from messages.paxlst.model import FlightGroup, Stop


def legs_of(group: FlightGroup) -> list[Leg]:
    """The group's legs, one between each two consecutive stops; a lone stop is a leg with one end,
    and a group with no stop a leg with only its flight."""
    stops = group.stops
    if not stops:
        return [_leg(group, None, None)]
    if len(stops) == 1:
        (stop,) = stops
        if stop.qualifier == "87":
            return [_leg(group, None, stop)]
        return [_leg(group, stop, None)]
    return [_leg(group, start, end) for start, end in itertools.pairwise(stops)]


def border_leg(group: FlightGroup) -> Leg | None:
    """The leg crossing the border: from the LOC+125 stop to the LOC+87 stop; None when neither is given.

    With only one of them, the leg leaving the LOC+125 stop, or the one reaching the LOC+87 stop.
    """
    stops = group.stops
    start = next((n for n, stop in enumerate(stops) if stop.qualifier == "125"), None)
    end = next((n for n, stop in enumerate(stops) if stop.qualifier == "87"), None)
    if start is None and end is None:
        return None
    if start is not None and end is not None:
        return _leg(group, stops[start], stops[end])
    if start is not None:
        return _leg(group, stops[start], stops[start + 1] if start + 1 < len(stops) else None)
    assert end is not None
    return _leg(group, stops[end - 1] if end > 0 else None, stops[end])


def all_legs(flights: Sequence[FlightGroup]) -> list[Leg]:
    return [leg for group in flights for leg in legs_of(group)]


def screened_leg(flights: Sequence[FlightGroup]) -> Leg | None:
    """The flight the records are screened for.

    The border leg arriving in New Zealand; else the first border leg (a departure from New
    Zealand, or a flight elsewhere); else the first leg arriving in New Zealand; else the last leg.
    """
    marked = [leg for group in flights if (leg := border_leg(group)) is not None]
    found = nz_arrival(marked) or (marked[0] if marked else None)
    if found is not None:
        return found
    legs = all_legs(flights)
    return nz_arrival(legs) or (legs[-1] if legs else None)


def unused_times(group: FlightGroup) -> list[tuple[Stop, str]]:
    """Times of the group no leg takes, with their DTM qualifier: an arrival at the first stop or a
    departure from the last (a border stop's own time is the border leg's)."""
    stops = group.stops
    if not stops:
        return []
    if len(stops) == 1:
        (stop,) = stops
        if stop.qualifier == "87":
            return [(stop, "189")] if stop.departure is not None else []
        return [(stop, "232")] if stop.arrival is not None else []
    unused = []
    first, last = stops[0], stops[-1]
    if first.arrival is not None and first.qualifier != "87":
        unused.append((first, "232"))
    if last.departure is not None and last.qualifier != "125":
        unused.append((last, "189"))
    return unused


def _leg(group: FlightGroup, start: Stop | None, end: Stop | None) -> Leg:
    return Leg(
        group.segment,
        group.carrier,
        group.number,
        start.airport if start else None,
        end.airport if end else None,
        start.departure if start else None,
        end.arrival if end else None,
    )
