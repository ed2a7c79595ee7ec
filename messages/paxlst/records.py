"""From the message model to passenger records in the catalogue's JSON shape."""

from __future__ import annotations

from typing import Any

import pycountry

from engine.catalogue import CATALOGUE
from messages.paxlst.model import FLIGHT_ID, Document, Leg, Person, iso
from messages.paxlst.problems import Problems

# Airports in New Zealand with scheduled services: the leg arriving at one of these is the
# flight being screened. International arrivals are AKL, CHC, WLG, ZQN and DUD.
NZ_AIRPORTS = (
    frozenset({"AKL", "CHC", "WLG", "ZQN", "DUD"})
    | frozenset({"NSN", "NPE", "ROT", "HLZ", "PMR", "NPL", "TRG", "IVC", "KKE", "BHE", "GIS", "WRE"})
    | frozenset({"TIU", "HKK", "WSZ", "WAG", "TUO", "KAT", "CHT"})
)


def split_flight(journey: str) -> tuple[str, str]:
    """Carrier designator and flight number from a TDT journey id such as QQ877 or UA0989."""
    for pattern in FLIGHT_ID:
        found = pattern.fullmatch(journey)
        if found:
            return found.group(1), found.group(2)
    return "", ""


def alpha3(code: str) -> str | None:
    """ISO 3166-1 alpha-3 for a 2-letter code, and ICAO 9303's D for Germany; others unchanged."""
    if code == "D":
        return "DEU"
    if len(code) == 2 and code.isalpha():
        try:
            country = pycountry.countries.get(alpha_2=code)
        except (KeyError, LookupError):
            country = None
        return country.alpha_3 if country is not None else None
    return code


def arriving_leg(legs: list[Leg]) -> Leg | None:
    """The leg being screened: the first arriving in New Zealand, else the last."""
    for leg in legs:
        if leg.arrival_airport in NZ_AIRPORTS:
            return leg
    return legs[-1] if legs else None


def route_of(legs: list[Leg]) -> list[dict[str, str]]:
    """The legs as itinerary stops: each airport once per visit, with its times."""
    stops: list[dict[str, str]] = []
    for leg in legs:
        if leg.departure_airport:
            if not (stops and stops[-1]["airport"] == leg.departure_airport):
                stops.append({"airport": leg.departure_airport})
            if leg.scheduled_departure:
                stops[-1]["departure"] = leg.scheduled_departure.isoformat()
        if leg.arrival_airport:
            stop = {"airport": leg.arrival_airport}
            if leg.scheduled_arrival:
                stop["arrival"] = leg.scheduled_arrival.isoformat()
            stops.append(stop)
    return stops


def passenger_record(
    passenger_id: str, person: Person, flight: dict[str, str], route: list[dict[str, str]], problems: Problems
) -> dict[str, Any]:
    """One person in the catalogue's JSON shape; missing values are left out."""
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
    }
    _put_section(record, "traveller", traveller)
    primary, visa = _documents(person, problems)
    if primary is not None:
        document = {
            "type": primary.type,
            "number": primary.number,
            "issuing_country": primary.issuing_country,
            "expiry_date": iso(primary.expiry_date),
        }
        _put_section(record, "document", document)
    if visa is not None:
        _put_section(record, "visa", {"expiry_date": iso(visa.expiry_date)})
    _put_section(record, "booking", {"reference": person.booking_reference})
    itinerary = [dict(stop) for stop in route]
    airports = [stop["airport"] for stop in itinerary]
    if person.embarkation and person.embarkation not in airports:
        itinerary.insert(0, {"airport": person.embarkation})
    if person.debarkation and person.debarkation not in airports:
        itinerary.append({"airport": person.debarkation})
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


def _put_section(record: dict[str, Any], name: str, values: dict[str, Any]) -> None:
    present = {key: value for key, value in values.items() if value is not None}
    if present:
        record[name] = present


def drop_field(record: dict[str, Any], path: str) -> bool:
    """Remove the field at a ``check_record`` problem path; False when there is none to remove."""
    if path.startswith("itinerary"):
        return record.pop("itinerary", None) is not None
    section, _, name = path.partition(".")
    values = record.get(section)
    if not name or not isinstance(values, dict) or name not in values:
        return False
    del values[name]
    if not values:
        del record[section]
    return True


def safe_reason(path: str, message: str) -> str:
    """A ``check_record`` message, unless it is about a personal field (it may quote the value)."""
    dotted = path.split("[")[0]
    field_ = CATALOGUE.get(dotted)
    if field_ is not None and field_.personal:
        return "does not fit the field catalogue"
    return message if "'" not in message else "does not fit the field catalogue"
