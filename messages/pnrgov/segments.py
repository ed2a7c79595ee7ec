"""The meaning of one PNRGOV segment at a time: flights (TVL, TRA), reservation control (RCI),
dates (DAT), documents (SSR DOCS, DOCO, DOCA), addresses (ADD), tickets, fares and payments
(TKT, MON, FOP), seats and bags (SSD, SSR SEAT, TBD). Each reads into the model, checking
values against the catalogue as it goes."""

from __future__ import annotations

import datetime as dt
import re

from messages.countries import alpha3
from messages.edifact import Segment
from messages.pnrgov.contacts import Hasher, card, email, phones
from messages.pnrgov.dates import clock, ddmmyy, docs_date
from messages.pnrgov.fields import Checks
from messages.pnrgov.model import INFANT_SEX, PAYMENT_METHODS, Address, Flight, Ticket, TravelDocument, Visa
from messages.problems import show_code

# --------------------------------------------------------------------------- flights


def flight_number(raw: str) -> str:
    """A flight number without the zeros it is padded to four digits with (0006 is 6)."""
    number = re.sub(r"\s+", "", raw).upper()
    return (number.lstrip("0") or "0") if number else ""


def read_flight(segment: Segment, checks: Checks, reference: dt.date, what: str = "TVL") -> Flight:
    """A TVL: dates and times, airports, marketing and operating carrier, flight number."""
    leg = Flight(segment)
    leg.departure, leg.arrival = _times(segment, checks, reference, what)
    leg.departure_airport = checks.fit(
        "flight.departure_airport", segment.get(1).upper(), segment, f"{what} departure airport"
    )
    leg.arrival_airport = checks.fit(
        "flight.arrival_airport", segment.get(2).upper(), segment, f"{what} arrival airport"
    )
    marketing, operating = segment.get(3, 0).upper(), segment.get(3, 1).upper()
    leg.marketing_carrier = checks.fit("flight.carrier", marketing, segment, f"{what} carrier")
    leg.marketing_number = checks.fit("flight.number", flight_number(segment.get(4)), segment, f"{what} flight number")
    if operating and operating != marketing:
        # A codeshare: the operating flight's number comes in the next TVL (or a TRA).
        leg.codeshare = True
        leg.carrier = checks.fit("flight.carrier", operating, segment, f"{what} operating carrier")
    else:
        leg.carrier = leg.marketing_carrier
        leg.number = leg.marketing_number
    if not leg.marketing_carrier and not leg.carrier:
        checks.problems.warn("bad_value", segment, f"{what} has no carrier")
    if not segment.get(4):
        checks.problems.warn("bad_value", segment, f"{what} has no flight number")
    checks.times.settle(leg)
    return leg


def operating_flight(segment: Segment) -> bool:
    """A TVL that gives only a flight number: the operating flight of the codeshare before it."""
    return not any(segment.get(n) for n in range(4)) and bool(segment.get(4))


def set_operating(leg: Flight, segment: Segment, checks: Checks, carrier: str = "") -> None:
    """The operating flight of a codeshare, from its second TVL or a TRA."""
    if carrier:
        leg.carrier = checks.fit("flight.carrier", carrier.upper(), segment, "TRA operating carrier")
        leg.codeshare = leg.carrier != leg.marketing_carrier
    leg.number = checks.fit(
        "flight.number", flight_number(segment.get(4 if not carrier else 1)), segment, "operating flight number"
    )


def _times(
    segment: Segment, checks: Checks, reference: dt.date, what: str
) -> tuple[dt.datetime | None, dt.datetime | None]:
    first_day, first_time = segment.get(0, 0), segment.get(0, 1)
    second_day, second_time = segment.get(0, 2), segment.get(0, 3)
    if re.fullmatch(r"[0-9]{4}", second_day) and not second_time and clock(second_day):
        checks.problems.warn(
            "misplaced_value", segment, f"{what} arrival time stands where the arrival date belongs; read as the time"
        )
        second_day, second_time = "", second_day
    departure = _moment(first_day, first_time, segment, checks, reference, f"{what} departure")
    # The arrival date may be left out when it is the departure date (TVL+121210:0915::1230).
    arrival = _moment(
        second_day or (first_day if second_time else ""), second_time, segment, checks, reference, f"{what} arrival"
    )
    return departure, arrival


def _moment(day: str, time: str, segment: Segment, checks: Checks, reference: dt.date, what: str) -> dt.datetime | None:
    if not day and not time:
        return None
    date, moment = ddmmyy(day, reference), clock(time)
    if date is None or moment is None:
        checks.problems.warn("bad_date", segment, f"{what} is not a date (DDMMYY) and time (HHMM); left out")
        return None
    # Local to the airport: ``read_flight`` gives it the airport's offset once the airports are read.
    return dt.datetime.combine(date, moment)


# --------------------------------------------------------------------------- booking


