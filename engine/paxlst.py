"""UN/EDIFACT PAXLST (Advance Passenger Information) messages read into passenger records.

Airlines send the passengers and crew of a flight as a PAXLST message (directories D:02B
and D:05B are the common ones). ``read_paxlst`` turns one interchange into a manifest:
one record per passenger or crew member in the catalogue's JSON shape, each accepted by
``engine.check_record``, plus every problem found on the way, each tied to the segment
it was found in::

    result = read_paxlst(text)
    for record in result.manifest: ...          # ready for evaluation
    for problem in result.problems: ...         # warnings and errors, in segment order

Tokenizing (service string advice, separators, release character) is pydifact's; this
module adds the envelope checks and the PAXLST meaning of the segments. It is pure: no
web framework, database or network.

Problem messages never carry names, document numbers or dates of birth; the segment
text, which may, is kept in its own field so callers can choose not to log it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pycountry
from pydifact import Characters, Parser, Serializer, Token, Tokenizer

from engine.catalogue import CATALOGUE, FieldType
from engine.errors import EngineError, RecordError
from engine.records import check_record
from engine.values import ValueProblem, parse_value

__all__ = ["ERROR", "WARNING", "PaxlstError", "PaxlstProblem", "PaxlstResult", "read_paxlst"]

WARNING = "warning"
ERROR = "error"

# A hostile or broken message could otherwise produce one problem per segment without end.
MAX_PROBLEMS = 1000
# Segment text kept with a problem; enough to see what was wrong, never a whole message.
MAX_SEGMENT_TEXT = 300

# Airports in New Zealand with scheduled services: the leg arriving at one of these is the
# flight being screened. International arrivals are AKL, CHC, WLG, ZQN and DUD.
NZ_AIRPORTS = (
    frozenset({"AKL", "CHC", "WLG", "ZQN", "DUD"})
    | frozenset({"NSN", "NPE", "ROT", "HLZ", "PMR", "NPL", "TRG", "IVC", "KKE", "BHE", "GIS", "WRE"})
    | frozenset({"TIU", "HKK", "WSZ", "WAG", "TUO", "KAT", "CHT"})
)


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class PaxlstProblem:
    """One thing wrong with a message, where it was found and what is wrong.

    ``segment_number`` is the 1-based position of the segment in the interchange (the UNA
    service string advice, when present, is segment 1). ``segment`` is that segment's text,
    which may contain personal data; ``message`` never does.
    """

    severity: str  # WARNING or ERROR
    segment_number: int
    segment: str
    code: str
    message: str

    def as_dict(self, *, with_segment: bool = False) -> dict[str, Any]:
        """The problem as JSON; the segment text only when asked for (it may be personal)."""
        out: dict[str, Any] = {
            "severity": self.severity,
            "segment_number": self.segment_number,
            "code": self.code,
            "message": self.message,
        }
        if with_segment:
            out["segment"] = self.segment
        return out


@dataclass(frozen=True)
class PaxlstResult:
    """What one PAXLST interchange held.

    ``manifest`` has one record per passenger or crew member; ``flight`` is the leg the
    records are screened for (the one arriving in New Zealand, else the last); ``legs``
    every flight leg in message order; ``message_type`` is ``passenger``, ``crew`` or
    ``mixed`` (an interchange carrying both lists); ``version`` the directory, ``D:02B``.
    """

    manifest: list[dict[str, Any]]
    flight: dict[str, str] | None
    legs: list[dict[str, str]]
    message_type: str
    version: str
    problems: list[PaxlstProblem]

    @property
    def errors(self) -> list[PaxlstProblem]:
        """The problems of severity ``error``: data may have been lost or be incomplete."""
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[PaxlstProblem]:
        """The problems of severity ``warning``: untidy, but read."""
        return [p for p in self.problems if p.severity == WARNING]


class PaxlstError(EngineError):
    """Nothing usable could be read from the message.

    ``problems`` holds every problem found, the last being ``reason``: why reading stopped.
    """

    code = "invalid_paxlst"

    def __init__(self, problems: Iterable[PaxlstProblem], reason: PaxlstProblem) -> None:
        self.problems = [*problems, reason]
        self.reason = reason
        super().__init__(reason.message)


def read_paxlst(text: str | bytes, *, today: dt.date | None = None) -> PaxlstResult:
    """Read one PAXLST interchange into a manifest of passenger records.

    ``today`` (default: the current UTC date) bounds two-digit years: a date of birth is
    never after it or the flight. Raises ``PaxlstError`` only when nothing usable can be
    read (not EDIFACT, no UNH or BGM, unreadable separators, cut off before any
    passenger); anything less is reported in ``problems`` and the rest is still read.
    """
    problems = _Problems()
    today = today or dt.datetime.now(dt.UTC).date()
    lexed = _lex(_as_text(text, problems), problems)
    reader = _Reader(problems, today)
    reader.read(lexed)
    return reader.result()


# --------------------------------------------------------------------------- problems


class _Problems:
    """Collects problems; stops recording (with one last note) past MAX_PROBLEMS."""

    def __init__(self) -> None:
        self.items: list[PaxlstProblem] = []
        self.full = False

    def add(self, severity: str, code: str, where: _Segment | tuple[int, str], message: str) -> None:
        if self.full:
            return
        if isinstance(where, _Segment):
            number, text = where.number, where.text
        else:
            number, text = where
        if len(self.items) >= MAX_PROBLEMS:
            self.full = True
            severity, code, message = (
                WARNING,
                "too_many_problems",
                f"more than {MAX_PROBLEMS} problems; the rest are not listed",
            )
        self.items.append(PaxlstProblem(severity, number, text[:MAX_SEGMENT_TEXT], code, message))

    def warn(self, code: str, where: _Segment | tuple[int, str], message: str) -> None:
        self.add(WARNING, code, where, message)

    def error(self, code: str, where: _Segment | tuple[int, str], message: str) -> None:
        self.add(ERROR, code, where, message)

    def fatal(self, code: str, where: _Segment | tuple[int, str], message: str) -> PaxlstError:
        """Record an error and return the exception that ends reading."""
        number, text = (where.number, where.text) if isinstance(where, _Segment) else where
        # The reason for giving up is always recorded, whatever the cap.
        return PaxlstError(self.sorted(), PaxlstProblem(ERROR, number, text[:MAX_SEGMENT_TEXT], code, message))

    def sorted(self) -> list[PaxlstProblem]:
        return sorted(self.items, key=lambda p: p.segment_number)


_SAFE_CODE = re.compile(r"[A-Z0-9]{1,6}")


def _show(code: str, longest: int = 4) -> str:
    """A qualifier or code for a problem message: shown only when it is too short to be personal data."""
    return f"'{code}'" if len(code) <= longest and _SAFE_CODE.fullmatch(code) else "an unreadable code"


# --------------------------------------------------------------------------- lexical layer


@dataclass(frozen=True)
class _Syntax:
    """The interchange's separators, and how to write a segment back as text."""

    characters: Characters
    serializer: Serializer

    def render(self, tag: str, elements: list[Any]) -> str:
        chars = self.characters
        parts = [tag]
        for element in elements:
            if isinstance(element, list):
                parts.append(chars.component_separator.join(self.serializer.escape(c) for c in element))
            else:
                parts.append(self.serializer.escape(element))
        return chars.data_separator.join(parts) + chars.segment_terminator


