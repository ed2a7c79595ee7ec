"""The message as read: flight groups and the stops of their routes, documents and people, before they become
passenger records (their legs: ``messages.paxlst.route``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from messages.edifact import Segment

# --------------------------------------------------------------------------- message model


@dataclass
class Document:
    """One DOC group: a travel document or visa."""

    segment: Segment
    type: str | None = None
    number: str | None = None
    expiry_date: dt.date | None = None
    issuing_country: str | None = None


@dataclass
class Stop:
    """One LOC of a flight group (SG3): an airport of the flight's route and its local times there."""

    segment: Segment
    qualifier: str  # 92 a stop on the route, 125 the last departure before the border, 87 the first arrival after
    airport: str | None
    arrival: dt.datetime | None = None  # DTM+232
    departure: dt.datetime | None = None  # DTM+189

    def empty(self) -> bool:
        return self.airport is None and self.arrival is None and self.departure is None


@dataclass
class FlightGroup:
    """One TDT group (SG2): a flight and the airports of its route, in order."""

    segment: Segment
    carrier: str | None = None
    number: str | None = None
    stops: list[Stop] = field(default_factory=list)


@dataclass
class Person:
    """One NAD group: a passenger or crew member.

    ``role`` is the catalogue's ``traveller.role``: passenger, crew or in_transit; None when
    the message does not say (a party qualifier this reader does not know).
    """

    segment: Segment
    role: str | None
    family_name: str | None = None
    given_names: str | None = None
    date_of_birth: dt.date | None = None
    sex: str | None = None
    nationality: str | None = None
    country_of_residence: str | None = None
    embarkation: str | None = None
    debarkation: str | None = None
    booking_reference: str | None = None
    documents: list[Document] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # what was read with a value, to report repeats

    @property
    def crew(self) -> bool:
        return self.role == "crew"


@dataclass
class Message:
    """One UNH..UNT message."""

    start: Segment
    reference: str
    version: str
    part: str  # UNH sequence of transfers, "10:F": part 10, final
    document_code: str = ""
    has_bgm: bool = False
    flights: list[FlightGroup] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    counts: list[tuple[str, int, Segment]] = field(default_factory=list)
    segment_count: int = 1
    last: Segment | None = None
    context: str = "header"  # header | leg | person | party (another NAD) | trailer


# BGM document name codes: passenger list, crew list, flight status update (close-out),
# master crew list, gate pass request.
DOCUMENT_TYPES = {"745": "passenger", "250": "crew", "336": "crew", "266": "", "655": ""}
# NAD party qualifiers of people, and the role each gives: passenger, in-transit passenger,
# crew member, in-transit crew member, and COT, which crew lists send for crew as well.
ROLES = {"FL": "passenger", "DDU": "in_transit", "FM": "crew", "DDT": "crew", "COT": "crew"}
# BGM document codes of crew lists: a person of no known role on one is crew.
CREW_LISTS = frozenset({"250", "336"})
VERSIONS = frozenset({"D:02B", "D:05B"})
# PAXLST segments this reader has no use for: read, not reported.
UNUSED_SEGMENTS = frozenset({"COM", "CTA", "GEI", "FTX", "MEA", "EMP", "QTY", "CPI", "AUT", "GID"})
# Known LOC and DTM qualifiers with no field in the catalogue.
ROUTE_PLACES = frozenset({"92", "125", "87"})  # LOC qualifiers of a flight's route (SG3)
UNUSED_LEG_PLACES = frozenset({"130", "188", "172", "22"})
UNUSED_PERSON_PLACES = frozenset({"22", "180"})
UNUSED_PERSON_DATES = frozenset({"182"})
DOCUMENT_TYPE_CODES = {"P": "P", "PT": "P", "PP": "P", "I": "I", "ID": "I", "V": "V"}
FLIGHT_ID = (
    re.compile(r"((?:[A-Z][A-Z0-9])|(?:[0-9][A-Z]))([0-9]+[A-Z]?)"),  # IATA designator + number
    re.compile(r"([A-Z]{3})([0-9]+[A-Z]?)"),  # ICAO designator + number
    re.compile(r"()([0-9]+[A-Z]?)"),  # number only
)
