"""The segment groups of a PNRGOV message, read into the model as the walk meets them.

After the header (MSG, ORG, the TVL of the flight the message is pushed for, EQN) a message
holds one SRC group per PNR: the booking (RCI, SSR, DAT, IFT, ORG, ADD), a TIF group per
traveller (FTI, IFT, SSR, ADD, and per ticket TKT, MON, DAT, FOP), then a TVL group per
flight of the itinerary (a second TVL or a TRA for a codeshare's operating flight; SSR
seats; check-in: DAT, TRI with the traveller's TIF, SSD seat, TBD bags), then split PNRs
(EQN), non-air segments (MSG, whose TVLs are hotels or cars), history (ABI, SAC: past
states, never read as current) and free text (LTS). ``Groups`` keeps which group the walk is
in (``context``) and reads each segment for it; ``messages.pnrgov.reader`` reads the envelope,
whose walk (``messages.envelope``) every message reader shares.
"""

from __future__ import annotations

import datetime as dt
import re

from messages.edifact import Segment
from messages.envelope import Envelope
from messages.pnrgov.contacts import EMAIL_CODES, PHONE_CODES, Hasher, contact_code, email, phones
from messages.pnrgov.fields import Checks
from messages.pnrgov.model import Flight, Message, Pnr, Ticket, Traveller
from messages.pnrgov.problems import Problems
from messages.pnrgov.segments import (
    bag_count,
    operating_flight,
    read_address,
    read_agency,
    read_dat,
    read_doca,
    read_doco,
    read_docs,
    read_fare,
    read_flight,
    read_payment,
    read_rci,
    requested_seats,
    seat_number,
    set_operating,
)
from messages.pnrgov.travellers import read_traveller

# Where the walk is: which group the last segments opened.
HEADER, PNR, TRAVELLER, TICKET, PAYMENT, LEG, CHECKIN, SEAT, SPLIT, NON_AIR, HISTORY = (
    "header", "pnr", "traveller", "ticket", "payment", "leg", "checkin", "seat", "split", "non_air", "history",
)  # fmt: skip
IN_LEG = frozenset({LEG, CHECKIN, SEAT})
IN_TRAVELLER = frozenset({TRAVELLER, TICKET, PAYMENT})
SEAT_REQUESTS = frozenset({"SEAT", "RQST", "NSST", "SMST"})