@dataclass(frozen=True)
class _Segment:
    """One segment: its position in the interchange, tag and data elements."""

    number: int
    tag: str
    elements: list[Any]  # each a str, or a list of component strs (pydifact's shape)
    syntax: _Syntax | None

    @property
    def text(self) -> str:
        if self.syntax is None:
            return self.tag
        return self.syntax.render(self.tag, self.elements)

    def get(self, element: int, component: int = 0) -> str:
        """Component ``component`` of data element ``element`` (0-based, after the tag), stripped; "" if absent."""
        if element >= len(self.elements):
            return ""
        value = self.elements[element]
        if isinstance(value, list):
            return value[component].strip() if component < len(value) else ""
        return value.strip() if component == 0 else ""

    def components(self, element: int) -> list[str]:
        if element >= len(self.elements):
            return []
        value = self.elements[element]
        return [c.strip() for c in value] if isinstance(value, list) else [value.strip()]


@dataclass
class _Lexed:
    segments: list[_Segment]
    tail: tuple[int, str] | None  # position and unterminated text after the last segment terminator
    stopped: bool  # the tokenizer gave up before the end of the text
    mentions_unh: bool  # "UNH" followed by a separator appears somewhere in the text


_TAG = re.compile(r"[A-Z]{3}")
_NO_RELEASE = "\uffff"  # a noncharacter: "no release character" when UNA declares a space


def _as_text(text: str | bytes, problems: _Problems) -> str:
    if isinstance(text, bytes | bytearray):
        try:
            return bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            # UNOA..UNOC interchanges are ASCII or Latin-1; Latin-1 decodes any byte.
            return bytes(text).decode("latin-1")
    if not isinstance(text, str):
        raise problems.fatal("not_edifact", (1, ""), "a PAXLST message must be text")
    return text


def _lex(text: str, problems: _Problems) -> _Lexed:
    """Split the interchange into segments with pydifact; raise PaxlstError if it cannot be read."""
    text = text.lstrip("\ufeff \t\r\n")
    number = 0
    segments: list[_Segment] = []
    if text.startswith("UNA"):
        characters, text = _service_string_advice(text, problems)
        number = 1
        segments.append(_Segment(1, "UNA", [], None))
    else:
        characters = Characters()
    syntax = _Syntax(characters, Serializer(characters))
    if characters.segment_terminator not in "\r\n":
        # Line breaks are not part of EDIFACT data: files put one segment per line or wrap
        # long lines at a fixed width. Removing them reads both the same way.
        text = text.replace("\r", "").replace("\n", "")
    text = text.lstrip(" \t\r\n")
    if not text:
        raise problems.fatal("not_edifact", (number + 1, ""), "the message is empty")
    _check_first_tag(text, number + 1, characters, problems)

    tokenizer = Tokenizer()
    pending: list[Token] = []

    def tracked() -> Iterator[Token]:
        # Remember the tokens since the last terminator: pydifact silently drops an
        # unterminated last segment, and that is how a truncated message shows.
        for token in tokenizer.get_tokens(text, characters):
            if token.type is Token.Type.TERMINATOR:
                pending.clear()
            else:
                pending.append(token)
            yield token

    stopped = False
    try:
        for raw in Parser().convert_tokens_to_raw_segments(tracked()):
            number += 1
            segments.append(_raw_segment(number, raw, syntax, problems))
    except Exception:
        # A third-party tokenizer on untrusted text: any failure means "unreadable from here".
        # At the end of the text this is pydifact's "unexpected end": an unterminated last segment.
        stopped = not tokenizer.end_of_message()
    rest = ("".join(token.value for token in pending) + str(tokenizer)).strip()
    tail = (number + 1, rest) if rest or stopped else None
    return _Lexed(segments, tail, stopped, re.search(r"UNH[^A-Za-z0-9\s]", text) is not None)


