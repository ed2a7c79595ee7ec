"""The engine's one error hierarchy.

Every error carries fields a program can use (a stable ``code``, the rule id, the path
inside the rule or record) so callers never parse messages.
"""

from __future__ import annotations

from dataclasses import dataclass


class EngineError(Exception):
    """Root of every error the engine raises on purpose; ``code`` is one of ``engine.codes.REGISTRY``."""

    code = "internal_error"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rule pack: where it is and what is wrong."""

    code: str
    message: str
    path: str = ""
    rule_id: str = ""
    source: str = ""

    def __str__(self) -> str:
        parts = [self.source or "<input>", self.rule_id or "-", self.path or "-", self.message]
        return ": ".join(parts)


def group_by_path(problems: list[Problem], default: str = "$", strip: str = "") -> dict[str, list[str]]:
    """Messages keyed by path (``{"when.all[1].lte": [...]}``), the shape API errors use.

    ``strip`` removes a leading path prefix, e.g. ``rules[0]`` for a rule checked on its own.
    """
    grouped: dict[str, list[str]] = {}
    for problem in problems:
        path = problem.path.removeprefix(strip).lstrip(".") if strip else problem.path
        grouped.setdefault(path or default, []).append(problem.message)
    return grouped


class RuleCompilationError(EngineError):
    """A rule pack failed validation; ``problems`` holds every problem found, not just the first."""

    code = "invalid_rule"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        head = str(self.problems[0]) if self.problems else "no problems recorded"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(head + more)


class RecordError(EngineError):
    """A passenger record does not fit the field catalogue."""

    code = "invalid_passenger"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in self.problems))


class EngineFailure(EngineError):
    """The rules engine itself misbehaved; the ruleset shard involved has been rebuilt."""

    code = "engine_failure"
