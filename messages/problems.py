"""What reading any airline message reports: problems tied to segments, the collector that caps
them, what a result says of them, the error raised when nothing usable could be read, and how a
code may be shown in a problem message. Each reader names its own types over these."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from engine.errors import EngineError
from messages.edifact import Segment, Where

WARNING = "warning"
ERROR = "error"

# A hostile or broken message could otherwise produce one problem per segment without end.
MAX_PROBLEMS = 1000
# Segment text kept with a problem; enough to see what was wrong, never a whole message.
MAX_SEGMENT_TEXT = 300


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a message, where it was found and what is wrong.

    ``segment_number`` is the 1-based position of the segment in the interchange (the UNA
    service string advice, when present, is segment 1). ``segment`` is that segment's text,
    which may hold personal data; ``message`` never does.
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


P = TypeVar("P", bound=Problem)


class Reported(Generic[P]):
    """A reader's result: its ``problems``, in segment order, by severity."""

    problems: list[P]

    @property
    def errors(self) -> list[P]:
        """The problems of severity ``error``: data may have been lost or be incomplete."""
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[P]:
        """The problems of severity ``warning``: untidy, but read."""
        return [p for p in self.problems if p.severity == WARNING]


class MessageError(EngineError, Generic[P]):
    """Nothing usable could be read from the message.

    ``problems`` holds every problem found, the last being ``reason``: why reading stopped.
    """

    def __init__(self, problems: Iterable[P], reason: P) -> None:
        self.problems = [*problems, reason]
        self.reason = reason
        super().__init__(reason.message)


def cut_short(text: str) -> str:
    """Segment text as a problem keeps it: no more than MAX_SEGMENT_TEXT characters."""
    return text[:MAX_SEGMENT_TEXT]


class Problems(Generic[P]):
    """Collects problems; stops recording (with one last note) past MAX_PROBLEMS.

    ``problem`` and ``error`` are the reader's types; ``shown`` is the segment text a problem
    keeps (a reader whose segments may hold contacts withholds those).
    """

    def __init__(
        self,
        problem: Callable[[str, int, str, str, str], P],
        error: Callable[[list[P], P], MessageError[P]],
        shown: Callable[[str], str] = cut_short,
    ) -> None:
        self.items: list[P] = []
        self.full = False
        self._make = problem
        self._error = error
        self._shown = shown

    def add(self, severity: str, code: str, where: Where, message: str) -> None:
        if self.full:
            return
        if len(self.items) >= MAX_PROBLEMS:
            self.full = True
            severity, code, message = (
                WARNING,
                "too_many_problems",
                f"more than {MAX_PROBLEMS} problems; the rest are not listed",
            )
        self.items.append(self._problem(severity, code, where, message))

    def warn(self, code: str, where: Where, message: str) -> None:
        self.add(WARNING, code, where, message)

    def error(self, code: str, where: Where, message: str) -> None:
        self.add(ERROR, code, where, message)

    def fatal(self, code: str, where: Where, message: str) -> MessageError[P]:
        """Record an error and return the exception that ends reading."""
        # The reason for giving up is always recorded, whatever the cap.
        return self._error(self.sorted(), self._problem(ERROR, code, where, message))

    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.items)

    def sorted(self) -> list[P]:
        return sorted(self.items, key=lambda p: p.segment_number)

    def _problem(self, severity: str, code: str, where: Where, message: str) -> P:
        number, text = (where.number, where.text) if isinstance(where, Segment) else where
        return self._make(severity, number, self._shown(text), code, message)


_SAFE_CODE = re.compile(r"[A-Z0-9]{1,6}")


def show_code(code: str, longest: int = 4) -> str:
    """A qualifier or code for a problem message: shown only when it is too short to be personal data."""
    return f"'{code}'" if len(code) <= longest and _SAFE_CODE.fullmatch(code) else "an unreadable code"
