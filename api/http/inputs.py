"""Text that no store can keep is refused where it comes in: NUL characters and unpaired surrogates.

PostgreSQL text and JSON cannot hold a NUL, and neither database driver can encode a lone
surrogate, so such input used to get as far as a write and fail there as a 500 (found by
``tests/api/test_openapi_fuzz.py``). ``api.http.auth.requires`` calls these once the caller is
authenticated and has the role, so the refusal is a 422 naming each bad field, like any
validation error. CSV and PAXLST bodies are left to their own readers, which report bad
characters by line and column.

Every JSON body is read here, by :func:`load_json`, before any view or schema sees it: a body
nested deeper than :data:`MAX_JSON_DEPTH`, a number too long to convert or out of a double's
range, and ``NaN``/``Infinity`` (not JSON) are refused with a 400 and a code of their own. Read
by the standard parser alone, a body nested thousands deep exhausted Python's stack and an
integer of thousands of digits made ``int()`` raise: both were 500s with a traceback.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from itertools import accumulate
from typing import Any

from flask import request

from api.common import ServiceError, Unprocessable

#: How deeply a JSON body may nest objects and arrays. The deepest real body, a rule whose
#: conditions nest as deep as the rule language allows, is far shallower; a deeper one is
#: refused before it is parsed, so neither the parser nor any walk of the body after it
#: (all recursive) can run out of stack.
MAX_JSON_DEPTH = 200
_TOO_DEEP = f"the JSON nests objects and arrays deeper than {MAX_JSON_DEPTH} levels"

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_MESSAGE = "text may not contain NUL characters or unpaired surrogates"


def check_path(arguments: Mapping[str, Any]) -> None:
    """Refuse bad text in path parameters (before they are used to look anything up)."""
    problems = {name: [_MESSAGE] for name, value in arguments.items() if _unstorable(value)}
    _refuse(problems)


class UnreadableBody(ServiceError):
    """A JSON body the service will not read: 400 with the problem's own code."""

    code = "invalid_json"


def load_json(raw: bytes) -> Any:
    """The one reader of JSON request bodies: the body's value, or :class:`UnreadableBody`."""
    try:
        text = raw.decode("utf-8")
        if not text.strip():
            raise _Refused("invalid_json", "the body is not JSON: it holds nothing but whitespace")
        if _too_deep(text):
            raise _Refused("too_deep", _TOO_DEEP)
        return json.loads(text, parse_int=_integer, parse_float=_finite_float, parse_constant=_not_json)
    except UnicodeDecodeError as exc:
        raise _unreadable("invalid_json", f"the body is not JSON: not UTF-8 text (byte {exc.start})") from None
    except RecursionError:  # not JSON, and nested deeper than the count of its brackets shows
        raise _unreadable("too_deep", _TOO_DEEP) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise _unreadable("invalid_json", f"the body is not JSON: {exc.msg} ({where})") from None
    except _Refused as exc:
        raise _unreadable(exc.code, str(exc)) from None


class UnsupportedMediaType(ServiceError):
    """A body sent to an operation that reads JSON, without saying it is JSON: 415."""

    code = "unsupported_media_type"


def body() -> Any:
    """The request's JSON body as :func:`load_json` reads it (read once, kept for the request); None if none.

    A body that is not sent as JSON (``Content-Type: application/json``, or another ``+json`` type)
    is refused as :class:`UnsupportedMediaType`, rather than read as no body at all.
    """
    # Kept in the WSGI environ, not in ``g``: the console's in-process /v1 calls share one app context.
    environ = request.environ
    if _BODY not in environ:
        raw = request.get_data(cache=True)
        if raw.strip() and not request.is_json:
            sent = f"Content-Type {request.mimetype}" if request.mimetype else "no Content-Type"
            message = f"the body must be JSON, sent with Content-Type: application/json (it came with {sent})"
            raise UnsupportedMediaType(message, errors={"$": [message]})
        # Whitespace alone is not an empty body but JSON without a value: load_json refuses it.
        environ[_BODY] = load_json(raw) if raw else None
    return environ[_BODY]


_BODY = "targeting.json_body"


def check_query_and_body(takes_json: bool = True) -> None:
    """Read the JSON body (:func:`load_json`) if the operation takes one; refuse bad text in it, keys
    included, or in the query string. An operation that takes no JSON body does not read one."""
    problems: dict[str, list[str]] = {}
    for name, values in request.args.lists():
        if _unstorable(name) or any(_unstorable(value) for value in values):
            problems[name] = [_MESSAGE]
    value = body() if takes_json else None
    # JSON can only carry either as a \u escape (a raw NUL is not JSON): most bodies skip the walk.
    if value is not None and b"\\u" in request.get_data(cache=True):
        _walk(value, "", problems)
    _refuse(problems)


# A string (to its closing quote, once escaped quotes are gone) or a run of anything but brackets.
_NOT_A_BRACKET = re.compile(r'"[^"]*"?|[^][{}"]+')
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _too_deep(text: str) -> bool:
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False  # most bodies: too few brackets to nest that deep
    # Brackets inside strings do not count: escaped backslashes and quotes go first, so each
    # remaining quote opens or closes a string.
    brackets = _NOT_A_BRACKET.sub("", text.replace("\\\\", "").replace('\\"', ""))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > MAX_JSON_DEPTH


class _Refused(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _integer(text: str) -> int:
    limit = sys.get_int_max_str_digits()
    if len(text) > limit and len(text.lstrip("-")) > limit:
        raise _Refused("number_too_long", f"an integer has more than {limit} digits")
    return int(text)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _Refused("number_too_long", f"a number is out of range: {text[:20]}")
    return number


def _not_json(name: str) -> Any:
    raise _Refused("invalid_json", f"the body is not JSON: {name} is not a JSON number")


def _unreadable(code: str, message: str) -> UnreadableBody:
    return UnreadableBody(message, code, {"$": [message]})


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
