"""What reading a PAXLST message reports: problems tied to segments, the result, and the error
raised when nothing usable could be read."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.errors import EngineError
from messages.edifact import Segment

WARNING = "warning"
ERROR = "error"

# A hostile or broken message could otherwise produce one problem per segment without end.
MAX_PROBLEMS = 1000
# Segment text kept with a problem; enough to see what was wrong, never a whole message.
MAX_SEGMENT_TEXT = 300


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


# --------------------------------------------------------------------------- problems


class Problems:
    """Collects problems; stops recording (with one last note) past MAX_PROBLEMS."""

    def __init__(self) -> None:
        self.items: list[PaxlstProblem] = []
        self.full = False

    def add(self, severity: str, code: str, where: Segment | tuple[int, str], message: str) -> None:
        if self.full:
            return
        if isinstance(where, Segment):
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

    def warn(self, code: str, where: Segment | tuple[int, str], message: str) -> None:
        self.add(WARNING, code, where, message)

    def error(self, code: str, where: Segment | tuple[int, str], message: str) -> None:
        self.add(ERROR, code, where, message)

    def fatal(self, code: str, where: Segment | tuple[int, str], message: str) -> PaxlstError:
        """Record an error and return the exception that ends reading."""
        number, text = (where.number, where.text) if isinstance(where, Segment) else where
        # The reason for giving up is always recorded, whatever the cap.
        return PaxlstError(self.sorted(), PaxlstProblem(ERROR, number, text[:MAX_SEGMENT_TEXT], code, message))

    def sorted(self) -> list[PaxlstProblem]:
        return sorted(self.items, key=lambda p: p.segment_number)


_SAFE_CODE = re.compile(r"[A-Z0-9]{1,6}")


def show_code(code: str, longest: int = 4) -> str:
    """A qualifier or code for a problem message: shown only when it is too short to be personal data."""
    return f"'{code}'" if len(code) <= longest and _SAFE_CODE.fullmatch(code) else "an unreadable code"
