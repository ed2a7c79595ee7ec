"""From a read PNR to passenger records in the catalogue's JSON shape, one per traveller, each one
``check_record`` accepts (a field it refuses is dropped with a warning naming the field; over
``messages.records`` and ``messages.legs``, which every message reader shares)."""

from __future__ import annotations

import re
from typing import Any

from engine.catalogue import MAX_LIST_LENGTH
from messages.legs import nz_arrival, route_of
from messages.pnrgov.fields import Checks
from messages.pnrgov.model import Address, Flight, Pnr, Traveller
from messages.pnrgov.problems import Problems
from messages.pnrgov.travellers import chosen_document, settle
from messages.records import checked, iso, put_section


class Builder:
    """Turns each PNR, once read, into records added to ``manifest``; keeps passenger ids unique across the message."""

    def __init__(self, problems: Problems, checks: Checks, manifest: list[dict[str, Any]]) -> None:
        self.problems = problems
        self.checks = checks
        self.manifest = manifest
        self.ids: set[str] = set()
        self.pnrs = 0

    def add(self, pnr: Pnr, header: Flight | None) -> None:
        self.pnrs += 1
        settle(pnr, self.problems)
        if pnr.locator is None:
            self.problems.warn("missing_segment", pnr.segment, "the PNR has no readable record locator (RCI)")
        if not pnr.complete:
            # Its itinerary, bags and head count may be missing parts: no record is better than a wrong one.
            self.problems.error(
                "incomplete_pnr",
                pnr.segment,
                f"the message is cut off inside this PNR; its {len(pnr.travellers)} traveller(s) are left out",
            )
            return
        if not pnr.travellers:
            self.problems.warn("no_travellers", pnr.segment, "the PNR names no traveller (TIF)")
            return
        for booked in pnr.legs:
            if booked.codeshare and booked.number is None:
                self.problems.warn(
                    "missing_segment", booked.segment, "a codeshare's operating flight number is not given; left out"
                )
        ids = [self._passenger_id(pnr, traveller, position) for position, traveller in enumerate(pnr.travellers)]
        leg = self._screened_leg(pnr, header)
        flight = self._flight(leg) if leg is not None else {}
        route = self._route(pnr)
        for position, traveller in enumerate(pnr.travellers):
            record = self._record(pnr, traveller, position, ids, (leg, flight), route)
            valid = checked(record, traveller.segment, self.problems, who="traveller", rounds=5)
            if valid is not None:
                self.manifest.append(valid)

    # ---- identity and journey

    def _passenger_id(self, pnr: Pnr, traveller: Traveller, position: int) -> str:
        """Record locator and traveller reference (``W9TEND-43576``): stable, and unique in the message."""
        base = f"{pnr.locator or f'PNR{self.pnrs}'}-{traveller.reference or f'T{position + 1}'}"
        base = re.sub(r"[^A-Za-z0-9._-]", "", base)[:60]
        found, suffix = base, 1
        while found in self.ids:
            suffix += 1
            found = f"{base}-{suffix}"
        if suffix > 1:
            self.problems.warn(
                "duplicate_traveller",
                traveller.segment,
                f"another traveller has the same record locator and reference; passenger_id {found} was given",
            )
        self.ids.add(found)
        return found

    def _screened_leg(self, pnr: Pnr, header: Flight | None) -> Flight | None:
        """The PNR's leg the message was pushed for; else one arriving in New Zealand; else that flight itself."""
        if header is not None:
            wanted = {(header.marketing_carrier, header.marketing_number), (header.carrier, header.number)}
            for leg in pnr.legs:
                same_flight = {(leg.marketing_carrier, leg.marketing_number), (leg.carrier, leg.number)} & wanted
                places = header.departure_airport in (None, leg.departure_airport)
                if same_flight - {(None, None)} and places:
                    return leg
        arriving = nz_arrival(pnr.legs)
        if arriving is not None:
            return arriving
        if header is not None:
            if pnr.legs:
                self.problems.warn(
                    "flight_not_in_itinerary",
                    pnr.segment,
                    "no leg of the PNR is the flight the message was pushed for; flight.* is that flight",
                )
            return header
        if pnr.legs:
            self.problems.warn("no_flight", pnr.segment, "the message names no flight; the PNR's last leg was taken")
            return pnr.legs[-1]
        return None

    def _flight(self, leg: Flight) -> dict[str, Any]:
        """The screened leg as ``flight.*``, but for the traveller's seat."""
        marketing = f"{leg.marketing_carrier}{leg.marketing_number}" if leg.marketing_number else None
        return {
            **leg.as_dict(),
            "codeshare": leg.codeshare,
            "marketing_flight": self.checks.fit(
                "flight.marketing_flight", marketing if leg.marketing_carrier else None, leg.segment, "TVL flight"
            ),
        }

    def _route(self, pnr: Pnr) -> list[dict[str, str]]:
        """The PNR's flights as itinerary stops: each airport once per visit, with its times."""
        stops = route_of(pnr.legs)
        if len(stops) > MAX_LIST_LENGTH:
            self.problems.warn(
                "too_long", pnr.segment, f"the itinerary has {len(stops)} stops; the first {MAX_LIST_LENGTH} are kept"
            )
            stops = stops[:MAX_LIST_LENGTH]
        return stops

    # ---- the record

    def _record(
        self,
        pnr: Pnr,
        traveller: Traveller,
        position: int,
        ids: list[str],
        screened: tuple[Flight | None, dict[str, Any]],
        route: list[dict[str, str]],
    ) -> dict[str, Any]:
        record: dict[str, Any] = {"passenger_id": ids[position]}
        leg, flight = screened
        if leg is not None:
            seat = leg.seats.get(position) or leg.requested_seats.get(traveller.reference)
            put_section(record, "flight", {**flight, "seat": seat})
        adult = traveller.infant_of
        document = chosen_document(traveller, self.problems)
        residence = _address(traveller, adult, "R")
        put_section(
            record,
            "traveller",
            {
                "family_name": traveller.family_name,
                "given_names": traveller.given_names,
                "date_of_birth": iso(document.date_of_birth) if document else None,
                "sex": document.sex if document else None,
                "nationality": document.nationality if document else None,
                "country_of_residence": residence.country if residence else None,
                "frequent_flyer": traveller.frequent_flyer,
                "infant": traveller.infant,
                "with_infant": None if traveller.infant else bool(traveller.with_infant or traveller.infants),
                "accompanied_by": ids[pnr.travellers.index(adult)] if adult is not None else None,
            },
        )
        if document is not None:
            put_section(
                record,
                "document",
                {
                    "type": document.type,
                    "number": document.number,
                    "issuing_country": document.issuing_country,
                    "expiry_date": iso(document.expiry_date),
                },
            )
        visa = next((v for v in traveller.visas if v.type == "V"), None)
        if visa is not None:
            put_section(record, "visa", {"number": visa.number, "issue_date": iso(visa.issue_date)})
        put_section(record, "booking", self._booking(pnr, traveller, position))
        put_section(record, "contact", _contact(pnr, traveller, adult, residence))
        if route:
            record["itinerary"] = [dict(stop) for stop in route]
        return record

    def _booking(self, pnr: Pnr, traveller: Traveller, position: int) -> dict[str, Any]:
        ticket = traveller.tickets[0] if traveller.tickets else None
        # Who paid: the traveller's own ticket, else the booking's first payment (one pays for all).
        tickets = [*traveller.tickets, *(t for other in pnr.travellers for t in other.tickets)]
        payment = next((t for t in tickets if t.payment_method is not None), None)
        bags = [leg.bags[position] for leg in pnr.legs if position in leg.bags]
        fare = ticket.fare if ticket is not None and ticket.currency else None
        return {
            "reference": pnr.locator,
            "booked_at": iso(pnr.created_at),
            "modified_at": iso(pnr.modified_at),
            "ticketed_on": iso((ticket.issued_on if ticket else None) or pnr.ticketed_on),
            "ticket_number": ticket.number if ticket else None,
            "travel_agency": pnr.travel_agency,
            "passengers_in_booking": len(pnr.travellers),
            "payment_method": payment.payment_method if payment else None,
            "card_hash": payment.card_hash if payment else None,
            "checked_bags": max(bags) if bags else None,
            "fare_amount": fare,
            "fare_currency": ticket.currency if fare is not None and ticket is not None else None,
            "total_fare": fare if fare is not None and ticket is not None and ticket.currency == "NZD" else None,
        }


def _address(traveller: Traveller, adult: Traveller | None, kind: str) -> Address | None:
    """The traveller's DOCA of ``kind`` (R or D), else that of the adult an infant travels with."""
    for owner in (traveller, adult):
        if owner is not None:
            found = next((a for a in owner.addresses if a.kind == kind), None)
            if found is not None:
                return found
    return None


def _contact(pnr: Pnr, traveller: Traveller, adult: Traveller | None, residence: Address | None) -> dict[str, Any]:
    owners = [owner for owner in (traveller, adult) if owner is not None]
    holders: list[Traveller | Pnr] = [*owners, pnr]
    emails = [h for owner in owners for h in owner.email_hashes] + pnr.email_hashes
    phones = [h for owner in owners for h in owner.phone_hashes] + pnr.phone_hashes
    home = residence or next(
        (a for owner in holders for a in owner.addresses if a.kind == "ADD" and (a.country or a.text)), None
    )
    destination = _address(traveller, adult, "D")
    return {
        "email_hash": emails[0] if emails else None,
        "phone_hash": phones[0] if phones else None,
        "address": home.text if home else None,
        "destination_address": destination.text if destination else None,
    }