class Groups(Envelope[Message, Problems]):
    """The state of the walk inside a message (the envelope's is ``Envelope``'s), and a reader
    for each PNRGOV segment there."""

    def __init__(self, problems: Problems, hasher: Hasher, today: dt.date) -> None:
        super().__init__(problems)
        self.checks = Checks(problems)
        self.hasher = hasher
        self.reference = today  # the interchange's date once the UNB gives it
        self.context = HEADER
        self.checkin: int | None = None  # in a check-in group: the position of the traveller it is for

    def _pnr(self) -> Pnr:
        return self._current().pnrs[-1]

    def _latest_birth(self, pnr: Pnr) -> dt.date:
        """No one booked is born after the interchange's date or any day of the journey."""
        return min([self.reference, *(day for leg in pnr.legs for day in leg.days())])

    def _out_of_place(self, segment: Segment) -> None:
        self.problems.warn(
            "out_of_place", segment, f"{segment.tag} is out of place here ({self.context}) and was ignored"
        )

    # ---- message header and PNR groups

    def _msg(self, segment: Segment) -> None:
        if self.context != HEADER:
            self.context = NON_AIR  # a non-air segment (hotel, car): its TVLs are not flights

    def _org(self, segment: Segment) -> None:
        if self.context == PNR:
            pnr = self._pnr()
            if "ORG" not in pnr.seen:
                pnr.seen.add("ORG")
                pnr.travel_agency = read_agency(segment, self.checks)

    def _eqn(self, segment: Segment) -> None:
        message = self._current()
        if self.context == HEADER:
            count = segment.get(0, 0)
            if count.isdigit():
                message.declared_pnrs = (int(count), segment)
            else:
                self.problems.warn("bad_value", segment, "EQN number of PNRs is not a number")
        elif self.context not in (HISTORY, NON_AIR):
            self.context = SPLIT  # a PNR split from this one: its RCI names the other

    def _src(self, segment: Segment) -> None:
        self._current().pnrs.append(Pnr(segment))
        self.context = PNR

    def _rci(self, segment: Segment) -> None:
        if self.context == HEADER:
            self._out_of_place(segment)
        if self.context != PNR:
            return  # the RCI of a flight, a split PNR or history: no field
        pnr = self._pnr()
        if "RCI" in pnr.seen:
            self.problems.warn("repeated_segment", segment, "a second RCI in one PNR was ignored")
            return
        pnr.seen.add("RCI")
        pnr.airline, pnr.locator, pnr.created_at = read_rci(segment, self.checks, self.reference)

    def _dat(self, segment: Segment) -> None:
        if self.context == PNR:
            pnr = self._pnr()
            modified, issued = read_dat(segment, self.checks, self.reference)
            pnr.modified_at = pnr.modified_at or modified
            pnr.ticketed_on = pnr.ticketed_on or issued
        elif self.context == TICKET:
            ticket = self._traveller().tickets[-1]
            _, issued = read_dat(segment, self.checks, self.reference)
            ticket.issued_on = ticket.issued_on or issued
        elif self.context in IN_LEG:
            self.context = CHECKIN  # check-in: the DAT of the agent's transaction
            self.checkin = None

    # ---- travellers

    def _tif(self, segment: Segment) -> None:
        if self.context in (PNR, *IN_TRAVELLER):
            traveller = read_traveller(segment, self.checks)
            if traveller is not None:
                self._pnr().travellers.append(traveller)
                self.context = TRAVELLER
            else:
                self.context = PNR  # a group's name: the segments after it are the booking's
        elif self.context in (CHECKIN, SEAT):
            self.context = SEAT
            self.checkin = self._checked_in(segment, self.checkin)
        elif self.context not in (HISTORY, NON_AIR, SPLIT):
            self._out_of_place(segment)

    def _checked_in(self, segment: Segment, by_tri: int | None) -> int | None:
        """The position in the PNR of the traveller a check-in TIF names: by reference, else by name, else the TRI's."""
        found = read_traveller(segment, self.checks, quiet=True)
        if found is not None:
            for position, traveller in enumerate(self._pnr().travellers):
                if found.reference and traveller.reference == found.reference:
                    return position
            for position, traveller in enumerate(self._pnr().travellers):
                if (found.family_name, found.given_names) == (traveller.family_name, traveller.given_names):
                    return position
        if by_tri is None:
            self.problems.warn(
                "unknown_traveller", segment, "check-in details of a traveller not in the PNR were ignored"
            )
        return by_tri

    def _traveller(self) -> Traveller:
        return self._pnr().travellers[-1]

    def _traveller_part(self, segment: Segment) -> None:
        """FTI: the traveller's frequent-flyer number."""
        if self.context not in IN_TRAVELLER:
            if self.context not in (HISTORY, NON_AIR):
                self._out_of_place(segment)
            return
        traveller = self._traveller()
        if traveller.frequent_flyer is None:
            number = (segment.get(0, 0) + segment.get(0, 1)).replace(" ", "").upper()
            traveller.frequent_flyer = self.checks.fit(
                "traveller.frequent_flyer", number, segment, "FTI frequent-flyer number"
            )

    def _tkt(self, segment: Segment) -> None:
        if self.context not in IN_TRAVELLER:
            if self.context not in (HISTORY, NON_AIR):
                self._out_of_place(segment)
            return
        ticket = Ticket(segment)
        number = segment.get(0, 0)
        ticket.number = (
            self.checks.fit("booking.ticket_number", number, segment, "TKT ticket number") if number else None
        )
        self._traveller().tickets.append(ticket)
        self.context = TICKET

    def _ticket_part(self, segment: Segment) -> None:
        """MON: the ticket's fare."""
        if self.context == TICKET:
            read_fare(segment, self._traveller().tickets[-1], self.checks)
        elif self.context not in (HISTORY, NON_AIR):
            self._out_of_place(segment)

    def _fop(self, segment: Segment) -> None:
        if self.context in (TICKET, PAYMENT):
            read_payment(segment, self._traveller().tickets[-1], self.checks, self.hasher)
            self.context = PAYMENT
        elif self.context not in (HISTORY, NON_AIR):
            self._out_of_place(segment)

    # ---- contacts, addresses and documents

    def _ift(self, segment: Segment) -> None:
        if self.context not in (PNR, TRAVELLER, TICKET) or segment.get(0, 1) in ("43", "15", "19"):
            return  # a card holder's details, fare calculation, history, or a flight's remarks
        for element in range(1, len(segment.elements)):
            found = contact_code(segment.get(element))
            if found is not None:
                self._contact(segment, *found)

    def _contact(self, segment: Segment, code: str, text: str) -> None:
        owner = self._traveller() if self.context in (TRAVELLER, TICKET) else self._pnr()
        if code in EMAIL_CODES:
            address = email(text)
            if address is None:
                self.problems.warn("bad_value", segment, "an e-mail address (CTCE) cannot be read; left out")
            elif (hashed := self.hasher("email", address)) is not None:
                owner.email_hashes.append(hashed)
        elif code in PHONE_CODES:
            numbers = phones(text)
            if not numbers:
                self.problems.warn("bad_value", segment, f"a telephone number (CTC{code}) cannot be read; left out")
            owner.phone_hashes.extend(h for number in numbers if (h := self.hasher("phone", number)) is not None)

    def _add(self, segment: Segment) -> None:
        if self.context not in (PNR, TRAVELLER):
            return  # a card holder's address
        owner = self._traveller() if self.context == TRAVELLER else self._pnr()
        address, phone_hashes, email_hashes = read_address(segment, self.checks, self.hasher)
        owner.addresses.append(address)
        owner.phone_hashes.extend(phone_hashes)
        owner.email_hashes.extend(email_hashes)

    def _ssr(self, segment: Segment) -> None:
        if self.context == HEADER:
            self._out_of_place(segment)
        if self.context in (HISTORY, NON_AIR, SPLIT, HEADER):
            return
        code = segment.get(0, 0).upper()
        pnr = self._pnr()
        owner = self._traveller() if self.context in IN_TRAVELLER else None
        if code == "DOCS":
            documents = owner.documents if owner is not None else pnr.loose_documents
            documents.append(read_docs(segment, self.checks, self._latest_birth(pnr), self._flight_day(pnr)))
        elif code == "DOCO":
            visa = read_doco(segment, self.checks, self.reference)
            if visa is not None:
                (owner.visas if owner is not None else pnr.loose_visas).append(visa)
        elif code == "DOCA":
            address = read_doca(segment, self.checks)
            if address is not None:
                (owner.addresses if owner is not None else pnr.loose_addresses).append(address)
        elif code in ("CTCE", "CTCM") and self.context in (PNR, TRAVELLER, TICKET):
            self._contact(segment, code[-1], ":".join(segment.components(0)[8:]))
        elif code in SEAT_REQUESTS and self.context in IN_LEG:
            pnr.legs[-1].requested_seats.update(requested_seats(segment))

    def _flight_day(self, pnr: Pnr) -> dt.date:
        header = self._current().flight
        days = [day for leg in pnr.legs for day in leg.days()] or (header.days() if header else [])
        return days[0] if days else self.reference

    # ---- flights

    def _tvl(self, segment: Segment) -> None:
        message = self._current()
        if self.context == HEADER:
            if message.flight is None:
                message.flight = read_flight(segment, self.checks, self.reference, "TVL of the message")
            return
        if self.context in (HISTORY, NON_AIR):
            return  # a past state of the booking, or a hotel or car
        pnr = self._pnr()
        if operating_flight(segment):
            if pnr.legs and pnr.legs[-1].codeshare and pnr.legs[-1].number is None:
                set_operating(pnr.legs[-1], segment, self.checks)
            else:
                self.problems.warn(
                    "out_of_place", segment, "a TVL with only a flight number follows no codeshare; ignored"
                )
            return
        pnr.legs.append(read_flight(segment, self.checks, self.reference))
        self.context = LEG

    def _tra(self, segment: Segment) -> None:
        if self.context == LEG:
            set_operating(self._pnr().legs[-1], segment, self.checks, segment.get(0))

    def _tri(self, segment: Segment) -> None:
        if self.context in (CHECKIN, SEAT):
            self.context = SEAT  # a new traveller's check-in: its TIF (else its own reference) names them
            reference = segment.get(1, 3)
            travellers = self._pnr().travellers
            self.checkin = next((n for n, t in enumerate(travellers) if reference and t.reference == reference), None)
        elif self.context not in (HISTORY, NON_AIR):
            self._out_of_place(segment)

    def _seat_part(self, segment: Segment) -> None:
        """SSD (seat) and TBD (bags) of the traveller the check-in TIF named."""
        if self.context not in (SEAT, CHECKIN):
            if self.context not in (HISTORY, NON_AIR):
                self._out_of_place(segment)
            return
        position = self.checkin if self.context == SEAT else None
        if position is None or position >= len(self._pnr().travellers):
            self.problems.warn("out_of_place", segment, f"{segment.tag} names no traveller of the PNR; ignored")
            return
        leg: Flight = self._pnr().legs[-1]
        if segment.tag == "SSD":
            seat = seat_number(segment.get(0))
            if seat is not None:
                leg.seats[position] = seat
            cabin = segment.get(4).upper()
            if re.fullmatch(r"[A-Z]", cabin):
                leg.cabins[position] = cabin
            elif cabin:
                self.problems.warn("bad_value", segment, "SSD cabin class is not one letter; left out")
        else:
            bags = bag_count(segment, self.checks)
            if bags is not None:
                leg.bags[position] = max(bags, leg.bags.get(position, 0))

    def _abi(self, segment: Segment) -> None:
        if self.context != HEADER:
            self.context = HISTORY
