"""The message as read: legs (``messages.legs``), documents and people, before they become passenger records."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from messages.edifact import Segment
from messages.legs import Leg

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
class Person:
    """One NAD group: a passenger or crew member."""

    segment: Segment
    crew: bool
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
    seen: set[str] = field(default_factory=set)  # what was read once, to report repeats


@dataclass
class Message:
    """One UNH..UNT message."""

    start: Segment
    reference: str
    version: str
    part: str  # UNH sequence of transfers, "10:F": part 10, final
    document_code: str = ""
    has_bgm: bool = False
    legs: list[Leg] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    counts: list[tuple[str, int, Segment]] = field(default_factory=list)
    segment_count: int = 1
    last: Segment | None = None
    context: str = "header"  # header | leg | person | party (another NAD) | trailer


# BGM document name codes: passenger list, crew list, flight status update (close-out),
# master crew list, gate pass request.
DOCUMENT_TYPES = {"745": "passenger", "250": "crew", "336": "crew", "266": "", "655": ""}
# NAD party qualifiers of people: passenger, crew member, in-transit passenger and crew.
PASSENGER_PARTIES = frozenset({"FL", "DDU"})
CREW_PARTIES = frozenset({"FM", "DDT", "COT"})
VERSIONS = frozenset({"D:02B", "D:05B"})
# PAXLST segments this reader has no use for: read, not reported.
UNUSED_SEGMENTS = frozenset({"COM", "CTA", "GEI", "FTX", "MEA", "EMP", "QTY", "CPI", "AUT", "GID"})
# Known LOC and DTM qualifiers with no field in the catalogue.
UNUSED_LEG_PLACES = frozenset({"130", "188", "172", "22"})
UNUSED_PERSON_PLACES = frozenset({"22", "180"})
UNUSED_PERSON_DATES = frozenset({"182"})
DOCUMENT_TYPE_CODES = {"P": "P", "PT": "P", "PP": "P", "I": "I", "ID": "I", "V": "V"}
FLIGHT_ID = (
    re.compile(r"((?:[A-Z][A-Z0-9])|(?:[0-9][A-Z]))([0-9]+[A-Z]?)"),  # IATA designator + number
    re.compile(r"([A-Z]{3})([0-9]+[A-Z]?)"),  # ICAO designator + number
    re.compile(r"()([0-9]+[A-Z]?)"),  # number only
)
