"""What reading a PAXLST message reports: its problems, its result, and the error raised when
nothing usable could be read (over ``messages.problems``, which every message reader shares)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from messages import problems as shared
from messages.problems import MessageError, Reported


class PaxlstProblem(shared.Problem):
    """One thing wrong with a PAXLST message, where it was found and what is wrong.

    ``segment_number`` is the 1-based position of the segment in the interchange (the UNA
    service string advice, when present, is segment 1). ``segment`` is that segment's text,
    which may contain personal data; ``message`` never does.
    """


@dataclass(frozen=True)
class PaxlstResult(Reported[PaxlstProblem]):
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


class PaxlstError(MessageError[PaxlstProblem]):
    """Nothing usable could be read from the PAXLST message: ``problems``, the last being ``reason``."""

    code = "invalid_paxlst"


class Problems(shared.Problems[PaxlstProblem]):
    """Collects a PAXLST message's problems, each keeping its segment's text cut short."""

    def __init__(self) -> None:
        super().__init__(PaxlstProblem, PaxlstError)
