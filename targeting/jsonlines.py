"""Reading JSON Lines input: one record per line, with a hint when the input is not JSON Lines."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

import orjson

from targeting.errors import CommandError

JSON_LINES = "expected JSON Lines: one record per line"


def json_lines(stream: Iterable[str], name: str) -> Iterator[tuple[int, str]]:
    """The numbered non-blank lines of a JSON Lines input.

    A JSON array or a pretty-printed record shows on its first line: it is refused there, with
    the way to turn it into JSON Lines, rather than answered with an error for each of its lines.
    """
    records = 0
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        if not records:
            _check_first_line(line.strip(), number, name)
        records += 1
        yield number, line
    if not records:
        print(f"targeting: {name}: no records ({JSON_LINES})", file=sys.stderr)


def _check_first_line(text: str, number: int, name: str) -> None:
    array = f"{name}: line {number} opens a JSON array; {JSON_LINES} (jq -c '.[]' FILE makes them)"
    try:
        whole = orjson.loads(text)
    except orjson.JSONDecodeError:
        if text[0] == "[":
            raise CommandError(array) from None
        if text[0] == "{":
            raise CommandError(
                f"{name}: line {number} is not a whole JSON record (pretty-printed?); "
                f"{JSON_LINES} (jq -c . FILE makes them)"
            ) from None
        return  # an ordinary bad line, answered as such
    if isinstance(whole, list):
        raise CommandError(array)
