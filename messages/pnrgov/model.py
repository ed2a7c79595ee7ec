"""The message as read: each PNR (SRC group) with its travellers (TIF) and legs (TVL), before
they become passenger records. E-mail addresses, telephone and card numbers are held only as
keyed hashes (``messages.pnrgov.contacts``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from messages.edifact import Segment
from messages.legs import Leg

# --------------------------------------------------------------------------- message model


@dataclass
class Flight(Leg):
    """One air segment of a PNR's itinerary (a TVL group), or the flight a message is pushed for.

    ``carrier`` and ``number`` are the operating flight's: the marketing one's unless a codeshare
    names another, and no number for a codeshare whose operating flight is not given.
    """

    marketing_carrier: str | None = None
    marketing_number: str | None = None
    codeshare: bool = False
    # Per traveller (by position in the PNR's travellers): seat and cabin at check-in (SSD), bags (TBD).
    seats: dict[int, str] = field(default_factory=dict)
    cabins: dict[int, str] = field(default_factory=dict)
    bags: dict[int, int] = field(default_factory=dict)
    requested_seats: dict[str, str] = field(default_factory=dict)  # traveller reference -> seat (SSR SEAT)


@dataclass
class TravelDocument:
    """One SSR DOCS: a traveller's identity and travel document."""

    segment: Segment
    reference: str  # the traveller reference the SSR names, or ""
    type: str | None = None
    issuing_country: str | None = None
    number: str | None = None
    nationality: str | None = None
    date_of_birth: dt.date | None = None
    sex: str | None = None
    infant: bool = False  # sex MI or FI: the document of an infant on an adult's lap
    expiry_date: dt.date | None = None

    def filled(self) -> int:
        values = (self.type, self.number, self.issuing_country, self.nationality, self.date_of_birth, self.sex)
        return sum(value is not None for value in (*values, self.expiry_date))

    def facts(self) -> tuple[object, ...]:
        """What two DOCS of one person must agree on."""
        return (self.number, self.date_of_birth, self.nationality)


@dataclass
class Visa:
    """One SSR DOCO: a visa or other document needed for the journey."""

    segment: Segment
    reference: str
    type: str | None = None
    number: str | None = None
    issue_date: dt.date | None = None


@dataclass
class Address:
    """One SSR DOCA (residence ``R`` or destination ``D``) or ADD address."""

    segment: Segment
    reference: str
    kind: str  # "R" residence, "D" destination, "ADD" a booking address
    country: str | None = None  # ISO alpha-3 (for an ADD or a destination: as sent when not a code)
    text: str | None = None  # street, city, state, postcode as sent, then the country, comma-separated


@dataclass
class Ticket:
    """One TKT group: ticket number, fare (MON), issue date (DAT) and payment (FOP)."""

    segment: Segment
    number: str | None = None
    fare: str | None = None  # total (MON T), a decimal as text
    currency: str | None = None
    issued_on: dt.date | None = None
    payment_method: str | None = None
    card_hash: str | None = None


@dataclass
class Traveller:
    """One TIF group: a traveller of the PNR."""

    segment: Segment
    family_name: str | None = None
    given_names: str | None = None
    reference: str = ""
    kind: str = ""  # TIF traveller type: A adult, C child, IN infant, ...
    with_infant: bool = False  # TIF says an infant travels with this adult
    frequent_flyer: str | None = None
    documents: list[TravelDocument] = field(default_factory=list)
    visas: list[Visa] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    email_hashes: list[str] = field(default_factory=list)
    phone_hashes: list[str] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    infant_of: Traveller | None = None  # for an infant: the adult it travels with
    infants: list[Traveller] = field(default_factory=list)

    @property
    def infant(self) -> bool:
        return self.kind == "IN"


@dataclass
class Pnr:
    """One SRC group: a booking pushed in the message."""

    segment: Segment
    locator: str | None = None
    airline: str | None = None
    created_at: dt.datetime | None = None
    modified_at: dt.datetime | None = None
    ticketed_on: dt.date | None = None
    travel_agency: str | None = None
    travellers: list[Traveller] = field(default_factory=list)
    legs: list[Flight] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    email_hashes: list[str] = field(default_factory=list)
    phone_hashes: list[str] = field(default_factory=list)
    # SSR DOCS/DOCO/DOCA read outside a TIF group, tied to a traveller by reference when the PNR ends.
    loose_documents: list[TravelDocument] = field(default_factory=list)
    loose_visas: list[Visa] = field(default_factory=list)
    loose_addresses: list[Address] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # what was read once, to report repeats
    complete: bool = True  # False when the message ends inside it

    def traveller(self, reference: str) -> Traveller | None:
        return next((t for t in self.travellers if reference and t.reference == reference), None)


@dataclass
class Message:
    """One UNH..UNT message."""

    start: Segment
    reference: str
    version: str
    flight: Flight | None = None
    declared_pnrs: tuple[int, Segment] | None = None  # EQN
    pnrs: list[Pnr] = field(default_factory=list)
    segment_count: int = 1
    last: Segment | None = None


VERSIONS = frozenset({"10.1", "11.1", "13.1"})
# PNRGOV segments this reader has no use for wherever they stand: read, not reported. REF (a
# reference), FAR (fare category), PTK (pricing), TXD (taxes), EBD (excess bags charged), APD
# (aircraft type), RPI (status), ERC (an error code).
UNUSED_SEGMENTS = frozenset({"REF", "FAR", "PTK", "TXD", "EBD", "APD", "RPI", "ERC"})
# FOP payment types (IATA 9888) and the catalogue's payment methods.
PAYMENT_METHODS = {
    "CA": "cash",
    "CC": "card",
    "DC": "card",
    "CK": "other",
    "MS": "other",
    "NR": "other",
    "PT": "other",
    "GR": "invoice",
    "DB": "invoice",
    "IN": "invoice",
    "VO": "voucher",
    "FF": "miles",
}
INFANT_SEX = {"MI": "M", "FI": "F"}
TITLES_SPACED = ("MR", "MRS", "MS", "MISS", "MSTR", "DR", "PROF")
# Titles also stripped when written onto the given name (JOHNMR): never the last letters of a name.
# MS and DR are not among them (WILLIAMS, ALEXANDR).
TITLES_GLUED = ("MRS", "MR", "MISS", "MSTR")
