"""The EDIFACT envelope, walked the same way for every message type: the interchange (UNB..UNZ),
its messages (UNH..UNT, with the segment count UNT declares), segments outside a message or
of no known tag, text after UNZ, a last segment cut off, and the end of input.

A reader subclasses ``Envelope`` over its message model and problem collector: it gives a
handler per segment tag, and says how a message ends (``_finish``), how one cut off is
reported (``_cut_off``) and what is wrong when no one could be read (``_no_one``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from messages.edifact import TAG, Lexed, Segment
from messages.problems import MessageError, Problems, show_code

ENVELOPE_TAGS = frozenset({"UNA", "UNB", "UNG", "UNH", "UNT", "UNE", "UNZ"})


class Opened(Protocol):
    """What the envelope keeps of a message (UNH..UNT) while it is read."""

    reference: str
    segment_count: int
    last: Segment | None


M = TypeVar("M", bound=Opened)
S = TypeVar("S", bound=Problems[Any])


class Envelope(Generic[M, S]):
    """Walks the segments once, dispatching each on its tag, and keeps the envelope's state."""

    #: The message type, as UNH names it and problem messages say it.
    MESSAGE_TYPE: ClassVar[str]
    #: What a syntax_error says: where the tokenizer gave up.
    UNSPLIT: ClassVar[str] = "the text could not be split into segments from here on"
    #: Whether a UNT may leave out the message reference (feeds that do are read without a warning).
    UNT_REFERENCE_OPTIONAL: ClassVar[bool] = False

    def __init__(self, problems: S) -> None:
        self.problems = problems
        self.message: M | None = None
        self.messages: list[M] = []
        self.manifest: list[dict[str, Any]] = []
        self.unb: Segment | None = None
        self.unz: Segment | None = None
        self.last: Segment | None = None
        self.handlers: dict[str, Callable[[Segment], None]] = {}

    # ---- driver

    def read(self, lexed: Lexed) -> None:
        trailing: list[str] = []
        trailing_at = 0
        for raw in lexed.segments:
            segment = self._tagged(raw)
            if self.unz is not None:
                trailing.append(segment.text)
                trailing_at = trailing_at or segment.number
                continue
            self.last = segment
            if self.message is not None and segment.tag not in ENVELOPE_TAGS:
                self.message.segment_count += 1  # UNH and UNT count themselves
                self.message.last = segment
            handler = self.handlers.get(segment.tag)
            if handler is None:
                what = f"segment {segment.tag}" if TAG.fullmatch(segment.tag) else "a segment with an unreadable tag"
                self.problems.warn(
                    "unknown_segment", segment, f"{what} is not part of {self.MESSAGE_TYPE} and was ignored"
                )
            elif self.message is None and segment.tag not in ENVELOPE_TAGS - {"UNT"}:
                self.problems.warn("out_of_place", segment, f"{segment.tag} outside a UNH..UNT message was ignored")
            else:
                handler(segment)
        self._tail(lexed, trailing, trailing_at)
        self._end_of_input(lexed)

    def _tagged(self, segment: Segment) -> Segment:
        """The segment as dispatched; a reader may repair its tag."""
        return segment

    def _tail(self, lexed: Lexed, trailing: list[str], trailing_at: int) -> None:
        """What follows the last terminated segment, and text after the UNZ trailer."""
        if lexed.tail is not None:
            number, text = lexed.tail
            if lexed.stopped:
                self.problems.error("syntax_error", lexed.tail, self.UNSPLIT)
            elif self.unz is not None:
                trailing.append(text)
                trailing_at = trailing_at or number
            elif not self._unterminated_trailer(lexed.tail):
                self.problems.error(
                    "truncated", lexed.tail, "the last segment has no segment terminator: the message is cut off"
                )
        if trailing:
            self.problems.warn(
                "trailing_text", (trailing_at, " ".join(trailing)), "text after the UNZ interchange trailer was ignored"
            )

    def _unterminated_trailer(self, tail: tuple[int, str]) -> bool:
        """Whether the unterminated text at the end is read as the UNZ trailer (reported by the reader)."""
        return False

    def _end_of_input(self, lexed: Lexed) -> None:
        """Close a message left open; refuse an interchange without a message, or without anyone in it."""
        end = self.last or Segment(1, "", [], None)
        if self.message is not None:
            self._cut_off(self.message, self.message.last or end)
        if not self.messages:
            raise self._no_message(lexed, end)
        self._check_messages(end)
        if self.unb is not None and self.unz is None:
            self.problems.warn("missing_segment", end, "the interchange has no UNZ trailer")
        if not self.manifest:
            self._no_one(end)

    def _no_message(self, lexed: Lexed, end: Segment) -> MessageError[Any]:
        return self.problems.fatal(
            "missing_unh", end, f"no UNH message header: this is not a {self.MESSAGE_TYPE} message"
        )

    def _check_messages(self, end: Segment) -> None:
        """Once every message is read: what the reader requires of them as a whole."""

    # ---- what each reader says

    def _finish(self, message: M) -> None:
        """Close a message: check it and turn its people into records."""
        raise NotImplementedError

    def _cut_off(self, message: M, where: Segment) -> None:
        """Report a message the input ends inside (it has no UNT), and finish it."""
        raise NotImplementedError

    def _no_one(self, end: Segment) -> None:
        """Report a manifest left empty: an error when problems explain it, else a warning."""
        raise NotImplementedError

    # ---- envelope segments

    def _current(self) -> M:
        assert self.message is not None  # the driver dispatches message segments only inside one
        return self.message

    def _ignore(self, segment: Segment) -> None:
        """A segment the message type defines that no field of the catalogue needs."""

    def _unb(self, segment: Segment) -> None:
        if self.unb is not None:
            self.problems.warn("out_of_place", segment, "a second UNB interchange header was ignored")
            return
        self.unb = segment

    def _check_message_type(self, segment: Segment) -> None:
        """A UNH naming another message type is read anyway, with a warning."""
        kind = segment.get(1, 0).upper()
        if kind and kind != self.MESSAGE_TYPE:
            self.problems.warn(
                f"not_{self.MESSAGE_TYPE.lower()}",
                segment,
                f"message type {show_code(kind, 6)} is not {self.MESSAGE_TYPE}; read as {self.MESSAGE_TYPE}",
            )

    def _unt(self, segment: Segment) -> None:
        message = self._current()
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
        if reference != message.reference and (reference or not self.UNT_REFERENCE_OPTIONAL):
            self.problems.warn("reference_mismatch", segment, "UNT message reference differs from the UNH reference")
        self._finish(message)
