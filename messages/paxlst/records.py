"""From the PAXLST message model to passenger records in the catalogue's JSON shape (over
``messages.records`` and ``messages.legs``, which every message reader shares)."""

from __future__ import annotations

from typing import Any

from messages import airports
from messages.legs import Leg, stop_at
from messages.paxlst.model import FLIGHT_ID, Document, Person
from messages.paxlst.problems import Problems
from messages.records import iso, put_section


def split_flight(journey: str) -> tuple[str, str]:
    """Carrier designator and flight number from a TDT journey id such as QQ877 or UA0989."""
    for pattern in FLIGHT_ID:
        found = pattern.fullmatch(journey)
        if found:
            return found.group(1), found.group(2)
    return "", ""


def arrival_country(leg: Leg | None) -> str | None:
    """The country the screened leg arrives in, when the airport table knows its airport."""
    return airports.country(leg.arrival_airport) if leg is not None and leg.arrival_airport else None


def role_of(person: Person, entered: str | None) -> str | None:
    """The person's ``traveller.role``: a passenger leaving the flight in a country other than the one
    it arrives in (LOC+179) is in transit there."""
    if person.role == "passenger" and person.debarkation and entered:
        leaves_in = airports.country(person.debarkation)
        if leaves_in is not None and leaves_in != entered:
            return "in_transit"
    return person.role


def passenger_record(
    passenger_id: str,
    person: Person,
    screened: tuple[dict[str, str], str | None],
    route: list[dict[str, str]],
    problems: Problems,
) -> dict[str, Any]:
    """One person in the catalogue's JSON shape; missing values are left out.

    ``screened`` is the flight the records are screened for, as ``flight.*``, and the country it arrives in.
    """
    flight, entered = screened
    record: dict[str, Any] = {"passenger_id": passenger_id}
    if flight:
        record["flight"] = dict(flight)
    traveller = {
        "family_name": person.family_name,
        "given_names": person.given_names,
        "date_of_birth": iso(person.date_of_birth),
        "sex": person.sex,
        "nationality": person.nationality,
        "country_of_residence": person.country_of_residence,
        "role": role_of(person, entered),
    }
    put_section(record, "traveller", traveller)
    primary, visa = _documents(person, problems)
    if primary is not None:
        document = {
            "type": primary.type,
            "number": primary.number,
            "issuing_country": primary.issuing_country,
            "expiry_date": iso(primary.expiry_date),
        }
        put_section(record, "document", document)
    if visa is not None:
        put_section(record, "visa", {"expiry_date": iso(visa.expiry_date)})
    put_section(record, "booking", {"reference": person.booking_reference})
    itinerary = [dict(stop) for stop in route]
    visited = [stop["airport"] for stop in itinerary]
    if person.embarkation and person.embarkation not in visited:
        itinerary.insert(0, stop_at(person.embarkation))
    if person.debarkation and person.debarkation not in visited:
        itinerary.append(stop_at(person.debarkation))
    if itinerary:
        record["itinerary"] = itinerary
    return record


def _documents(person: Person, problems: Problems) -> tuple[Document | None, Document | None]:
    """The travel document (a passport if there is one) and a visa, if any."""
    # A passport first, then any other non-visa document: rules about "the document" mean the one travelled on.
    ranked = sorted(person.documents, key=lambda d: 0 if d.type == "P" else 1 if d.type != "V" else 2)
    primary = ranked[0] if ranked else None
    visa = next((d for d in person.documents if d.type == "V" and d is not primary), None)
    for document in person.documents:
        if document is not primary and document is not visa:
            problems.warn(
                "extra_document", document.segment, "a further travel document has no place in the record; ignored"
            )
    return primary, visa
