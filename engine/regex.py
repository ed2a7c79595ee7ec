"""Regular expressions for ``matches`` conditions.

Patterns run on RE2 (``google-re2``), which matches in time linear in the input, so no
pattern can stall the service however it is written. durable-rules' own ``$mt`` is not
used: it silently never matches ``\\d``, ``^`` or ``$``, has no negation, fails on large
alternations and leaks memory per ruleset (see ``docs/engine.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import re2

MAX_PATTERN_LENGTH = 200
_MAX_PROGRAM_SIZE = 2_000  # RE2 program instructions; keeps the automaton small


class UnsafePattern(ValueError):
    """The pattern is outside the supported subset."""


@dataclass(frozen=True)
class SafePattern:
    """A compiled pattern matched against the whole value."""

    source: str
    _compiled: Any = field(compare=False, repr=False, default=None)  # an re2 pattern (re2 has no types)

    @classmethod
    def compile(cls, source: str) -> SafePattern:
        if not isinstance(source, str):
            raise UnsafePattern("pattern must be a string")
        if len(source) > MAX_PATTERN_LENGTH:
            raise UnsafePattern(f"pattern longer than {MAX_PATTERN_LENGTH} characters")
        if "\x00" in source:
            raise UnsafePattern("pattern contains a NUL character")
        options = re2.Options()
        options.max_mem = 1 << 20
        options.log_errors = False
        try:
            compiled = re2.compile(source, options)
        except re2.error as exc:
            reason = exc.args[0] if exc.args else "invalid"
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            raise UnsafePattern(f"unsupported regular expression: {reason}") from None
        if compiled.programsize > _MAX_PROGRAM_SIZE:
            raise UnsafePattern("pattern is too large (simplify repetitions or alternations)")
        return cls(source, compiled)

    def __reduce__(self) -> tuple[object, tuple[str]]:
        # The RE2 object cannot be pickled; a compiled ruleset sent to an engine worker
        # process recompiles its patterns from source.
        return (SafePattern.compile, (self.source,))

    def fullmatch(self, value: str) -> bool:
        return self._compiled.fullmatch(value) is not None