def _service_string_advice(text: str, problems: _Problems) -> tuple[Characters, str]:
    """The separators a UNA segment declares, and the text after it."""
    declared = text[3:9]
    where = (1, text[:9])
    if len(declared) < 6:
        raise problems.fatal("bad_una", where, "the UNA service string advice is cut short")
    component, data, _decimal, release, _reserved, terminator = declared
    separators = [component, data, terminator]
    if len(set(separators)) < 3 or release in separators:
        raise problems.fatal("bad_una", where, "the UNA service string advice declares the same character twice")
    if (
        any(c.isalnum() or (c.isspace() and c not in "\r\n") for c in separators)
        or component in "\r\n"
        or data in "\r\n"
    ):
        raise problems.fatal(
            "bad_una", where, "the UNA service string advice declares a letter, digit or space as a separator"
        )
    characters = Characters.from_str("UNA" + declared)
    if release.isspace() or release.isalnum():
        # A space here means "no release character"; pydifact would otherwise treat every
        # space in a name as an escape.
        characters.escape_character = _NO_RELEASE
    return characters, text[9:]


def _check_first_tag(text: str, number: int, characters: Characters, problems: _Problems) -> None:
    """Catch the commonest unreadable cases early: not EDIFACT, or separators other than the declared ones."""
    if not _TAG.match(text):
        raise problems.fatal("not_edifact", (number, text[:40]), "the text does not start with an EDIFACT segment tag")
    found = re.match(r"[A-Z]{3}([^A-Za-z0-9\s])", text)
    expected = (characters.data_separator, characters.segment_terminator, characters.component_separator)
    if found and found.group(1) not in expected:
        raise problems.fatal(
            "wrong_separators",
            (number, text[:40]),
            f"segment {text[:3]} is followed by '{found.group(1)}' where the data element separator "
            f"'{characters.data_separator}' was expected (other separators must be declared in a UNA segment)",
        )


def _raw_segment(number: int, raw: list[Any], syntax: _Syntax, problems: _Problems) -> _Segment:
    head, elements = (raw[0], raw[1:]) if raw else ("", [])
    tag = head if isinstance(head, str) else ":".join(head)
    segment = _Segment(number, tag.strip(), elements, syntax)
    if tag != tag.strip() and _TAG.fullmatch(tag.strip()):
        where = (number, syntax.render(tag, elements))
        problems.warn("stray_space", where, f"a space next to segment tag {tag.strip()} was ignored")
    return segment


# --------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class _Stamp:
    """A DTM value as written: the year may lack its century."""

    year: int
    century_given: bool
    month: int
    day: int
    time: dt.time | None


# DTM format codes (UN/EDIFACT 2379) used in PAXLST: length, century given, time given.
_DATE_FORMATS: dict[str, tuple[int, bool, bool]] = {
    "101": (6, False, False),  # YYMMDD
    "102": (8, True, False),  # CCYYMMDD
    "201": (10, False, True),  # YYMMDDHHMM
    "203": (12, True, True),  # CCYYMMDDHHMM
    "204": (14, True, True),  # CCYYMMDDHHMMSS
}
_FORMAT_BY_LENGTH = {length: code for code, (length, _, _) in _DATE_FORMATS.items()}


def _stamp(value: str, format_code: str) -> _Stamp | None:
    """Parse a DTM value; None when it does not fit its format (or any, when none is given)."""
    code = format_code or _FORMAT_BY_LENGTH.get(len(value), "")
    if code not in _DATE_FORMATS or not value.isascii() or not value.isdigit():
        return None
    length, century, has_time = _DATE_FORMATS[code]
    if len(value) != length:
        return None
    year_digits = 4 if century else 2
    year, rest = int(value[:year_digits]), value[year_digits:]
    month, day = int(rest[0:2]), int(rest[2:4])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    time = None
    if has_time:
        hour, minute, second = int(rest[4:6]), int(rest[6:8]), int(rest[8:10] or 0)
        if hour > 23 or minute > 59 or second > 59:
            return None
        time = dt.time(hour, minute, second)
    return _Stamp(year, century, month, day, time)


def _candidates(stamp: _Stamp, reference: dt.date) -> list[dt.date]:
    """The valid calendar dates a stamp can mean: itself, or one per plausible century."""
    if stamp.century_given:
        years = [stamp.year]
    else:
        century = reference.year // 100 * 100
        years = [century + offset + stamp.year for offset in (-200, -100, 0, 100)]
    days = []
    for year in years:
        try:
            days.append(dt.date(year, stamp.month, stamp.day))
        except ValueError:
            continue
    return days


def _birth_date(stamp: _Stamp, reference: dt.date) -> dt.date | None:
    """A date of birth, never after ``reference``: with a two-digit year, the latest such century."""
    past = [day for day in _candidates(stamp, reference) if day <= reference]
    return max(past) if past else None


def _near_date(stamp: _Stamp, reference: dt.date) -> dt.date | None:
    """Any other date: with a two-digit year, the century that puts it nearest ``reference``."""
    days = _candidates(stamp, reference)
    return min(days, key=lambda day: abs((day - reference).days)) if days else None


# --------------------------------------------------------------------------- message model


