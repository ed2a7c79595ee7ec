"""What the PAXLST reader reads before its people: the message header (BGM) and the flight groups
(TDT, with the LOC and DTM of their routes), and how it checks a value against the catalogue.
The reader (``messages.paxlst.reader``) builds on this with the people and the records."""

from __future__ import annotations

import datetime as dt
import re

from engine.catalogue import CATALOGUE, FieldType
from engine.values import ValueProblem, parse_value
from messages.countries import NOT_A_COUNTRY, country_code, known
from messages.edifact import Segment
from messages.envelope import Envelope
from messages.legs import LocalTimes
from messages.paxlst.dates import near_date, parse_stamp
from messages.paxlst.model import DOCUMENT_TYPES, ROUTE_PLACES, UNUSED_LEG_PLACES, FlightGroup, Message, Stop
from messages.paxlst.problems import Problems
from messages.paxlst.records import split_flight
from messages.problems import show_code


class Flights(Envelope[Message, Problems]):
    """The header and flight-group handlers, over the envelope walk; ``today`` dates two-digit years."""

    def __init__(self, problems: Problems, today: dt.date) -> None:
        super().__init__(problems)
        self.today = today
        self.times = LocalTimes(problems)

    # ---- message header

    def _bgm(self, segment: Segment) -> None:
        message = self._current()
        code = segment.get(0)
        message.has_bgm = True
        message.document_code = code
        if code not in DOCUMENT_TYPES:
            self.problems.warn(
                "unknown_qualifier", segment, f"BGM document code {show_code(code)} is not a PAXLST list type"
            )

    # ---- flight legs (TDT group)

    def _tdt(self, segment: Segment) -> None:
        message = self._current()
        if message.persons:
            self.problems.warn("out_of_place", segment, "TDT after the passengers: read as another leg")
        message.context = "leg"
        group = FlightGroup(segment)
        message.flights.append(group)
        if segment.get(0) not in ("20", ""):
            self.problems.warn(
                "unknown_qualifier", segment, f"TDT transport stage {show_code(segment.get(0))} read as a flight leg"
            )
        carrier = segment.get(4).upper()
        journey = re.sub(r"\s+", "", segment.get(1).upper())
        if carrier and journey.startswith(carrier):
            prefix, number = carrier, journey[len(carrier) :]
        else:
            prefix, number = split_flight(journey)
        if carrier or prefix:
            group.carrier = self._fit("flight.carrier", carrier or prefix, segment, "TDT carrier")
        else:
            self.problems.warn("bad_value", segment, "TDT has no carrier")
        if number:
            number = number.lstrip("0") or "0"  # flight numbers are padded to four digits in places
            group.number = self._fit("flight.number", number, segment, "TDT flight number")
        else:
            self.problems.warn("bad_value", segment, "TDT has no readable flight number")

    def _leg_loc(self, segment: Segment) -> None:
        """A stop of the flight's route: LOC+92 (a stop), 125 (the last before the border), 87 (the first after)."""
        group = self._current().flights[-1]
        qualifier, place = segment.get(0), segment.get(1).upper()
        if qualifier not in ROUTE_PLACES:
            if qualifier not in UNUSED_LEG_PLACES:
                self.problems.warn(
                    "unknown_qualifier", segment, f"LOC qualifier {show_code(qualifier)} in a flight leg was ignored"
                )
            return
        airport = self._fit("itinerary.airports", place, segment, f"LOC+{qualifier} airport")
        last = group.stops[-1] if group.stops else None
        if last is not None and last.qualifier == qualifier and last.empty():
            # The first said nothing (an empty LOC): this one is the stop.
            last.segment, last.airport = segment, airport
            return
        if qualifier != "92" and any(stop.qualifier == qualifier for stop in group.stops):
            self.problems.warn(
                "repeated_segment",
                segment,
                f"a second LOC+{qualifier} in one flight group: read as a further stop; the border leg is the first's",
            )
        group.stops.append(Stop(segment, qualifier, airport))

    def _leg_dtm(self, segment: Segment) -> None:
        """A time at the stop before it: DTM+189 leaving it, DTM+232 reaching it, local to its airport."""
        group = self._current().flights[-1]
        qualifier = segment.get(0, 0)
        if qualifier not in ("189", "232"):
            self.problems.warn(
                "unknown_qualifier", segment, f"DTM qualifier {show_code(qualifier)} in a flight leg was ignored"
            )
            return
        if not group.stops:
            self.problems.warn("out_of_place", segment, f"DTM+{qualifier} before any LOC of its flight was ignored")
            return
        stop = group.stops[-1]
        name = "departure" if qualifier == "189" else "arrival"
        if getattr(stop, name) is not None:
            self.problems.warn("repeated_segment", segment, f"a second DTM+{qualifier} for one stop was ignored")
            return
        stamp = parse_stamp(segment.get(0, 1), segment.get(0, 2))
        day = near_date(stamp, self.today) if stamp else None
        if stamp is None or day is None or stamp.time is None:
            self.problems.warn("bad_date", segment, f"DTM+{qualifier} is not a valid date and time for its format")
            return
        local = dt.datetime.combine(day, stamp.time)
        setattr(stop, name, self.times.at(local, stop.airport, segment, name))

    # ---- values

    def _fit(self, name: str, value: str, segment: Segment, what: str) -> str | None:
        """``value`` if it fits catalogue field ``name``; otherwise None and a warning."""
        field_ = CATALOGUE[name]
        try:
            if field_.type is FieldType.CODE_LIST:
                problem = field_.code_problem(value)
                if problem:
                    raise ValueProblem(problem)
            else:
                parse_value(field_, value)
        except ValueProblem as exc:
            reason = str(exc)
            if field_.type in (FieldType.CODE, FieldType.CODE_LIST) and len(value) <= field_.max_length:
                reason = field_.code_problem(value) or reason
            self.problems.warn("bad_value", segment, f"{what} left out: {reason}")
            return None
        return value

    def _country(self, raw: str, segment: Segment, what: str, name: str) -> str | None:
        code = country_code(raw, segment, what, self.problems)
        value = self._fit(name, code, segment, what) if code else None
        if value is not None and not known(value):
            self.problems.warn("bad_value", segment, f"{what} left out: {show_code(value)} is {NOT_A_COUNTRY}")
            return None
        return value
