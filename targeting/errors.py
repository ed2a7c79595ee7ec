"""The command line's one error: an ordinary mistake, said in one line, with a registered code."""

from __future__ import annotations

from collections.abc import Mapping

from engine.codes import registered


class CommandError(Exception):
    """An ordinary mistake (a bad setting, an unreachable database): one line for the user, and an exit status.

    ``code`` is one of the error registry's (``engine.codes``): with ``--json`` the mistake is written
    as the API writes errors, ``{"code", "message", "errors"}``.
    """

    def __init__(
        self,
        message: str,
        status: int = 1,
        code: str = "invalid_input",
        errors: Mapping[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = registered(code).code
        self.errors = dict(errors or {})