def read_rci(segment: Segment, checks: Checks, reference: dt.date) -> tuple[str | None, str | None, dt.datetime | None]:
    """The first RCI reservation: airline, record locator, and when the PNR was created."""
    airline = segment.get(0, 0).upper() or None
    locator = checks.fit(
        "booking.reference", re.sub(r"\s+", "", segment.get(0, 1)).upper(), segment, "RCI record locator"
    )
    day, time = segment.get(0, 3), segment.get(0, 4)
    if not time and re.fullmatch(r"[0-9]{6}", segment.get(0, 2)) and clock(segment.get(0, 3)):
        checks.problems.warn(
            "misplaced_value",
            segment,
            "RCI creation date stands where the reservation control type belongs; read as the date",
        )
        day, time = segment.get(0, 2), segment.get(0, 3)
    created = None
    if day or time:
        date, moment = ddmmyy(day, reference), clock(time)
        if date is None or moment is None:
            checks.problems.warn("bad_date", segment, "RCI creation date and time cannot be read; left out")
        else:
            created = dt.datetime.combine(date, moment)
    return airline, locator, created


def read_dat(segment: Segment, checks: Checks, reference: dt.date) -> tuple[dt.datetime | None, dt.date | None]:
    """A DAT's last PNR transaction (700) and ticket issue (710)."""
    modified: dt.datetime | None = None
    issued: dt.date | None = None
    for element in range(len(segment.elements)):
        qualifier, day, time = segment.get(element, 0), segment.get(element, 1), segment.get(element, 2)
        if qualifier == "700" and modified is None:
            date, moment = ddmmyy(day, reference), clock(time)
            if date is None or moment is None:
                checks.problems.warn(
                    "bad_date", segment, "DAT+700 last transaction date and time cannot be read; left out"
                )
            else:
                modified = dt.datetime.combine(date, moment)
        elif qualifier == "710" and issued is None:
            issued = ddmmyy(day, reference)
            if issued is None:
                checks.problems.warn("bad_date", segment, "DAT+710 ticket issue date cannot be read; left out")
    return modified, issued


def read_agency(segment: Segment, checks: Checks) -> str | None:
    """ORG of a PNR: the agency's IATA number, else its office (the booking's originator)."""
    agency = segment.get(1, 0) or segment.get(1, 1)
    return checks.fit("booking.travel_agency", agency, segment, "ORG travel agency")


def read_address(segment: Segment, checks: Checks, hasher: Hasher) -> tuple[Address, list[str], list[str]]:
    """An ADD: the address, and the hashes of the telephone numbers and e-mail addresses in it."""
    parts = segment.components(1)
    country = _country_as_sent(parts[5] if len(parts) > 5 else "")
    text = ", ".join(part for part in [*parts[1:4], *parts[6:7], country or ""] if part) or None
    # The ADD itself is not kept: it holds telephone numbers and e-mail addresses in clear.
    kept = Segment(segment.number, segment.tag, [], None)
    address = Address(kept, "", "ADD", country, checks.fit("contact.address", text, segment, "ADD address"))
    phone_text = parts[7] if len(parts) > 7 else ""
    phone_hashes = [h for number in phones(phone_text) if (h := hasher("phone", number))]
    found = email(" ".join(parts[8:]))
    email_hashes = [h] if found and (h := hasher("email", found)) else []
    return address, phone_hashes, email_hashes


# --------------------------------------------------------------------------- special service requests


def ssr_reference(segment: Segment) -> str:
    """The traveller reference an SSR names (``SSR+DOCS:...+::43576``), or ""."""
    return segment.get(1, 2)


def ssr_text(segment: Segment) -> str:
    """An SSR's free text: the ninth component on, as one string."""
    return ":".join(segment.components(0)[8:])


def _fields(text: str) -> list[str]:
    tokens = [token.strip() for token in text.split("/")]
    return tokens if text.startswith("/") else ["", *tokens]


def read_docs(segment: Segment, checks: Checks, latest_birth: dt.date, flight_day: dt.date) -> TravelDocument:
    """SSR DOCS: /type/issuing state/number/nationality/birth date/sex/expiry/surname/given names."""
    parts = _fields(ssr_text(segment))
    part = (parts + [""] * 11)[:11]
    found = TravelDocument(segment, ssr_reference(segment))
    found.type = checks.fit("document.type", part[1].upper(), segment, "DOCS document type")
    found.issuing_country = checks.country(part[2], segment, "DOCS issuing state", "document.issuing_country")
    found.number = checks.fit("document.number", re.sub(r"\s+", "", part[3]).upper(), segment, "DOCS document number")
    found.nationality = checks.country(part[4], segment, "DOCS nationality", "traveller.nationality")
    if part[5]:
        found.date_of_birth = docs_date(part[5], latest_birth, birth=True)
        if found.date_of_birth is None:
            checks.problems.warn(
                "bad_date", segment, "DOCS date of birth is not a date (DDMMMYY) before the flight; left out"
            )
    sex = part[6].upper()
    if sex in ("M", "F", "X"):
        found.sex = sex
    elif sex in INFANT_SEX:
        found.sex, found.infant = INFANT_SEX[sex], True
    elif sex in ("U", ""):
        if sex:
            checks.problems.warn("unknown_sex", segment, "DOCS sex is unknown (U) and was left out")
    else:
        checks.problems.warn("bad_value", segment, f"DOCS sex {show_code(sex)} is not M, F, MI, FI, U or X; left out")
    if part[7]:
        found.expiry_date = docs_date(part[7], flight_day)
        if found.expiry_date is None:
            checks.problems.warn("bad_date", segment, "DOCS expiry date is not a date (DDMMMYY); left out")
    return found