@dataclass
class _Leg:
    """One TDT group: a flight leg."""

    segment: _Segment
    carrier: str | None = None
    number: str | None = None
    departure_airport: str | None = None
    arrival_airport: str | None = None
    scheduled_departure: dt.datetime | None = None
    scheduled_arrival: dt.datetime | None = None

    def as_dict(self) -> dict[str, str]:
        values = {
            "carrier": self.carrier,
            "number": self.number,
            "departure_airport": self.departure_airport,
            "arrival_airport": self.arrival_airport,
            "scheduled_departure": _iso(self.scheduled_departure),
            "scheduled_arrival": _iso(self.scheduled_arrival),
        }
        return {key: value for key, value in values.items() if value is not None}

    def days(self) -> list[dt.date]:
        return [t.date() for t in (self.scheduled_departure, self.scheduled_arrival) if t is not None]


@dataclass
class _Document:
    """One DOC group: a travel document or visa."""

    segment: _Segment
    type: str | None = None
    number: str | None = None
    expiry_date: dt.date | None = None
    issuing_country: str | None = None


@dataclass
class _Person:
    """One NAD group: a passenger or crew member."""

    segment: _Segment
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
    documents: list[_Document] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # what was read once, to report repeats


@dataclass
class _Message:
    """One UNH..UNT message."""

    start: _Segment
    reference: str
    version: str
    part: str  # UNH sequence of transfers, "10:F": part 10, final
    document_code: str = ""
    has_bgm: bool = False
    legs: list[_Leg] = field(default_factory=list)
    persons: list[_Person] = field(default_factory=list)
    counts: list[tuple[str, int, _Segment]] = field(default_factory=list)
    segment_count: int = 1
    last: _Segment | None = None
    context: str = "header"  # header | leg | person | party (another NAD) | trailer


# BGM document name codes: passenger list, crew list, flight status update (close-out),
# master crew list, gate pass request.
_DOCUMENT_TYPES = {"745": "passenger", "250": "crew", "336": "crew", "266": "", "655": ""}
# NAD party qualifiers of people: passenger, crew member, in-transit passenger and crew.
_PASSENGER_PARTIES = frozenset({"FL", "DDU"})
_CREW_PARTIES = frozenset({"FM", "DDT", "COT"})
_VERSIONS = frozenset({"D:02B", "D:05B"})
_ENVELOPE_TAGS = frozenset({"UNA", "UNB", "UNG", "UNH", "UNT", "UNE", "UNZ"})
# PAXLST segments this reader has no use for: read, not reported.
_UNUSED_SEGMENTS = frozenset({"COM", "CTA", "GEI", "FTX", "MEA", "EMP", "QTY", "CPI", "AUT", "GID"})
# Known LOC and DTM qualifiers with no field in the catalogue.
_UNUSED_LEG_PLACES = frozenset({"130", "188", "172", "22"})
_UNUSED_PERSON_PLACES = frozenset({"22", "180"})
_UNUSED_PERSON_DATES = frozenset({"182"})
_DOCUMENT_TYPE_CODES = {"P": "P", "PT": "P", "PP": "P", "I": "I", "ID": "I", "V": "V"}
_FLIGHT_ID = (
    re.compile(r"((?:[A-Z][A-Z0-9])|(?:[0-9][A-Z]))([0-9]+[A-Z]?)"),  # IATA designator + number
    re.compile(r"([A-Z]{3})([0-9]+[A-Z]?)"),  # ICAO designator + number
    re.compile(r"()([0-9]+[A-Z]?)"),  # number only
)


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --------------------------------------------------------------------------- the reader


