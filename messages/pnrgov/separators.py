"""The separators a PNRGOV message really uses, and the repairs that let it be read.

Feeds are untidy: a UNA service string advice cut short, or ended by a typographic
apostrophe (a word processor's "smart quote") while the segments end with a plain one;
separators other than the defaults without a UNA to declare them; typographic apostrophes
in place of segment terminators further on. This module finds the separators the segments
use (from the first segments' shape: a tag, the data element separator, ``UNB+IATA:1``,
``PNRGOV:13:1``, the character before the next tag) and rewrites only what must change,
so segment numbers stay those of the text as sent. Every repair is a note for a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydifact import Characters

# Segment tags of PNRGOV and its envelope: a repaired terminator must be followed by one.
KNOWN_TAGS = frozenset(
    {
        "UNA", "UNB", "UNG", "UNH", "UNT", "UNE", "UNZ", "MSG", "ORG", "TVL", "EQN", "SRC", "RCI",
        "SSR", "DAT", "IFT", "ADD", "EBD", "TIF", "FTI", "REF", "FAR", "TKT", "MON", "PTK", "TXD",
        "FOP", "TRA", "RPI", "APD", "TRI", "SSD", "TBD", "ABI", "SAC", "LTS", "ERC",
    }
)  # fmt: skip
DEFAULT = Characters()
# Stand-ins for the segment terminator: typographic apostrophes and primes.
APOSTROPHE_LOOKALIKES = "\u2019\u2018\u02bc\u2032"
_SEPARATOR = r"[^A-Za-z0-9\s]"
_TAGS = "|".join(sorted(KNOWN_TAGS))
MAX_REPAIRS = 50


@dataclass
class Prepared:
    """The text to read, the separators to read it with when it has no UNA, and the repairs made."""

    text: str
    separators: Characters | None
    notes: list[tuple[str, int, str]] = field(default_factory=list)  # code, offset in text, message


@dataclass(frozen=True)
class _Found:
    component: str | None
    data: str | None
    terminator: str | None


def prepare(text: str) -> Prepared:
    """``text`` with its service string advice and terminators repaired, and the notes of each repair."""
    text = text.lstrip("\ufeff \t\r\n")
    if text.startswith("UNA"):
        prepared = _repair_una(text)
        terminator = prepared.text[8] if len(prepared.text) > 8 else "'"
    else:
        prepared = _without_una(text)
        terminator = (prepared.separators or DEFAULT).segment_terminator
    if terminator not in APOSTROPHE_LOOKALIKES:
        _repair_terminators(prepared, terminator)
    return prepared


def _repair_una(text: str) -> Prepared:
    nxt = re.search(r"UN[BGH]", text[3:40])
    end = 3 + nxt.start() if nxt else 9
    declared = text[3:end]
    # Line breaks after a complete advice are layout, not part of it.
    if len(declared) > 6:
        declared = declared[:6] if not declared[6:].strip() else declared
    if nxt is None or len(declared) > 6:
        return Prepared(text, None)  # not the shape this repair knows: the lexer reports it
    found = _find(text[end:])
    component, data, terminator = (declared + "\0" * 6)[0], (declared + "\0" * 6)[1], declared[-1:]
    complete = len(declared) == 6
    agrees = (
        (found.component in (None, component))
        and (found.data in (None, data))
        and (found.terminator in (None, terminator))
    )
    if complete and agrees:
        return Prepared(text, None)
    component = found.component or (component if complete else DEFAULT.component_separator)
    data = found.data or (data if complete else DEFAULT.data_separator)
    terminator = found.terminator or (terminator if complete else DEFAULT.segment_terminator)
    decimal, release = (declared[2], declared[3]) if complete else (".", "?")
    if release in (component, data, terminator) or release.isalnum():
        release = " "  # a space declares no release character
    if len({component, data, terminator}) < 3:
        return Prepared(text, None)  # no consistent set of separators: the lexer reports it
    advice = f"UNA{component}{data}{decimal}{release} {terminator}"
    what = "is cut short" if not complete else "declares separators the segments do not use"
    note = (
        "bad_una",
        0,
        f"the UNA service string advice {what}; read with the separators the segments use: "
        f"component '{component}', data element '{data}', segment terminator '{terminator}'",
    )
    return Prepared(advice + text[end:], None, [note])


def _without_una(text: str) -> Prepared:
    found = _find(text)
    separators = Characters(
        component_separator=found.component or DEFAULT.component_separator,
        data_separator=found.data or DEFAULT.data_separator,
        segment_terminator=found.terminator or DEFAULT.segment_terminator,
    )
    chosen = (separators.component_separator, separators.data_separator, separators.segment_terminator)
    defaults = (DEFAULT.component_separator, DEFAULT.data_separator, DEFAULT.segment_terminator)
    if chosen == defaults or len(set(chosen)) < 3:
        return Prepared(text, None)
    if separators.escape_character in chosen:
        separators.escape_character = "\uffff"  # a noncharacter: no release character
    note = (
        "separators_found",
        0,
        "there is no UNA segment and the segments use separators other than the defaults; read with "
        f"component '{chosen[0]}', data element '{chosen[1]}', segment terminator '{chosen[2]}'",
    )
    return Prepared(text, separators, [note])


def _find(body: str) -> _Found:
    """The separators the first segments of ``body`` (the text after any UNA) use, where they show."""
    body = body.lstrip(" \t\r\n")
    first = re.match(rf"([A-Z]{{3}})\s*({_SEPARATOR})", body)
    if first is None:
        return _Found(None, None, None)
    data = first.group(2)
    terminator = None
    after = re.compile(rf"({_SEPARATOR})[ \t\r\n]*(?:{_TAGS}){re.escape(data)}")
    for candidate in after.finditer(body, first.end()):
        if candidate.group(1) != data:
            terminator = candidate.group(1)
            break
    component = None
    syntax = re.search(rf"(?:UNB{re.escape(data)}[A-Z]{{4}}|PNRGOV)({_SEPARATOR})", body[:400])
    if syntax and syntax.group(1) not in (data, terminator):
        component = syntax.group(1)
    return _Found(component, data, terminator)


def _repair_terminators(prepared: Prepared, terminator: str) -> None:
    """Typographic apostrophes standing where a segment ends (before a tag, or at the end) become ``terminator``."""
    pattern = re.compile(rf"[{APOSTROPHE_LOOKALIKES}](?=[ \t\r\n]*(?:(?:{_TAGS})[^A-Za-z0-9\s]|[ \t\r\n]*$))")
    repaired = 0

    def swap(found: re.Match[str]) -> str:
        nonlocal repaired
        repaired += 1
        if repaired <= MAX_REPAIRS:
            prepared.notes.append(
                (
                    "damaged_terminator",
                    found.start(),
                    f"a typographic apostrophe (U+{ord(found.group()):04X}) stands where the segment "
                    f"terminator '{terminator}' belongs; read as one",
                )
            )
        return terminator

    prepared.text = pattern.sub(swap, prepared.text)


def segment_number(text: str, offset: int, terminator: str, release: str) -> int:
    """The 1-based number of the segment ``offset`` falls in: one more than the terminators before it."""
    count = 0
    escaped = False
    for char in text[:offset]:
        if escaped:
            escaped = False
        elif char == release:
            escaped = True
        elif char == terminator:
            count += 1
    return count + 1
