"""The PAXLST reader: segment groups in order, into the message model, then into records.

Why this module is long: one class walks the message, because the segment groups are a
state machine (the header, then each leg, then its people, each with documents and dates)
whose state and problem reporting are shared by every segment handler. The envelope walk
(``messages.envelope``), the header and flight groups (``flights``), routes and legs
(``route``), dates, the model, the records built from it and the lexical layer are modules
of their own."""

from __future__ import annotations

import datetime as dt
import re
from typing import TypeVar

from messages.edifact import Lexed, Segment, as_text, lex
from messages.legs import route_of
from messages.paxlst.dates import birth_date, near_date, parse_stamp
from messages.paxlst.flights import Flights
from messages.paxlst.model import (
    CREW_LISTS,
    DOCUMENT_TYPE_CODES,
    DOCUMENT_TYPES,
    ROLES,
    UNUSED_PERSON_DATES,
    UNUSED_PERSON_PLACES,
    UNUSED_SEGMENTS,
    VERSIONS,
    Document,
    Message,
    Person,
)
from messages.paxlst.problems import PaxlstProblem, PaxlstResult, Problems
from messages.paxlst.records import arrival_country, passenger_record
from messages.paxlst.route import all_legs, screened_leg, unused_times
from messages.problems import MessageError, show_code
from messages.records import checked

_V = TypeVar("_V")


def read_paxlst(text: str | bytes, *, today: dt.date | None = None) -> PaxlstResult:
    """Read one PAXLST interchange into a manifest of passenger records.

    ``today`` (default: the current UTC date) bounds two-digit years: a date of birth is
    never after it or the flight. Raises ``PaxlstError`` only when nothing usable can be
    read (not EDIFACT, no UNH or BGM, unreadable separators, cut off before any
    passenger); anything less is reported in ``problems`` and the rest is still read.
    """
    problems = Problems()
    today = today or dt.datetime.now(dt.UTC).date()
    lexed = lex(as_text(text, problems, "PAXLST"), problems)
    reader = _Reader(problems, today)
    reader.read(lexed)
    return reader.result()


# --------------------------------------------------------------------------- the reader