class _Reader:
    """Walks the segments once, dispatching on the tag, and builds the manifest."""

    def __init__(self, problems: _Problems, today: dt.date) -> None:
        self.problems = problems
        self.today = today
        self.message: _Message | None = None
        self.messages: list[_Message] = []
        self.manifest: list[dict[str, Any]] = []
        self.sequence = 0
        self.unb: tuple[_Segment, str] | None = None
        self.ung: tuple[_Segment, str, int] | None = None  # segment, reference, messages in the group
        self.group_open = False
        self.groups = 0
        self.unz: _Segment | None = None
        self.last: _Segment | None = None
        self.handlers: dict[str, Callable[[_Segment], None]] = {
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
        }
        for tag in _UNUSED_SEGMENTS:
            self.handlers[tag] = self._ignore

    # ---- driver

    def read(self, lexed: _Lexed) -> None:
        trailing: list[str] = []
        trailing_at = 0
        for segment in lexed.segments:
            if self.unz is not None:
                trailing.append(segment.text)
                trailing_at = trailing_at or segment.number
                continue
            self.last = segment
            if self.message is not None and segment.tag not in _ENVELOPE_TAGS:
                self.message.segment_count += 1  # UNH and UNT count themselves
                self.message.last = segment
            handler = self.handlers.get(segment.tag)
            if handler is None:
                self._unknown(segment)
            elif self.message is None and segment.tag not in _ENVELOPE_TAGS - {"UNT"}:
                self.problems.warn("out_of_place", segment, f"{segment.tag} outside a UNH..UNT message was ignored")
            else:
                handler(segment)
        if lexed.tail is not None:
            if self.unz is not None and not lexed.stopped:
                trailing.append(lexed.tail[1])
                trailing_at = trailing_at or lexed.tail[0]
            elif lexed.stopped:
                self.problems.error(
                    "syntax_error",
                    lexed.tail,
                    "the text could not be split into segments from here on; the rest is lost",
                )
            else:
                self.problems.error(
                    "truncated", lexed.tail, "the last segment has no segment terminator: the message is cut off"
                )
        if trailing:
            self.problems.warn(
                "trailing_text", (trailing_at, " ".join(trailing)), "text after the UNZ interchange trailer was ignored"
            )
        self._end_of_input(lexed)

    def _end_of_input(self, lexed: _Lexed) -> None:
        end = self.last or _Segment(1, "", [], None)
        if self.message is not None:
            self.problems.error(
                "truncated",
                self.message.last or end,
                f"message {_show(self.message.reference)} has no UNT trailer: it is cut off",
            )
            self._finish(self.message)
        if not self.messages:
            if lexed.mentions_unh:
                raise self.problems.fatal(
                    "wrong_separators",
                    end,
                    "a UNH segment is in the text but was not read: the separators do not match",
                )
            raise self.problems.fatal("missing_unh", end, "no UNH message header: this is not a PAXLST message")
        if not any(m.has_bgm for m in self.messages):
            raise self.problems.fatal(
                "missing_bgm", end, "no BGM segment: the message says neither passenger nor crew list"
            )
        if self.group_open:
            self.problems.warn("missing_segment", end, "the functional group has no UNE trailer")
        if self.unb is not None and self.unz is None:
            self.problems.warn("missing_segment", end, "the interchange has no UNZ trailer")
        if not self.manifest:
            if any(p.severity == ERROR for p in self.problems.items):
                raise self.problems.fatal("no_passengers", end, "no passenger or crew member could be read")
            self.problems.warn("no_passengers", end, "the message lists no passengers or crew")

    def result(self) -> PaxlstResult:
        legs: list[dict[str, str]] = []
        for message in self.messages:
            for leg in message.legs:
                if leg.as_dict() not in legs:
                    legs.append(leg.as_dict())
        flight = None
        for message in self.messages:
            chosen = _arriving_leg(message.legs)
            if chosen is not None:
                flight = chosen.as_dict()
                break
        kinds = {self._kind(m) for m in self.messages} - {""}
        message_type = kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "passenger")
        version = next((m.version for m in self.messages if m.version), "")
        return PaxlstResult(self.manifest, flight, legs, message_type, version, self.problems.sorted())

    @staticmethod
    def _kind(message: _Message) -> str:
        kind = _DOCUMENT_TYPES.get(message.document_code, "")
        if kind:
            return kind
        if not message.persons:
            return ""
        return "crew" if all(p.crew for p in message.persons) else "passenger"

    def _unknown(self, segment: _Segment) -> None:
        what = f"segment {segment.tag}" if _TAG.fullmatch(segment.tag) else "a segment with an unreadable tag"
        self.problems.warn("unknown_segment", segment, f"{what} is not part of PAXLST and was ignored")

    def _ignore(self, segment: _Segment) -> None:
        """A segment PAXLST defines but the catalogue has no field for."""

    def _out_of_place(self, segment: _Segment, where: str) -> None:
        self.problems.warn("out_of_place", segment, f"{segment.tag} {where} was ignored")

    # ---- envelopes

    def _unb(self, segment: _Segment) -> None:
        if self.unb is not None:
            self.problems.warn("out_of_place", segment, "a second UNB interchange header was ignored")
            return
        self.unb = (segment, segment.get(4))

    def _ung(self, segment: _Segment) -> None:
        self._close_open_message(segment)
        self.ung = (segment, segment.get(4), 0)
        self.group_open = True
        self.groups += 1

    def _unh(self, segment: _Segment) -> None:
        self._close_open_message(segment)
        kind = segment.get(1, 0)
        if kind and kind.upper() != "PAXLST":
            self.problems.warn(
                "not_paxlst", segment, f"message type {_show(kind.upper(), 6)} is not PAXLST; read as PAXLST"
            )
        version = f"{segment.get(1, 1)}:{segment.get(1, 2)}".upper()
        if version == ":":
            version = ""
        if version and version not in _VERSIONS:
            self.problems.warn("unknown_version", segment, "directory version is neither D:02B nor D:05B; read anyway")
        self.message = _Message(segment, segment.get(0), version, ":".join(segment.components(3)))
        self.message.last = segment
        if self.ung is not None:
            self.ung = (self.ung[0], self.ung[1], self.ung[2] + 1)

    def _close_open_message(self, segment: _Segment) -> None:
        if self.message is not None:
            self.problems.error(
                "truncated", segment, f"message {_show(self.message.reference)} has no UNT trailer: it may be cut off"
            )
            self._finish(self.message)

    def _unt(self, segment: _Segment) -> None:
        message = self.message
        assert message is not None  # the driver sends UNT only inside a message
        message.segment_count += 1
        declared, reference = segment.get(0), segment.get(1)
        if not declared.isdigit():
            self.problems.warn("bad_value", segment, "UNT segment count is not a number")
        elif int(declared) != message.segment_count:
            self.problems.warn(
                "segment_count_mismatch",
                segment,
                f"UNT says {int(declared)} segments but the message has {message.segment_count}",
            )
        if reference != message.reference:
            self.problems.warn("reference_mismatch", segment, "UNT message reference differs from the UNH reference")
        self._finish(message)

    def _une(self, segment: _Segment) -> None:
        self._close_open_message(segment)
        if self.ung is None:
            self.problems.warn("out_of_place", segment, "UNE without a UNG group header was ignored")
            return
        self.group_open = False
        _, reference, messages = self.ung
        self._check_count(segment, "UNE", "messages", messages)
        if segment.get(1) != reference:
            self.problems.warn("reference_mismatch", segment, "UNE group reference differs from the UNG reference")

    def _unz(self, segment: _Segment) -> None:
        self._close_open_message(segment)
        self.unz = segment
        if self.ung is not None:
            self._check_count(segment, "UNZ", "groups", self.groups)
        else:
            self._check_count(segment, "UNZ", "messages", len(self.messages))
        if self.unb is None:
            self.problems.warn("missing_segment", segment, "UNZ without a UNB interchange header")
        elif segment.get(1) != self.unb[1]:
            self.problems.warn(
                "reference_mismatch", segment, "UNZ interchange reference differs from the UNB reference"
            )

    def _check_count(self, segment: _Segment, tag: str, what: str, found: int) -> None:
        declared = segment.get(0)
        if not declared.isdigit():
            self.problems.warn("bad_value", segment, f"{tag} count of {what} is not a number")
        elif int(declared) != found:
            self.problems.warn("count_mismatch", segment, f"{tag} says {int(declared)} {what} but there are {found}")

    # ---- message header

    def _bgm(self, segment: _Segment) -> None:
        message = self._current()
        code = segment.get(0)
        message.has_bgm = True
        message.document_code = code
        if code not in _DOCUMENT_TYPES:
            self.problems.warn(
                "unknown_qualifier", segment, f"BGM document code {_show(code)} is not a PAXLST list type"
            )

    def _current(self) -> _Message:
        assert self.message is not None  # the driver dispatches message segments only inside one
        return self.message

    # ---- flight legs (TDT group)

    def _tdt(self, segment: _Segment) -> None:
        message = self._current()
        if message.persons:
            self.problems.warn("out_of_place", segment, "TDT after the passengers: read as another leg")
        message.context = "leg"
        leg = _Leg(segment)
        message.legs.append(leg)
        if segment.get(0) not in ("20", ""):
            self.problems.warn(
                "unknown_qualifier", segment, f"TDT transport stage {_show(segment.get(0))} read as a flight leg"
            )
        carrier = segment.get(4).upper()
        journey = re.sub(r"\s+", "", segment.get(1).upper())
        if carrier and journey.startswith(carrier):
            prefix, number = carrier, journey[len(carrier) :]
        else:
            prefix, number = _split_flight(journey)
        if carrier or prefix:
            leg.carrier = self._fit("flight.carrier", carrier or prefix, segment, "TDT carrier")
        else:
            self.problems.warn("bad_value", segment, "TDT has no carrier")
        if number:
            number = number.lstrip("0") or "0"  # flight numbers are padded to four digits in places
            leg.number = self._fit("flight.number", number, segment, "TDT flight number")
        else:
            self.problems.warn("bad_value", segment, "TDT has no readable flight number")

    def _leg_loc(self, segment: _Segment) -> None:
        leg = self._current().legs[-1]
        qualifier, place = segment.get(0), segment.get(1).upper()
        if qualifier == "92":
            # 92 (routing) names both ends of an intermediate leg: departure first, then arrival.
            qualifier = "125" if leg.departure_airport is None else "87"
        if qualifier in ("125", "87"):
            name = "departure_airport" if qualifier == "125" else "arrival_airport"
            if getattr(leg, name) is not None:
                self.problems.warn("repeated_segment", segment, f"a second LOC+{qualifier} in one leg was ignored")
                return
            setattr(leg, name, self._fit(f"flight.{name}", place, segment, f"LOC+{qualifier} airport"))
        elif qualifier not in _UNUSED_LEG_PLACES:
            self.problems.warn(
                "unknown_qualifier", segment, f"LOC qualifier {_show(qualifier)} in a flight leg was ignored"
            )

    def _leg_dtm(self, segment: _Segment) -> None:
        leg = self._current().legs[-1]
        qualifier = segment.get(0, 0)
        if qualifier not in ("189", "232"):
            self.problems.warn(
                "unknown_qualifier", segment, f"DTM qualifier {_show(qualifier)} in a flight leg was ignored"
            )
            return
        name = "scheduled_departure" if qualifier == "189" else "scheduled_arrival"
        if getattr(leg, name) is not None:
            self.problems.warn("repeated_segment", segment, f"a second DTM+{qualifier} in one leg was ignored")
            return
        stamp = _stamp(segment.get(0, 1), segment.get(0, 2))
        day = _near_date(stamp, self.today) if stamp else None
        if stamp is None or day is None or stamp.time is None:
            self.problems.warn("bad_date", segment, f"DTM+{qualifier} is not a valid date and time for its format")
            return
        # PAXLST times are local to the airport; the catalogue takes a time without an offset as UTC.
        setattr(leg, name, dt.datetime.combine(day, stamp.time))

    # ---- people (NAD group)

    def _nad(self, segment: _Segment) -> None:
        message = self._current()
        qualifier = segment.get(0)
        if qualifier == "MS" and not message.legs:
            message.context = "header"  # the reporting party
            return
        if qualifier not in _PASSENGER_PARTIES | _CREW_PARTIES:
            message.context = "party"
            if qualifier != "MS":
                self.problems.warn(
                    "unknown_qualifier",
                    segment,
                    f"NAD party {_show(qualifier)} is not a passenger or crew member; its group was ignored",
                )
            return
        message.context = "person"
        person = _Person(segment, crew=qualifier in _CREW_PARTIES)
        message.persons.append(person)
        names = segment.components(3)
        family, given = (names[0] if names else ""), " ".join(part for part in names[1:] if part)
        if not family:
            self.problems.error("missing_name", segment, "NAD has no family name; the record is kept without it")
        person.family_name = self._fit("traveller.family_name", family, segment, "NAD family name") if family else None
        person.given_names = self._fit("traveller.given_names", given, segment, "NAD given names") if given else None

    def _person(self) -> _Person:
        return self._current().persons[-1]

    def _once(self, segment: _Segment, key: str) -> bool:
        """True the first time ``key`` is read for the current person; a repeat is reported."""
        person = self._person()
        if key in person.seen:
            self.problems.warn("repeated_segment", segment, f"a second {key} for one person was ignored")
            return False
        person.seen.add(key)
        return True

    def _att(self, segment: _Segment) -> None:
        if not self._in_person(segment) or segment.get(0) != "2" or not self._once(segment, "ATT+2"):
            return
        sex = segment.get(2).upper()
        if sex in ("M", "F", "X"):
            self._person().sex = sex
        elif sex in ("U", ""):
            self.problems.warn("unknown_sex", segment, "ATT+2 sex is unknown or unspecified and was left out")
        else:
            self.problems.warn("bad_value", segment, f"ATT+2 sex {_show(sex)} is not M, F or X and was left out")

    def _nat(self, segment: _Segment) -> None:
        if not self._in_person(segment) or segment.get(0) not in ("2", "") or not self._once(segment, "NAT"):
            return
        self._person().nationality = self._country(segment.get(1), segment, "NAT nationality", "traveller.nationality")

    def _person_loc(self, segment: _Segment) -> None:
        person = self._person()
        qualifier, place = segment.get(0), segment.get(1)
        if qualifier == "91":
            document = self._document(segment, "LOC+91")
            if document is not None and self._once(segment, f"LOC+91 of document {len(person.documents)}"):
                document.issuing_country = self._country(
                    place, segment, "LOC+91 issuing country", "document.issuing_country"
                )
        elif qualifier == "174":
            if self._once(segment, "LOC+174"):
                person.country_of_residence = self._country(
                    place, segment, "LOC+174 country of residence", "traveller.country_of_residence"
                )
        elif qualifier in ("178", "179"):
            if self._once(segment, f"LOC+{qualifier}"):
                airport = self._fit("itinerary.airports", place.upper(), segment, f"LOC+{qualifier} airport")
                if qualifier == "178":
                    person.embarkation = airport
                else:
                    person.debarkation = airport
        elif qualifier not in _UNUSED_PERSON_PLACES:
            self.problems.warn(
                "unknown_qualifier", segment, f"LOC qualifier {_show(qualifier)} for a person was ignored"
            )

    def _person_dtm(self, segment: _Segment) -> None:
        person = self._person()
        qualifier = segment.get(0, 0)
        if qualifier == "329":
            if self._once(segment, "DTM+329"):
                stamp = _stamp(segment.get(0, 1), segment.get(0, 2))
                day = _birth_date(stamp, self._latest_birth()) if stamp else None
                if day is None:
                    self.problems.warn(
                        "bad_date",
                        segment,
                        "DTM+329 date of birth is not a valid date, or is after the flight; left out",
                    )
                person.date_of_birth = day
        elif qualifier == "36":
            document = self._document(segment, "DTM+36")
            if document is not None and self._once(segment, f"DTM+36 of document {len(person.documents)}"):
                stamp = _stamp(segment.get(0, 1), segment.get(0, 2))
                day = _near_date(stamp, self._flight_day()) if stamp else None
                if day is None:
                    self.problems.warn("bad_date", segment, "DTM+36 expiry date is not a valid date and was left out")
                document.expiry_date = day
        elif qualifier not in _UNUSED_PERSON_DATES:
            self.problems.warn(
                "unknown_qualifier", segment, f"DTM qualifier {_show(qualifier)} for a person was ignored"
            )

    def _latest_birth(self) -> dt.date:
        """No one on the list is born after today or after any date of the flight."""
        days = [day for leg in self._current().legs for day in leg.days()]
        return min([self.today, *days])

    def _flight_day(self) -> dt.date:
        days = [day for leg in self._current().legs for day in leg.days()]
        return days[0] if days else self.today

    def _doc(self, segment: _Segment) -> None:
        if not self._in_person(segment):
            return
        document = _Document(segment)
        self._person().documents.append(document)
        raw = segment.get(0).upper()
        kind = _DOCUMENT_TYPE_CODES.get(raw)
        if kind is None:
            letters = re.match(r"[A-Z]{1,2}", raw)
            kind = letters.group() if letters else None
        if kind is None:
            what = f"DOC document type {_show(raw)} is not a document type code" if raw else "DOC has no document type"
            self.problems.warn("bad_value", segment, what)
        document.type = kind
        number = re.sub(r"\s+", "", segment.get(1)).upper()
        if number:
            document.number = self._fit("document.number", number, segment, "DOC document number")
        else:
            self.problems.warn("bad_value", segment, "DOC has no document number")

    def _document(self, segment: _Segment, label: str) -> _Document | None:
        documents = self._person().documents
        if not documents:
            self.problems.warn("out_of_place", segment, f"{label} before any DOC was ignored")
            return None
        return documents[-1]

    def _rff(self, segment: _Segment) -> None:
        message = self._current()
        if message.context != "person" or segment.get(0, 0) != "AVF":
            return  # transaction, seat and other references have no field in the catalogue
        if not self._once(segment, "RFF+AVF"):
            return
        reference = segment.get(0, 1).upper()
        self._person().booking_reference = self._fit(
            "booking.reference", reference, segment, "RFF+AVF reservation reference"
        )

    def _in_person(self, segment: _Segment) -> bool:
        context = self._current().context
        if context == "person":
            return True
        if context != "party":
            self._out_of_place(segment, "outside a passenger or crew member")
        return False

    # ---- context-dependent LOC and DTM

    def _loc(self, segment: _Segment) -> None:
        context = self._current().context
        if context == "leg":
            self._leg_loc(segment)
        elif context == "person":
            self._person_loc(segment)
        elif context == "trailer":
            self._out_of_place(segment, "after CNT")

    def _dtm(self, segment: _Segment) -> None:
        context = self._current().context
        if context == "leg":
            self._leg_dtm(segment)
        elif context == "person":
            self._person_dtm(segment)
        elif context == "trailer":
            self._out_of_place(segment, "after CNT")

    # ---- control totals

    def _cnt(self, segment: _Segment) -> None:
        message = self._current()
        message.context = "trailer"
        qualifier, value = segment.get(0, 0), segment.get(0, 1)
        if not value:
            value = segment.get(1)  # CNT+41+8: seen in the wild, the count in its own element
        if qualifier not in ("41", "42"):
            self.problems.warn("unknown_qualifier", segment, f"CNT qualifier {_show(qualifier)} was ignored")
        elif not value.isdigit():
            self.problems.warn("bad_value", segment, f"CNT+{qualifier} count is not a number")
        else:
            message.counts.append((qualifier, int(value), segment))

    def _check_counts(self, message: _Message) -> None:
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

    def _finish(self, message: _Message) -> None:
        """Close a message: check its counts and turn its people into records."""
        self.message = None
        self.messages.append(message)
        if not message.has_bgm:
            self.problems.error("missing_segment", message.start, "the message has no BGM segment")
        self._check_counts(message)
        leg = _arriving_leg(message.legs)
        if leg is None and message.persons:
            self.problems.warn("missing_segment", message.start, "the message has no flight leg (TDT)")
        flight = leg.as_dict() if leg is not None else {}
        route = _route(message.legs)
        reference = re.sub(r"[^A-Za-z0-9._-]", "", message.reference)[:40] or "PAXLST"
        for person in message.persons:
            self.sequence += 1
            record = _record(f"{reference}-{self.sequence}", person, flight, route, self.problems)
            checked = self._checked(record, person)
            if checked is not None:
                self.manifest.append(checked)

    def _checked(self, record: dict[str, Any], person: _Person) -> dict[str, Any] | None:
        """The record as ``check_record`` accepts it: fields it rejects are dropped and reported."""
        for _ in range(3):
            try:
                check_record(record)
                return record
            except RecordError as exc:
                for problem in exc.problems:
                    if not _drop(record, problem.path):
                        self.problems.error(
                            "bad_record", person.segment, "the passenger could not be made a valid record; left out"
                        )
                        return None
                    self.problems.warn(
                        "bad_value",
                        person.segment,
                        f"{problem.path}: {_safe_reason(problem.path, problem.message)}; left out",
                    )
        self.problems.error("bad_record", person.segment, "the passenger could not be made a valid record; left out")
        return None

    # ---- values

    def _fit(self, name: str, value: str, segment: _Segment, what: str) -> str | None:
        """``value`` if it fits catalogue field ``name``; otherwise None and a warning."""
        field_ = CATALOGUE[name]
        try:
            if field_.type is FieldType.CODE_LIST:
                problem = field_.code_problem(value)
                if problem:
                    raise ValueProblem(problem)
            else:
                parse_value(field_, value)
        except ValueProblem as exc:
            reason = str(exc)
            if field_.type in (FieldType.CODE, FieldType.CODE_LIST) and len(value) <= field_.max_length:
                reason = field_.code_problem(value) or reason
            self.problems.warn("bad_value", segment, f"{what} left out: {reason}")
            return None
        return value

    def _country(self, raw: str, segment: _Segment, what: str, name: str) -> str | None:
        code = raw.strip().upper()
        if not code:
            return None
        converted = _alpha3(code)
        if converted is not None and converted != code:
            self.problems.warn("country_converted", segment, f"{what} {_show(code)} read as {converted}")
            code = converted
        return self._fit(name, code, segment, what)


