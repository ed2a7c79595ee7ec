"""What reading a PNRGOV message reports: its problems (never quoting a segment that may hold
contacts or cards), its result, and the error raised when nothing usable could be read (over
``messages.problems``, which every message reader shares)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from messages import problems as shared
from messages.problems import MAX_SEGMENT_TEXT, MessageError, Reported

if TYPE_CHECKING:
    from messages.pnrgov.model import Pnr

# Segments that carry e-mail addresses, telephone or card numbers in clear: their text is never
# kept with a problem, since a problem may be shown or logged where those must not appear.
SENSITIVE_TAGS = frozenset({"FOP", "IFT", "ADD", "LTS", "SSR"})
_SENSITIVE_TEXT = re.compile(r"CTC|@|//|[0-9]{7}")


def shown_segment(text: str) -> str:
    """Segment text as a problem keeps it: cut short, and withheld when it may hold contacts or cards."""
    tag = text[:3]
    if tag in SENSITIVE_TAGS or _SENSITIVE_TEXT.search(text):
        return f"{tag} [withheld: the segment may hold contact or card details]"
    return text[:MAX_SEGMENT_TEXT]


class PnrgovProblem(shared.Problem):
    """One thing wrong with a PNRGOV message, where it was found and what is wrong.

    ``segment_number`` is the 1-based position of the segment in the interchange (the UNA
    service string advice, when present, is segment 1). ``segment`` is that segment's text,
    which may hold names or document numbers (never e-mail addresses, telephone or card
    numbers: such segments are withheld); ``message`` holds no personal data.
    """


@dataclass(frozen=True)
class PnrgovResult(Reported[PnrgovProblem]):
    """What one PNRGOV interchange held.

    ``manifest`` has one passenger record per traveller (TIF) of each PNR, in message order;
    ``pnrs`` the bookings as read (see ``messages.pnrgov.model``: contacts and cards only as
    keyed hashes); ``flight`` the flight the message was pushed for (its header TVL);
    ``version`` the PNRGOV version, ``13.1``.
    """

    manifest: list[dict[str, Any]]
    pnrs: list[Pnr]
    flight: dict[str, str] | None
    version: str
    problems: list[PnrgovProblem]


class PnrgovError(MessageError[PnrgovProblem]):
    """Nothing usable could be read from the PNRGOV message: ``problems``, the last being ``reason``."""

    code = "invalid_pnrgov"


class Problems(shared.Problems[PnrgovProblem]):
    """Collects a PNRGOV message's problems, withholding the text of segments that may hold contacts or cards."""

    def __init__(self) -> None:
        super().__init__(PnrgovProblem, PnrgovError, shown_segment)