def read_doco(segment: Segment, checks: Checks, today: dt.date) -> Visa | None:
    """SSR DOCO: /place of birth/type/number/place of issue/issue date; a visa (V) only."""
    part = (_fields(ssr_text(segment)) + [""] * 8)[:8]
    kind = part[2].upper()
    if kind != "V":
        return None  # redress numbers and known-traveller numbers have no field
    visa = Visa(segment, ssr_reference(segment), kind)
    visa.number = checks.fit("visa.number", re.sub(r"\s+", "", part[3]).upper(), segment, "DOCO visa number")
    if part[5]:
        visa.issue_date = docs_date(part[5], today, birth=True)
        if visa.issue_date is None:
            checks.problems.warn("bad_date", segment, "DOCO issue date is not a date (DDMMMYY); left out")
    return visa


def read_doca(segment: Segment, checks: Checks) -> Address | None:
    """SSR DOCA: /R (residence) or D (destination)/country/street/city/state/postcode."""
    part = (_fields(ssr_text(segment)) + [""] * 7)[:7]
    kind = part[1].upper()
    if kind not in ("R", "D"):
        checks.problems.warn(
            "unknown_qualifier", segment, f"DOCA address type {show_code(kind)} is not R or D; ignored"
        )
        return None
    name = "contact.address" if kind == "R" else "contact.destination_address"
    if kind == "R":
        country = checks.country(part[2], segment, "DOCA country of residence", "traveller.country_of_residence")
    else:
        country = _country_as_sent(part[2])
    text = ", ".join(value for value in [*part[3:7], country or ""] if value) or None
    return Address(segment, ssr_reference(segment), kind, country, checks.fit(name, text, segment, "DOCA address"))


def _country_as_sent(raw: str) -> str | None:
    """A country in an address: ISO alpha-3 when it is a code, else as sent (it is only part of the address)."""
    code = raw.strip().upper()
    converted = alpha3(code) if code else None
    return converted if converted and re.fullmatch(r"[A-Z]{3}", converted) else (raw.strip() or None)


def requested_seats(segment: Segment) -> dict[str, str]:
    """SSR SEAT (RQST, NSST): traveller reference to seat, for the seats named."""
    seats = {}
    for element in range(1, len(segment.elements)):
        seat, reference = seat_number(segment.get(element, 0)), segment.get(element, 2)
        if seat and reference:
            seats[reference] = seat
    return seats


def seat_number(raw: str) -> str | None:
    """A seat as the catalogue keeps it (039G is 39G); None for none (XXX) or nonsense."""
    found = re.fullmatch(r"0*([0-9]{1,3}[A-Z])", raw.strip().upper())
    return found.group(1) if found else None


# --------------------------------------------------------------------------- tickets and payments


def read_fare(segment: Segment, ticket: Ticket, checks: Checks) -> None:
    """MON: the total (T) amount and its currency."""
    for element in range(len(segment.elements)):
        if segment.get(element, 0).upper() == "T":
            amount, currency = segment.get(element, 1), segment.get(element, 2).upper()
            if not currency:
                checks.problems.warn("bad_value", segment, "MON total has no currency; the fare is left out")
                return
            ticket.currency = checks.fit("booking.fare_currency", currency, segment, "MON currency")
            if ticket.currency is not None:
                try:
                    float(amount)
                    ticket.fare = amount
                except ValueError:
                    checks.problems.warn("bad_value", segment, "MON total is not a number; left out")
            return
    checks.problems.warn("bad_value", segment, "MON has no total amount (qualifier T); the fare is left out")


def read_payment(segment: Segment, ticket: Ticket, checks: Checks, hasher: Hasher) -> None:
    """FOP: the first form of payment, and the card's keyed hash."""
    kind = segment.get(0, 0).upper()
    method = PAYMENT_METHODS.get(kind)
    if method is None:
        checks.problems.warn("bad_value", segment, f"FOP payment type {show_code(kind)} is not known; left out")
    elif ticket.payment_method is None:
        ticket.payment_method = method
    number = segment.get(0, 4)
    if method == "card" and number and ticket.card_hash is None:
        cleaned = card(number)
        if cleaned is None:
            checks.problems.warn("bad_value", segment, "FOP card number cannot be read; left out")
        else:
            ticket.card_hash = hasher("card", cleaned)


def bag_count(segment: Segment, checks: Checks) -> int | None:
    """TBD: the number of checked bags."""
    raw = segment.get(1, 0)
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > 50:
        checks.problems.warn("bad_value", segment, "TBD number of bags is not a number from 0 to 50; left out")
        return None
    return int(raw)
