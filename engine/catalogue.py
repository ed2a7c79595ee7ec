"""The typed field catalogue: every field a rule may test, with its type and limits.

This module is the single source of truth for fields. The rule compiler type-checks
conditions against it, the record validator checks incoming passengers against it, and
``docs/fields.md`` is generated from it (``targeting fields --markdown``).

Why this module is long: the catalogue is one table, every field with its type, limits and
documentation, and it stays in one place so that nothing else can define a field.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass


class FieldType(enum.Enum):
    STRING = "string"
    CODE = "code"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    CODE_LIST = "list of codes"


ORDERED_TYPES = frozenset({FieldType.INTEGER, FieldType.DECIMAL, FieldType.DATE, FieldType.DATETIME})
TEXT_TYPES = frozenset({FieldType.STRING, FieldType.CODE})

# Which operators make sense for which type. Anything else is a compile error, which is
# how loose engine typing (``"abc" > 18``, ``"9" > "18"``) is kept out of reach.
OPERATORS_BY_TYPE: dict[FieldType, frozenset[str]] = {
    FieldType.STRING: frozenset({"eq", "ne", "in", "not_in", "matches", "exists"}),
    FieldType.CODE: frozenset({"eq", "ne", "in", "not_in", "matches", "exists"}),
    FieldType.INTEGER: frozenset({"eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "between", "exists"}),
    FieldType.DECIMAL: frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "between", "exists"}),
    FieldType.BOOLEAN: frozenset({"eq", "ne", "exists"}),
    FieldType.DATE: frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "between", "exists"}),
    FieldType.DATETIME: frozenset({"lt", "lte", "gt", "gte", "between", "exists"}),
    FieldType.CODE_LIST: frozenset({"contains", "contains_any", "exists"}),
}

ALL_OPERATORS = frozenset().union(*OPERATORS_BY_TYPE.values())

# ``{field: A, lt_field: B}``: a test of one field against another field of the same record.
FIELD_COMPARISONS = {
    "eq_field": "eq",
    "ne_field": "ne",
    "lt_field": "lt",
    "lte_field": "lte",
    "gt_field": "gt",
    "gte_field": "gte",
}

# Decimals reach the engine as integers in units of 1/DECIMAL_SCALE: durable-rules cannot
# read floats in exponent notation and compares numbers loosely, integers it handles exactly.
DECIMAL_PLACES = 2
DECIMAL_SCALE = 10**DECIMAL_PLACES

MAX_STRING_LENGTH = 200

# Categories of joint watchlist entries; each has its own derived score field.
WATCHLIST_CATEGORIES = ("biosecurity", "customs", "immigration")
MAX_LIST_LENGTH = 50

_COUNTRY = r"[A-Z]{3}"
_AIRPORT = r"[A-Z]{3}"
# Keyed hashes of e-mail addresses, telephone and card numbers (messages.pnrgov.contacts): rules
# link bookings that share one (``eq``, ``in_list``) without the value ever being kept.
_HASHED = (
    "Keyed hash of the {what}: HMAC-SHA256 under the service's identity key, 64 lower-case hex digits. "
    "The value itself is never kept."
)


@dataclass(frozen=True)
class Field:
    """One field of a passenger record that rules may test."""

    name: str
    type: FieldType
    description: str
    pattern: str | None = None  # codes: the whole value must match
    choices: tuple[str, ...] = ()  # codes: closed list of values
    minimum: int | None = None  # integers and decimals
    maximum: int | None = None
    max_length: int = MAX_STRING_LENGTH
    derived: bool = False  # computed by the engine; a record may not supply it
    personal: bool = False  # never logged, never cached in clear
    indexable: bool = False  # a selective key the compiler may route rules by
    code_system: str = ""  # codes: what they name ("country", "airport"); only codes of one system compare

    @property
    def code_kind(self) -> tuple[str, str | None, tuple[str, ...]]:
        """What a code names: two code fields compare only when this is the same."""
        return (self.code_system, self.pattern, self.choices)

    @property
    def operators(self) -> frozenset[str]:
        return OPERATORS_BY_TYPE[self.type]

    def code_problem(self, value: str) -> str | None:
        """Why ``value`` is not a valid code for this field, or None when it is."""
        if self.choices and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}"
        if self.pattern and not _compiled(self.pattern).fullmatch(value):
            return f"must match {self.pattern}"
        return None


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _fields() -> Iterator[Field]:
    F, T = Field, FieldType
    yield F("passenger_id", T.STRING, "The submitting system's identifier for this passenger record.", max_length=64)

    yield F("flight.carrier", T.CODE, "Operating carrier, IATA code.", pattern=r"[A-Z0-9]{2,3}", indexable=True)
    yield F("flight.number", T.CODE, "Flight number without the carrier.", pattern=r"[0-9]{1,4}[A-Z]?")
    yield F(
        "flight.departure_airport",
        T.CODE,
        "Last airport before arrival, IATA.",
        pattern=_AIRPORT,
        code_system="airport",
        indexable=True,
    )
    yield F(
        "flight.arrival_airport",
        T.CODE,
        "Arrival airport in New Zealand, IATA.",
        pattern=_AIRPORT,
        code_system="airport",
        indexable=True,
    )
    yield F("flight.scheduled_departure", T.DATETIME, "Scheduled departure of the arriving flight.")
    yield F("flight.scheduled_arrival", T.DATETIME, "Scheduled arrival of the arriving flight.")
    yield F(
        "flight.codeshare",
        T.BOOLEAN,
        "Sold under another airline's flight number: flight.carrier and flight.number are the operating flight's.",
    )
    yield F(
        "flight.marketing_flight",
        T.STRING,
        "The flight the ticket was sold as, carrier and number (AC9099); for a codeshare not the operating one.",
        max_length=10,
    )
    yield F(
        "flight.seat",
        T.STRING,
        "Seat on the flight, row and letter (15A): at check-in, else as requested.",
        max_length=10,
    )

    yield F("traveller.family_name", T.STRING, "Family name as on the document.", max_length=100, personal=True)
    yield F("traveller.given_names", T.STRING, "Given names as on the document.", max_length=100, personal=True)
    yield F("traveller.date_of_birth", T.DATE, "Date of birth.", personal=True)
    yield F("traveller.sex", T.CODE, "Sex as on the document (ICAO 9303).", choices=("F", "M", "X"))
    yield F(
        "traveller.nationality",
        T.CODE,
        "Nationality, ISO 3166-1 alpha-3.",
        pattern=_COUNTRY,
        code_system="country",
        indexable=True,
    )
    yield F(
        "traveller.country_of_residence",
        T.CODE,
        "Country of residence, ISO 3166-1 alpha-3.",
        pattern=_COUNTRY,
        code_system="country",
        indexable=True,
    )
    yield F(
        "traveller.age", T.INTEGER, "Age in whole years at scheduled arrival.", minimum=0, maximum=150, derived=True
    )
    yield F(
        "traveller.frequent_flyer",
        T.STRING,
        "Frequent-flyer programme and number: the airline's code, then the number (DL1234567890).",
        max_length=30,
        personal=True,
    )
    yield F(
        "traveller.role",
        T.CODE,
        "On board as: passenger, crew (in transit or not), or in_transit (a passenger not entering the "
        "country the flight arrives in). PAXLST: the person's role (NAD+FL, FM, DDT, COT, DDU), else the "
        "list's (BGM+250: crew); a passenger leaving the flight (LOC+179) in another country is in_transit. "
        "Missing when the message does not say.",
        choices=("passenger", "crew", "in_transit"),
    )
    yield F("traveller.infant", T.BOOLEAN, "An infant travelling on an adult's lap (no seat of its own).")
    yield F("traveller.with_infant", T.BOOLEAN, "An adult with an infant on the lap.")
    yield F(
        "traveller.accompanied_by",
        T.STRING,
        "For an infant: the passenger_id of the adult of the same booking it travels with.",
        max_length=64,
    )

    yield F(
        "document.type",
        T.CODE,
        "Travel document type (ICAO 9303: P passport, I identity card, ...).",
        pattern=r"[A-Z]{1,2}",
        indexable=True,
    )
    yield F(
        "document.number",
        T.CODE,
        "Travel document number (up to the 35 characters PAXLST allows).",
        pattern=r"[A-Z0-9]{1,35}",
        personal=True,
    )
    yield F(
        "document.issuing_country",
        T.CODE,
        "Issuing state, ISO 3166-1 alpha-3.",
        pattern=_COUNTRY,
        code_system="country",
        indexable=True,
    )
    yield F("document.expiry_date", T.DATE, "Document expiry date.")
    yield F(
        "document.days_to_expiry",
        T.INTEGER,
        "Days from scheduled arrival to document expiry (negative: expired).",
        minimum=-4_000_000,
        maximum=4_000_000,
        derived=True,
    )

    yield F(
        "visa.type",
        T.CODE,
        "Visa held for this journey.",
        choices=("NONE", "VISITOR", "STUDENT", "WORK", "RESIDENT", "TRANSIT", "WAIVER"),
        indexable=True,
    )
    yield F("visa.expiry_date", T.DATE, "Visa expiry date.")
    yield F(
        "visa.days_to_expiry",
        T.INTEGER,
        "Days from scheduled arrival to visa expiry (negative: expired).",
        minimum=-4_000_000,
        maximum=4_000_000,
        derived=True,
    )
    yield F("visa.previous_refusals", T.INTEGER, "Earlier visa or entry refusals on record.", minimum=0, maximum=1000)
    yield F("visa.number", T.STRING, "Visa number.", max_length=35, personal=True)
    yield F("visa.issue_date", T.DATE, "Day the visa was issued.")

    yield F("booking.reference", T.CODE, "Booking reference (PNR record locator).", pattern=r"[A-Z0-9]{5,8}")
    yield F("booking.booked_at", T.DATETIME, "When the booking was made (the PNR was created).")
    yield F("booking.modified_at", T.DATETIME, "Last change to the booking (its last PNR transaction).")
    yield F("booking.ticketed_on", T.DATE, "Day the ticket was issued.")
    yield F("booking.ticket_number", T.STRING, "Ticket number, airline prefix included (digits).", max_length=20)
    yield F(
        "booking.payment_method",
        T.CODE,
        "How the ticket was paid.",
        choices=("cash", "card", "invoice", "voucher", "miles", "other"),
        indexable=True,
    )
    yield F("booking.travel_agency", T.STRING, "Issuing travel agency (IATA number or name).", max_length=100)
    yield F("booking.checked_bags", T.INTEGER, "Checked bags.", minimum=0, maximum=50)
    yield F("booking.one_way", T.BOOLEAN, "Ticket has no return or onward segment.")
    yield F("booking.total_fare", T.DECIMAL, "Total fare paid, NZD.", minimum=0, maximum=1_000_000)
    yield F(
        "booking.fare_amount",
        T.DECIMAL,
        "Total fare of the ticket in booking.fare_currency, as the airline sent it (not converted).",
        minimum=0,
        maximum=1_000_000_000,
    )
    yield F("booking.fare_currency", T.STRING, "Currency of booking.fare_amount, ISO 4217 (GBP).", max_length=10)
    yield F(
        "booking.card_hash",
        T.STRING,
        _HASHED.format(what="number of the card that paid, upper case without spaces (masked digits as sent)"),
        max_length=64,
        personal=True,
    )
    yield F("booking.passengers_in_booking", T.INTEGER, "Passengers on the same booking.", minimum=1, maximum=999)
    yield F(
        "booking.days_before_departure",
        T.INTEGER,
        "Whole days from booking to scheduled departure.",
        minimum=-4_000_000,
        maximum=4_000_000,
        derived=True,
    )

    yield F(
        "itinerary.countries",
        T.CODE_LIST,
        "Countries of every itinerary leg, in order, without repeats.",
        pattern=_COUNTRY,
        code_system="country",
        derived=True,
        indexable=True,
    )
    yield F(
        "itinerary.airports",
        T.CODE_LIST,
        "Airports of every itinerary leg, in order, without repeats.",
        pattern=_AIRPORT,
        code_system="airport",
        derived=True,
        indexable=True,
    )
    yield F("itinerary.legs", T.INTEGER, "Number of itinerary legs.", minimum=0, maximum=MAX_LIST_LENGTH, derived=True)
    yield F(
        "itinerary.leg_count",
        T.INTEGER,
        "Number of itinerary legs (the same as itinerary.legs).",
        minimum=0,
        maximum=MAX_LIST_LENGTH,
        derived=True,
    )
    yield F(
        "itinerary.country_count",
        T.INTEGER,
        "Number of distinct countries among the itinerary legs.",
        minimum=0,
        maximum=MAX_LIST_LENGTH,
        derived=True,
    )

    yield F(
        "contact.email_hash",
        T.STRING,
        _HASHED.format(what="e-mail address in lower case, the traveller's own else the booking's"),
        max_length=64,
        personal=True,
    )
    yield F(
        "contact.phone_hash",
        T.STRING,
        _HASHED.format(what="telephone number as digits (+ as 00), the traveller's own else the booking's"),
        max_length=64,
        personal=True,
    )
    yield F(
        "contact.address",
        T.STRING,
        "Home address as sent: street, city, state, postcode, then the country (ISO 3166-1 alpha-3).",
        personal=True,
    )
    yield F(
        "contact.destination_address",
        T.STRING,
        "Address at the destination as sent: street, city, state, postcode, then the country (ISO 3166-1 alpha-3).",
        personal=True,
    )

    for name, text in DECLARATIONS.items():
        yield F(f"declarations.{name}", T.BOOLEAN, text)

    yield F(
        "history.prior_biosecurity_infringements",
        T.INTEGER,
        "Earlier MPI infringement notices.",
        minimum=0,
        maximum=1000,
    )
    yield F("history.prior_customs_offences", T.INTEGER, "Earlier Customs offences on record.", minimum=0, maximum=1000)
    yield from _journey_fields()

    yield F(
        "watchlist.score",
        T.DECIMAL,
        "Best score of a joint watchlist match of any category, 0 to 1 (0: none). "
        "Written in rules as `{watchlist: joint, min_score: 0.9}`.",
        minimum=0,
        maximum=1,
        derived=True,
    )
    for category in WATCHLIST_CATEGORIES:
        yield F(
            f"watchlist.{category}_score",
            T.DECIMAL,
            f"Best score of a joint watchlist match of category {category}, 0 to 1 (0: none). "
            f"Written in rules as `{{watchlist: joint, min_score: 0.9, category: {category}}}`.",
            minimum=0,
            maximum=1,
            derived=True,
        )


#: How an API traveller and a PNR traveller of one flight were paired (``messages.journey.MATCH_TESTS``).
JOURNEY_MATCH_TESTS = ("document", "name_and_birth_date", "name")


def _journey_fields() -> Iterator[Field]:
    """One journey from the API (PAXLST) and the PNR (PNRGOV) of a flight (``messages.journey``): set
    when the service joins them, for every traveller of either message."""
    F, T = Field, FieldType
    joined = " Set when a flight's PAXLST and PNRGOV messages are joined."
    yield F("journey.has_api", T.BOOLEAN, "The traveller is in the flight's API (PAXLST): they boarded." + joined)
    yield F("journey.has_pnr", T.BOOLEAN, "The traveller is in the flight's PNR push (PNRGOV): they booked." + joined)
    yield F(
        "journey.matched_by",
        T.CODE,
        "How the API and PNR travellers were paired: by document (number and issuing country), by name and "
        "date of birth, or by name alone (the PNR gives no date of birth). Missing when not paired." + joined,
        choices=JOURNEY_MATCH_TESTS,
    )
    yield F(
        "journey.ambiguous_match",
        T.CODE,
        "The test that found more than one traveller of the other message who could be this one, so none "
        "was paired." + joined,
        choices=JOURNEY_MATCH_TESTS,
    )
    yield F(
        "journey.name_differs",
        T.BOOLEAN,
        "The PNR name differs from the API name (compared without accents, case, spaces or punctuation)." + joined,
    )
    yield F(
        "journey.document_differs",
        T.BOOLEAN,
        "The PNR's document (SSR DOCS) differs from the document travelled on (the API's)." + joined,
    )
    yield F(
        "journey.booked_not_boarded",
        T.BOOLEAN,
        "In the flight's PNR push but not in its API, once the API has come (false when in both)." + joined,
    )
    yield F(
        "journey.boarded_not_booked",
        T.BOOLEAN,
        "In the flight's API but not in its PNR push, once the push has come (false when in both; never for "
        "crew)." + joined,
    )


DECLARATIONS: dict[str, str] = {
    "food": "Declared food of any kind.",
    "plants_or_seeds": "Declared plants, seeds, bulbs, wood or plant products.",
    "animal_products": "Declared animals or animal products (meat, dairy, feathers, shells).",
    "outdoor_equipment": "Declared used outdoor, sports or camping equipment, or soil.",
    "visited_farm": "Visited a farm or forest in the last 30 days.",
    "cash_over_threshold": "Carrying NZD 10,000 or more in cash or equivalent.",
    "goods_over_allowance": "Goods over the duty-free allowance.",
    "restricted_goods": "Weapons, drugs, or other prohibited or restricted goods.",
    "medicines": "Prescription or other medicines.",
}

CATALOGUE: dict[str, Field] = {field.name: field for field in _fields()}


def _leg_fields() -> Iterator[Field]:
    F, T = Field, FieldType
    yield F("leg.airport", T.CODE, "Airport of the leg, IATA.", pattern=_AIRPORT, code_system="airport")
    yield F("leg.country", T.CODE, "Country of the leg, ISO 3166-1 alpha-3.", pattern=_COUNTRY, code_system="country")
    yield F("leg.arrival", T.DATETIME, "When the traveller arrives at the leg's airport.")
    yield F("leg.departure", T.DATETIME, "When the traveller leaves the leg's airport.")
    yield F(
        "leg.stay_hours",
        T.INTEGER,
        "Whole hours from arrival to departure (missing unless both are known and in order).",
        minimum=0,
        maximum=4_000_000,
        derived=True,
    )


#: Fields of one itinerary leg: rules test them only inside ``{any_leg: CONDITION}``.
LEG_CATALOGUE: dict[str, Field] = {field.name: field for field in _leg_fields()}

# The record's top-level objects and the leg fields of ``itinerary``. Records are nested
# JSON; rules address fields by their dotted names above.
SECTIONS = ("flight", "traveller", "document", "visa", "booking", "contact", "declarations", "history", "journey")
LEG_FIELDS: dict[str, FieldType] = {
    "airport": FieldType.CODE,
    "country": FieldType.CODE,
    "arrival": FieldType.DATETIME,
    "departure": FieldType.DATETIME,
}


def field_names() -> list[str]:
    return sorted(CATALOGUE)


def comparison_problem(left: Field, op: str, right: Field) -> str | None:
    """Why ``{field: left, op: right}`` is not a valid field comparison, or None when it is.

    Both sides must hold values of one kind: the same type (integers and decimals count as
    one), and for codes the same code system (a country is never an airport). Ordering
    needs ordered types; equality needs types that have ``eq``. Watchlist scores are set by
    screening down to a threshold and are never compared with another field.
    """
    test = FIELD_COMPARISONS[op]
    for side in (left, right):
        if side.name.startswith("watchlist."):
            return f"{side.name} is a screening score and cannot be compared with another field"
        if test not in side.operators:
            return f"'{op}' is not valid for {side.type.value} field {side.name}"
    numeric = {FieldType.INTEGER, FieldType.DECIMAL}
    if left.type is not right.type and not {left.type, right.type} <= numeric:
        return f"{left.name} ({left.type.value}) cannot be compared with {right.name} ({right.type.value})"
    if left.type is FieldType.CODE and left.code_kind != right.code_kind:
        return f"{left.name} and {right.name} hold different kinds of code"
    return None


def suggest(name: str) -> str | None:
    """The closest catalogue field name, for "did you mean" messages."""
    import difflib

    found = difflib.get_close_matches(name, CATALOGUE, n=1, cutoff=0.6)
    return found[0] if found else None
