"""The PNRGOV reader: the interchange and its messages, walked once into the model, then into records.

The envelope is walked as for every message (``messages.envelope``); what PNRGOV adds to it
(its version, text run into a tag, a UNZ without a terminator, PNRs cut off) is read here; the
segment groups inside a message are ``messages.pnrgov.groups``; records are built by
``messages.pnrgov.records`` as each message ends.
"""

from __future__ import annotations

import datetime as dt

from messages.edifact import TAG, Segment, as_text, lex, without_transport_header
from messages.pnrgov.contacts import Hasher, keyed_hasher
from messages.pnrgov.dates import yymmdd
from messages.pnrgov.groups import HEADER, Groups
from messages.pnrgov.model import UNUSED_SEGMENTS, VERSIONS, Message
from messages.pnrgov.problems import PnrgovResult, Problems
from messages.pnrgov.records import Builder
from messages.pnrgov.separators import DEFAULT, prepare, segment_number


def read_pnrgov(text: str | bytes, *, hash_key: bytes | None = None, today: dt.date | None = None) -> PnrgovResult:
    """Read one PNRGOV interchange into passenger records, one per traveller of each PNR.

    ``hash_key`` keys the HMAC-SHA256 hashes kept of e-mail addresses, telephone and card
    numbers (``contact.*_hash``, ``booking.card_hash``); without it none of them is kept.
    ``today`` (default: the current UTC date) dates two-digit years when the UNB has no
    date. Raises ``PnrgovError`` only when nothing usable can be read; anything less is
    reported in ``problems`` and the rest is still read.
    """
    problems = Problems()
    hasher = keyed_hasher(hash_key)
    today = today or dt.datetime.now(dt.UTC).date()
    prepared = prepare(without_transport_header(as_text(text, problems, "PNRGOV").lstrip("\ufeff \t\r\n"), problems))
    separators = prepared.separators or DEFAULT
    terminator, release = separators.segment_terminator, separators.escape_character
    if prepared.text.startswith("UNA") and len(prepared.text) >= 9:
        terminator, release = prepared.text[8], prepared.text[6]
    for code, offset, message in prepared.notes:
        problems.warn(code, (segment_number(prepared.text, offset, terminator, release), ""), message)
    lexed = lex(prepared.text, problems, prepared.separators)
    reader = _Reader(problems, hasher, today)
    reader.read(lexed)
    return reader.result()


class _Reader(Groups):
    """Walks the segments once (``messages.envelope``), dispatching on the tag (and, in ``Groups``,
    the group it is in)."""

    MESSAGE_TYPE = "PNRGOV"
    UNT_REFERENCE_OPTIONAL = True

    def __init__(self, problems: Problems, hasher: Hasher, today: dt.date) -> None:
        super().__init__(problems, hasher, today)
        self.today = today
        self.builder = Builder(problems, self.checks, self.manifest)
        self.handlers = {
            "UNA": self._ignore, "UNB": self._unb, "UNG": self._ignore, "UNH": self._unh, "UNT": self._unt,
            "UNE": self._ignore, "UNZ": self._unz, "MSG": self._msg, "ORG": self._org, "TVL": self._tvl,
            "EQN": self._eqn, "SRC": self._src, "RCI": self._rci, "SSR": self._ssr, "DAT": self._dat,
            "IFT": self._ift, "ADD": self._add, "TIF": self._tif, "FTI": self._traveller_part,
            "TKT": self._tkt, "MON": self._ticket_part, "FOP": self._fop, "TRA": self._tra, "TRI": self._tri,
            "SSD": self._seat_part, "TBD": self._seat_part, "ABI": self._abi, "SAC": self._ignore,
            "LTS": self._ignore,
        }  # fmt: skip
        for tag in UNUSED_SEGMENTS:
            self.handlers[tag] = self._ignore

    # ---- what surrounds the segments, and the end of input (``Envelope``)

    def _tagged(self, segment: Segment) -> Segment:
        """The segment, its tag found when text before it (not a segment) was run into it."""
        if TAG.fullmatch(segment.tag) or len(segment.tag) < 4 or not TAG.fullmatch(segment.tag[-3:]):
            return segment
        if segment.tag[-4].isalnum():
            return segment
        self.problems.warn("stray_text", segment, f"text before segment tag {segment.tag[-3:]} was ignored")
        return Segment(segment.number, segment.tag[-3:], segment.elements, segment.syntax)

    def _unterminated_trailer(self, tail: tuple[int, str]) -> bool:
        number, text = tail
        if self.message is not None or not text.startswith("UNZ"):
            return False
        self.unz = Segment(number, "UNZ", [], None)
        self.problems.warn("unterminated_segment", tail, "the UNZ interchange trailer has no segment terminator")
        return True

    def _cut_off(self, message: Message, where: Segment) -> None:
        self.problems.error(
            "truncated", where, "the message has no UNT trailer: it is cut off; its last PNR may be incomplete"
        )
        if message.pnrs:
            message.pnrs[-1].complete = False
        self._finish(message)

    def _no_one(self, end: Segment) -> None:
        if self.problems.has_errors():
            raise self.problems.fatal("no_travellers", end, "no traveller could be read")
        self.problems.warn("no_travellers", end, "the message holds no travellers")

    def result(self) -> PnrgovResult:
        flight = next((m.flight.as_dict() for m in self.messages if m.flight is not None), None)
        version = next((m.version for m in self.messages if m.version), "")
        pnrs = [pnr for message in self.messages for pnr in message.pnrs]
        return PnrgovResult(self.manifest, pnrs, flight, version, self.problems.sorted())

    # ---- envelope (UNT: ``Envelope``)

    def _unb(self, segment: Segment) -> None:
        if self.unb is None:
            self.reference = yymmdd(segment.get(3, 0), self.today) or self.today
        super()._unb(segment)

    def _unh(self, segment: Segment) -> None:
        self._close_open_message(segment)
        self._check_message_type(segment)
        version = f"{segment.get(1, 1)}.{segment.get(1, 2)}"
        version = "" if version == "." else version
        if version not in VERSIONS:
            self.problems.warn("unknown_version", segment, "PNRGOV version is not 10.1, 11.1 or 13.1; read anyway")
        self.message = Message(segment, segment.get(0), version)
        self.message.last = segment
        self.context = HEADER

    def _close_open_message(self, segment: Segment) -> None:
        if self.message is not None:
            self.problems.error("truncated", segment, "a message has no UNT trailer: its last PNR may be incomplete")
            if self.message.pnrs:
                self.message.pnrs[-1].complete = False
            self._finish(self.message)

    def _unz(self, segment: Segment) -> None:
        self._close_open_message(segment)
        self.unz = segment

    def _finish(self, message: Message) -> None:
        """Close a message: check its PNR count and turn its travellers into records."""
        self.message = None
        self.messages.append(message)
        if message.declared_pnrs is not None and message.declared_pnrs[0] != len(message.pnrs):
            declared, where = message.declared_pnrs
            self.problems.warn(
                "count_mismatch", where, f"EQN says {declared} PNRs but the message has {len(message.pnrs)}"
            )
        for pnr in message.pnrs:
            self.builder.add(pnr, message.flight)