class _Reader(Flights):
    """Walks the segments once (``messages.envelope``), dispatching on the tag, and builds the manifest."""

    MESSAGE_TYPE = "PAXLST"
    UNSPLIT = "the text could not be split into segments from here on; the rest is lost"

    def __init__(self, problems: Problems, today: dt.date) -> None:
        super().__init__(problems, today)
        self.sequence = 0
        self.ung: tuple[Segment, str, int] | None = None  # segment, reference, messages in the group
        self.group_open = False
        self.groups = 0
        self.handlers = {
            "UNA": self._ignore,
            "UNB": self._unb,
            "UNG": self._ung,
            "UNH": self._unh,
            "UNT": self._unt,
            "UNE": self._une,
            "UNZ": self._unz,
            "BGM": self._bgm,
            "TDT": self._tdt,
            "NAD": self._nad,
            "LOC": self._loc,
            "DTM": self._dtm,
            "ATT": self._att,
            "NAT": self._nat,
            "DOC": self._doc,
            "RFF": self._rff,
            "CNT": self._cnt,
            "PDT": self._pdt,
        }
        for tag in UNUSED_SEGMENTS:
            self.handlers[tag] = self._ignore

    # ---- the end of input (``Envelope._end_of_input``) and the result

    def _cut_off(self, message: Message, where: Segment) -> None:
        self.problems.error(
            "truncated", where, f"message {show_code(message.reference)} has no UNT trailer: it is cut off"
        )
        self._finish(message)

    def _no_message(self, lexed: Lexed, end: Segment) -> MessageError[PaxlstProblem]:
        if lexed.mentions_unh:
            return self.problems.fatal(
                "wrong_separators", end, "a UNH segment is in the text but was not read: the separators do not match"
            )
        return super()._no_message(lexed, end)

    def _check_messages(self, end: Segment) -> None:
        if not any(m.has_bgm for m in self.messages):
            raise self.problems.fatal(
                "missing_bgm", end, "no BGM segment: the message says neither passenger nor crew list"
            )
        if self.group_open:
            self.problems.warn("missing_segment", end, "the functional group has no UNE trailer")

    def _no_one(self, end: Segment) -> None:
        if self.problems.has_errors():
            raise self.problems.fatal("no_passengers", end, "no passenger or crew member could be read")
        self.problems.warn("no_passengers", end, "the message lists no passengers or crew")

    def result(self) -> PaxlstResult:
        legs: list[dict[str, str]] = []
        for message in self.messages:
            for leg in all_legs(message.flights):
                if leg.as_dict() not in legs:
                    legs.append(leg.as_dict())
        flight = None
        for message in self.messages:
            chosen = screened_leg(message.flights)
            if chosen is not None:
                flight = chosen.as_dict()
                break
        kinds = {self._kind(m) for m in self.messages} - {""}
        message_type = kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "passenger")
        version = next((m.version for m in self.messages if m.version), "")
        return PaxlstResult(self.manifest, flight, legs, message_type, version, self.problems.sorted())

    @staticmethod
    def _kind(message: Message) -> str:
        kind = DOCUMENT_TYPES.get(message.document_code, "")
        if kind:
            return kind
        if not message.persons:
            return ""
        return "crew" if all(p.crew for p in message.persons) else "passenger"

    def _out_of_place(self, segment: Segment, where: str) -> None:
        self.problems.warn("out_of_place", segment, f"{segment.tag} {where} was ignored")

    # ---- envelopes (UNB and UNT: ``Envelope``)

    def _ung(self, segment: Segment) -> None:
        self._close_open_message(segment)
        self.ung = (segment, segment.get(4), 0)
        self.group_open = True
        self.groups += 1

    def _unh(self, segment: Segment) -> None:
        self._close_open_message(segment)
        self._check_message_type(segment)
        version = f"{segment.get(1, 1)}:{segment.get(1, 2)}".upper()
        if version == ":":
            version = ""
        if version and version not in VERSIONS:
            self.problems.warn("unknown_version", segment, "directory version is neither D:02B nor D:05B; read anyway")
        self.message = Message(segment, segment.get(0), version, ":".join(segment.components(3)))
        self.message.last = segment
        if self.ung is not None:
            self.ung = (self.ung[0], self.ung[1], self.ung[2] + 1)

    def _close_open_message(self, segment: Segment) -> None:
        if self.message is not None:
            self.problems.error(
                "truncated",
                segment,
                f"message {show_code(self.message.reference)} has no UNT trailer: it may be cut off",
            )
            self._finish(self.message)

    def _une(self, segment: Segment) -> None:
        self._close_open_message(segment)
        if self.ung is None:
            self.problems.warn("out_of_place", segment, "UNE without a UNG group header was ignored")
            return
        self.group_open = False
        _, reference, messages = self.ung
        self._check_count(segment, "UNE", "messages", messages)
        if segment.get(1) != reference:
            self.problems.warn("reference_mismatch", segment, "UNE group reference differs from the UNG reference")

    def _unz(self, segment: Segment) -> None:
        self._close_open_message(segment)
        self.unz = segment
        if self.ung is not None:
            self._check_count(segment, "UNZ", "groups", self.groups)
        else:
            self._check_count(segment, "UNZ", "messages", len(self.messages))
        if self.unb is None:
            self.problems.warn("missing_segment", segment, "UNZ without a UNB interchange header")
        elif segment.get(1) != self.unb.get(4):
            self.problems.warn(
                "reference_mismatch", segment, "UNZ interchange reference differs from the UNB reference"
            )

    def _check_count(self, segment: Segment, tag: str, what: str, found: int) -> None:
        declared = segment.get(0)
        if not declared.isdigit():
            self.problems.warn("bad_value", segment, f"{tag} count of {what} is not a number")
        elif int(declared) != found:
            self.problems.warn("count_mismatch", segment, f"{tag} says {int(declared)} {what} but there are {found}")

    # ---- people (NAD group)

    def _nad(self, segment: Segment) -> None:
        message = self._current()
        qualifier = segment.get(0).upper()
        if qualifier == "MS":
            message.context = "header" if not message.flights else "party"  # the reporting party
            return
        names = segment.components(3)
        family, given = (names[0] if names else ""), " ".join(part for part in names[1:] if part)
        if qualifier not in ROLES and not (family or given):
            message.context = "party"
            self.problems.warn(
                "unknown_qualifier",
                segment,
                f"NAD party {show_code(qualifier)} names no one and is not a passenger or crew member; "
                "its group was ignored",
            )
            return
        message.context = "person"
        person = Person(segment, role=self._role(segment, qualifier))
        message.persons.append(person)
        if not family:
            self.problems.error("missing_name", segment, "NAD has no family name; the record is kept without it")
        person.family_name = self._fit("traveller.family_name", family, segment, "NAD family name") if family else None
        person.given_names = self._fit("traveller.given_names", given, segment, "NAD given names") if given else None

    def _role(self, segment: Segment, qualifier: str) -> str | None:
        """The person's ``traveller.role``; None when neither the NAD nor the list says.

        A named person is never dropped: one whose party qualifier this reader does not know (a
        land-border driver, say) is read with a warning, as crew on a crew list, else of no role.
        """
        crew_list = self._current().document_code in CREW_LISTS
        role = ROLES.get(qualifier)
        if role is None:
            read_as = "crew, on a crew list" if crew_list else "a traveller of unknown role (traveller.role left out)"
            self.problems.warn(
                "unknown_role", segment, f"NAD party {show_code(qualifier)} is not a known role: read as {read_as}"
            )
            return "crew" if crew_list else None
        if crew_list and role != "crew":
            self.problems.warn(
                "role_conflict", segment, f"NAD+{qualifier} (a passenger) on a crew list (BGM): read as a passenger"
            )
        return role

    def _person(self) -> Person:
        return self._current().persons[-1]

    def _first(self, segment: Segment, key: str) -> bool:
        """Whether no ``key`` has given the current person a value yet; a repeat after one is reported.

        A repeat after an empty or unreadable one is read: its value is the one the sender meant.
        """
        if key in self._person().seen:
            self.problems.warn("repeated_segment", segment, f"a second {key} for one person was ignored")
            return False
        return True

    def _kept(self, key: str, value: _V) -> _V:
        """``value``, noted as read for ``key`` unless it is None (so a later ``key`` may still give one)."""
        if value is not None:
            self._person().seen.add(key)
        return value

    def _att(self, segment: Segment) -> None:
        if not self._in_person(segment) or segment.get(0) != "2" or not self._first(segment, "ATT+2"):
            return
        sex = segment.get(2).upper()
        if sex in ("M", "F", "X"):
            self._person().sex = self._kept("ATT+2", sex)
        elif sex in ("U", ""):
            self.problems.warn("unknown_sex", segment, "ATT+2 sex is unknown or unspecified and was left out")
        else:
            self.problems.warn("bad_value", segment, f"ATT+2 sex {show_code(sex)} is not M, F or X and was left out")

    def _nat(self, segment: Segment) -> None:
        if not self._in_person(segment) or segment.get(0) not in ("2", "") or not self._first(segment, "NAT"):
            return
        nationality = self._country(segment.get(1), segment, "NAT nationality", "traveller.nationality")
        self._person().nationality = self._kept("NAT", nationality)

    def _person_loc(self, segment: Segment) -> None:
        person = self._person()
        qualifier, place = segment.get(0), segment.get(1)
        if qualifier == "91":
            document = self._document(segment, "LOC+91")
            key = f"LOC+91 of document {len(person.documents)}"
            if document is not None and self._first(segment, key):
                issuer = self._country(place, segment, "LOC+91 issuing country", "document.issuing_country")
                document.issuing_country = self._kept(key, issuer)
        elif qualifier == "174":
            if self._first(segment, "LOC+174"):
                residence = self._country(
                    place, segment, "LOC+174 country of residence", "traveller.country_of_residence"
                )
                person.country_of_residence = self._kept("LOC+174", residence)
        elif qualifier in ("178", "179"):
            if self._first(segment, f"LOC+{qualifier}"):
                airport = self._fit("itinerary.airports", place.upper(), segment, f"LOC+{qualifier} airport")
                if qualifier == "178":
                    person.embarkation = self._kept("LOC+178", airport)
                else:
                    person.debarkation = self._kept("LOC+179", airport)
        elif qualifier not in UNUSED_PERSON_PLACES:
            self.problems.warn(
                "unknown_qualifier", segment, f"LOC qualifier {show_code(qualifier)} for a person was ignored"
            )

    def _person_dtm(self, segment: Segment) -> None:
        person = self._person()
        qualifier = segment.get(0, 0)
        if qualifier == "329":
            if self._first(segment, "DTM+329"):
                stamp = parse_stamp(segment.get(0, 1), segment.get(0, 2))
                day = birth_date(stamp, self._latest_birth()) if stamp else None
                if day is None:
                    self.problems.warn(
                        "bad_date",
                        segment,
                        "DTM+329 date of birth is not a valid date, or is after the flight; left out",
                    )
                person.date_of_birth = self._kept("DTM+329", day)
        elif qualifier == "36":
            document = self._document(segment, "DTM+36")
            key = f"DTM+36 of document {len(person.documents)}"
            if document is not None and self._first(segment, key):
                stamp = parse_stamp(segment.get(0, 1), segment.get(0, 2))
                day = near_date(stamp, self._flight_day()) if stamp else None
                if day is None:
                    self.problems.warn("bad_date", segment, "DTM+36 expiry date is not a valid date and was left out")
                document.expiry_date = self._kept(key, day)
        elif qualifier not in UNUSED_PERSON_DATES:
            self.problems.warn(
                "unknown_qualifier", segment, f"DTM qualifier {show_code(qualifier)} for a person was ignored"
            )

    def _latest_birth(self) -> dt.date:
        """No one on the list is born after today or after any date of the flight."""
        return min([self.today, *self._days()])

    def _flight_day(self) -> dt.date:
        days = self._days()
        return days[0] if days else self.today

    def _days(self) -> list[dt.date]:
        """The local days of the flights' times, in message order."""
        stops = [stop for group in self._current().flights for stop in group.stops]
        return [moment.date() for stop in stops for moment in (stop.arrival, stop.departure) if moment is not None]

    def _doc(self, segment: Segment) -> None:
        if not self._in_person(segment):
            return
        document = Document(segment)
        self._person().documents.append(document)
        raw = segment.get(0).upper()
        kind = DOCUMENT_TYPE_CODES.get(raw)
        if kind is None:
            letters = re.match(r"[A-Z]{1,2}", raw)
            kind = letters.group() if letters else None
        if kind is None:
            what = (
                f"DOC document type {show_code(raw)} is not a document type code" if raw else "DOC has no document type"
            )
            self.problems.warn("bad_value", segment, what)
        document.type = kind
        number = re.sub(r"\s+", "", segment.get(1)).upper()
        if number:
            document.number = self._fit("document.number", number, segment, "DOC document number")
        else:
            self.problems.warn("bad_value", segment, "DOC has no document number")

    def _document(self, segment: Segment, label: str) -> Document | None:
        documents = self._person().documents
        if not documents:
            self.problems.warn("out_of_place", segment, f"{label} before any DOC was ignored")
            return None
        return documents[-1]

    def _rff(self, segment: Segment) -> None:
        message = self._current()
        if message.context != "person" or segment.get(0, 0) != "AVF":
            return  # transaction, seat and other references have no field in the catalogue
        if not self._first(segment, "RFF+AVF"):
            return
        reference = segment.get(0, 1).upper()
        found = self._fit("booking.reference", reference, segment, "RFF+AVF reservation reference")
        self._person().booking_reference = self._kept("RFF+AVF", found)

    def _in_person(self, segment: Segment) -> bool:
        context = self._current().context
        if context == "person":
            return True
        if context != "party":
            self._out_of_place(segment, "outside a passenger or crew member")
        return False

    # ---- context-dependent LOC and DTM

    def _loc(self, segment: Segment) -> None:
        context = self._current().context
        if context == "leg":
            self._leg_loc(segment)
        elif context == "person":
            self._person_loc(segment)
        elif context == "trailer":
            self._out_of_place(segment, "after CNT")

    def _dtm(self, segment: Segment) -> None:
        context = self._current().context
        if context == "leg":
            self._leg_dtm(segment)
        elif context == "person":
            self._person_dtm(segment)
        elif context == "trailer":
            self._out_of_place(segment, "after CNT")

    # ---- the legacy US format

    def _pdt(self, segment: Segment) -> None:
        """PDT is the passenger segment of the US PAXLST that came before UN/EDIFACT's: a message
        without BGM is in that format, which has none of the groups this reader knows."""
        if not self._current().has_bgm:
            raise self.problems.fatal(
                "legacy_us_paxlst",
                segment,
                "legacy US PAXLST (PDT segments) is not supported: send UN/EDIFACT PAXLST (D:02B or D:05B)",
            )
        self.problems.warn(
            "unknown_segment", segment, "segment PDT (legacy US PAXLST) is not part of PAXLST and was ignored"
        )

    # ---- control totals

    def _cnt(self, segment: Segment) -> None:
        message = self._current()
        message.context = "trailer"
        qualifier, value = segment.get(0, 0), segment.get(0, 1)
        if not value:
            value = segment.get(1)  # CNT+41+8: seen in the wild, the count in its own element
        if qualifier not in ("41", "42"):
            self.problems.warn("unknown_qualifier", segment, f"CNT qualifier {show_code(qualifier)} was ignored")
        elif not value.isdigit():
            self.problems.warn("bad_value", segment, f"CNT+{qualifier} count is not a number")
        else:
            message.counts.append((qualifier, int(value), segment))

    def _check_counts(self, message: Message) -> None:
        crew = sum(1 for p in message.persons if p.crew)
        found = {"41": crew, "42": len(message.persons) - crew}
        what = {"41": "crew members", "42": "passengers"}
        for qualifier, declared, segment in message.counts:
            if declared == found[qualifier]:
                continue
            note = ""
            part, _, final = message.part.partition(":")
            if part.isdigit() and (int(part) > 1 or final.upper() != "F"):
                note = f" (this message is part {int(part)} of a list sent in parts; the count may cover every part)"
            self.problems.warn(
                "count_mismatch",
                segment,
                f"CNT+{qualifier} says {declared} {what[qualifier]} but the message lists {found[qualifier]}{note}",
            )

    # ---- building the records

    def _finish(self, message: Message) -> None:
        """Close a message: check its counts and turn its people into records."""
        self.message = None
        self.messages.append(message)
        if not message.has_bgm:
            self.problems.error("missing_segment", message.start, "the message has no BGM segment")
        self._check_counts(message)
        for group in message.flights:
            for stop, qualifier in unused_times(group):
                self.problems.warn(
                    "out_of_place", stop.segment, f"DTM+{qualifier} at this stop belongs to no leg and was ignored"
                )
        leg = screened_leg(message.flights)
        if leg is None and message.persons:
            self.problems.warn("missing_segment", message.start, "the message has no flight leg (TDT)")
        flight = leg.as_dict() if leg is not None else {}
        route = route_of(all_legs(message.flights))
        entered = arrival_country(leg)
        reference = re.sub(r"[^A-Za-z0-9._-]", "", message.reference)[:40] or "PAXLST"
        for person in message.persons:
            self.sequence += 1
            record = passenger_record(f"{reference}-{self.sequence}", person, (flight, entered), route, self.problems)
            valid = checked(record, person.segment, self.problems, who="passenger", rounds=3)
            if valid is not None:
                self.manifest.append(valid)
