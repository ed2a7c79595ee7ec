"""The EDIFACT lexical layer shared by the airline messages: service string advice, separators,
the release character, and segments with their numbers, over pydifact's tokenizer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from pydifact import Characters, Parser, Serializer, Token, Tokenizer

# --------------------------------------------------------------------------- lexical layer


class ProblemSink(Protocol):
    """Where the lexical layer reports: the message reader's problem list."""

    def warn(self, code: str, where: Where, message: str) -> None: ...

    def fatal(self, code: str, where: Where, message: str) -> Exception:
        """Record an error and return the exception that ends reading."""
        ...


@dataclass(frozen=True)
class Syntax:
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
class Segment:
    """One segment: its position in the interchange, tag and data elements."""

    number: int
    tag: str
    elements: list[Any]  # each a str, or a list of component strs (pydifact's shape)
    syntax: Syntax | None

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


#: Where a problem was found: a segment, or a position and the text there when no segment was read.
Where = Segment | tuple[int, str]


@dataclass
class Lexed:
    segments: list[Segment]
    tail: tuple[int, str] | None  # position and unterminated text after the last segment terminator
    stopped: bool  # the tokenizer gave up before the end of the text
    mentions_unh: bool  # "UNH" followed by a separator appears somewhere in the text


TAG = re.compile(r"[A-Z]{3}")
_NO_RELEASE = "\uffff"  # a noncharacter: "no release character" when UNA declares a space


def as_text(text: str | bytes, problems: ProblemSink, message_type: str) -> str:
    """The message as text: bytes decoded (UTF-8, else Latin-1); anything else refused."""
    if isinstance(text, bytes | bytearray):
        try:
            return bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            # UNOA..UNOC interchanges are ASCII or Latin-1; Latin-1 decodes any byte.
            return bytes(text).decode("latin-1")
    if not isinstance(text, str):
        raise problems.fatal("not_edifact", (1, ""), f"a {message_type} message must be text")
    return text


def lex(text: str, problems: ProblemSink, separators: Characters | None = None) -> Lexed:
    """Split the interchange into segments with pydifact; raise the sink's error if it cannot be read.

    ``separators`` are read with when the text has no UNA segment (default: EDIFACT's own), for
    a reader that found the separators a message uses some other way.
    """
    text = without_transport_header(text.lstrip("\ufeff \t\r\n"), problems)
    number = 0
    segments: list[Segment] = []
    if text.startswith("UNA"):
        characters, text = _service_string_advice(text, problems)
        number = 1
        segments.append(Segment(1, "UNA", [], None))
    else:
        characters = separators or Characters()
    syntax = Syntax(characters, Serializer(characters))
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
    return Lexed(segments, tail, stopped, re.search(r"UNH[^A-Za-z0-9\s]", text) is not None)


# Where an interchange starts after a transport header: a line beginning UNA, UNB or UNH.
_INTERCHANGE = re.compile(r"(?:^|(?<=[\r\n]))[ \t]*(?=UN[ABH][^A-Za-z0-9\s])", re.MULTILINE)
_SEGMENT_START = re.compile(r"[A-Z]{3}[^A-Za-z0-9\s]")


def without_transport_header(text: str, problems: ProblemSink) -> str:
    """The interchange without what a transport network wrote before it, with a warning.

    Messages relayed over SITA or ARINC Type-B keep their address and origin lines
    (``QU SYDAPNZ``, ``.SYDXSNZ 031200``) before the UNA or UNB. Text that does not start
    with a segment is read from the first line that starts UNA, UNB or UNH, if any.
    """
    if _SEGMENT_START.match(text):
        return text
    found = _INTERCHANGE.search(text)
    if found is None or found.end() == 0:
        return text
    header = text[: found.end()].strip()
    lines = len(header.splitlines())
    problems.warn(
        "transport_header",
        (1, header),
        f"{lines} line{'s' if lines > 1 else ''} before the interchange (a transport header, such as "
        "Type-B address and origin lines) ignored",
    )
    return text[found.end() :]


def _service_string_advice(text: str, problems: ProblemSink) -> tuple[Characters, str]:
    """The separators a UNA segment declares, and the text after it."""
    declared = text[3:9]
    where = (1, text[:9])
    if len(declared) < 6:
        raise problems.fatal("bad_una", where, "the UNA service string advice is cut short")
    component, data, _decimal, release, _reserved, terminator = tuple(declared)
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


def _check_first_tag(text: str, number: int, characters: Characters, problems: ProblemSink) -> None:
    """Catch the commonest unreadable cases early: not EDIFACT, or separators other than the declared ones."""
    if not TAG.match(text):
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


def _raw_segment(number: int, raw: list[Any], syntax: Syntax, problems: ProblemSink) -> Segment:
    head, elements = (raw[0], raw[1:]) if raw else ("", [])
    tag = head if isinstance(head, str) else ":".join(head)
    segment = Segment(number, tag.strip(), elements, syntax)
    if tag != tag.strip() and TAG.fullmatch(tag.strip()):
        where = (number, syntax.render(tag, elements))
        problems.warn("stray_space", where, f"a space next to segment tag {tag.strip()} was ignored")
    return segment