def _split_flight(journey: str) -> tuple[str, str]:
    """Carrier designator and flight number from a TDT journey id such as QQ877 or UA0989."""
    for pattern in _FLIGHT_ID:
        found = pattern.fullmatch(journey)
        if found:
            return found.group(1), found.group(2)
    return "", ""


def _alpha3(code: str) -> str | None:
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


def _arriving_leg(legs: list[_Leg]) -> _Leg | None:
    """The leg being screened: the first arriving in New Zealand, else the last."""
    for leg in legs:
        if leg.arrival_airport in NZ_AIRPORTS:
            return leg
    return legs[-1] if legs else None


def _route(legs: list[_Leg]) -> list[dict[str, str]]:
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


def _record(
    passenger_id: str, person: _Person, flight: dict[str, str], route: list[dict[str, str]], problems: _Problems
) -> dict[str, Any]:
    """One person in the catalogue's JSON shape; missing values are left out."""
    record: dict[str, Any] = {"passenger_id": passenger_id}
    if flight:
        record["flight"] = dict(flight)
    traveller = {
        "family_name": person.family_name,
        "given_names": person.given_names,
        "date_of_birth": _iso(person.date_of_birth),
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
            "expiry_date": _iso(primary.expiry_date),
        }
        _put_section(record, "document", document)
    if visa is not None:
        _put_section(record, "visa", {"expiry_date": _iso(visa.expiry_date)})
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


def _documents(person: _Person, problems: _Problems) -> tuple[_Document | None, _Document | None]:
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


def _drop(record: dict[str, Any], path: str) -> bool:
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


def _safe_reason(path: str, message: str) -> str:
    """A ``check_record`` message, unless it is about a personal field (it may quote the value)."""
    dotted = path.split("[")[0]
    field_ = CATALOGUE.get(dotted)
    if field_ is not None and field_.personal:
        return "does not fit the field catalogue"
    return message if "'" not in message else "does not fit the field catalogue"
