"""Text that no store can keep is refused where it comes in: NUL characters and unpaired surrogates.

PostgreSQL text and JSON cannot hold a NUL, and neither database driver can encode a lone
surrogate, so such input used to get as far as a write and fail there as a 500 (found by
``tests/api/test_openapi_fuzz.py``). ``api.auth.requires`` calls these once the caller is
authenticated and has the role, so the refusal is a 422 naming each bad field, like any
validation error. CSV and PAXLST bodies are left to their own readers, which report bad
characters by line and column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import request

from api.services.interfaces import Unprocessable

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_MESSAGE = "text may not contain NUL characters or unpaired surrogates"


def check_path(arguments: Mapping[str, Any]) -> None:
    """Refuse bad text in path parameters (before they are used to look anything up)."""
    problems = {name: [_MESSAGE] for name, value in arguments.items() if _unstorable(value)}
    _refuse(problems)


def check_query_and_body() -> None:
    """Refuse bad text in the query string or anywhere in a JSON body, keys included."""
    problems: dict[str, list[str]] = {}
    for name, values in request.args.lists():
        if _unstorable(name) or any(_unstorable(value) for value in values):
            problems[name] = [_MESSAGE]
    if request.is_json:
        raw = request.get_data(cache=True)
        # JSON can only carry either as a \u escape (a raw NUL is not JSON): most bodies skip the walk.
        if b"\\u" in raw or b"\x00" in raw:
            _walk(request.get_json(silent=True), "", problems)
    _refuse(problems)


def _unstorable(value: Any) -> bool:
    return isinstance(value, str) and _UNSTORABLE.search(value) is not None


def _walk(value: Any, path: str, problems: dict[str, list[str]]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if _unstorable(key):
                problems[here] = [_MESSAGE]
            _walk(item, here, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}[{index}]", problems)
    elif _unstorable(value):
        problems[path or "$"] = [_MESSAGE]


def _refuse(problems: dict[str, list[str]]) -> None:
    if problems:
        raise Unprocessable("the request is not valid", "invalid_input", problems)
