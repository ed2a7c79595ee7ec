"""Typed values: parsing rule and record values for a field, and encoding them for the engine.

One module decides what a value of each catalogue type is, so the compiler (rule values),
the record validator (passenger values) and the adapter (engine values) cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.catalogue import DECIMAL_PLACES, DECIMAL_SCALE, Field, FieldType

EPOCH_DATE = dt.date(1970, 1, 1)
UTC = dt.UTC

TypedValue = str | int | bool | Decimal | dt.date | dt.datetime | tuple[str, ...]
EngineValue = str | int | list[str]


class ValueProblem(ValueError):
    """A value does not fit its field; the message is for people."""


def _text(value: Any, field: Field) -> str:
    if isinstance(value, bool) or not isinstance(value, str):
        hint = " (YAML read it as a boolean: quote it)" if isinstance(value, bool) else ""
        raise ValueProblem(f"expected a string, got {_kind(value)}{hint}")
    if len(value) > field.max_length:
        raise ValueProblem(f"longer than {field.max_length} characters")
    problem = unsafe_character(value)
    if problem:
        raise ValueProblem(problem)
    return value


# Unicode categories Cc (control characters) and Cs (surrogates, unpaired in a str), and the
# bidirectional controls and marks: embeddings and overrides U+202A-U+202E, isolates
# U+2066-U+2069, and the marks U+200E, U+200F and U+061C. Written as regular-expression escapes,
# so the passenger schema (``engine.json_schema``) carries the same class.
_BIDI_CONTROLS = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
UNSAFE_CHARACTERS = rf"\u0000-\u001f\u007f-\u009f\ud800-\udfff{_BIDI_CONTROLS}"
_UNSAFE_CHARACTER = re.compile(f"[{UNSAFE_CHARACTERS}]")
_UNSAFE_IN_LINES = re.compile(rf"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ud800-\udfff{_BIDI_CONTROLS}]")

#: The written forms of dates and of dates and times (RFC 3339; the offset may be left out, and
#: the time may end at minutes): what the parsers accept, and the passenger schema says.
DATE_PATTERN = r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_TIME_PATTERN = (
    r"[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?"
)
DATETIME_PATTERN = DATE_PATTERN + _TIME_PATTERN
_DATE = re.compile(DATE_PATTERN)
_DATETIME = re.compile(DATETIME_PATTERN)
#: A decimal as text: digits, a point and digits, nothing else (no exponent, sign, spaces or _).
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def unsafe_character(text: str, *, lines: bool = False) -> str | None:
    """Why ``text`` may not be kept as free text (names, ids, reasons), or None if it may.

    The one definition of characters no free text may hold: control characters (with
    ``lines``, tab and line breaks are allowed), unpaired surrogates, and the invisible
    bidirectional controls and marks, which reorder how the text around them is shown, so a
    name on an officer's screen could read as another. Letters of right-to-left scripts are
    text like any other.
    """
    found = (_UNSAFE_IN_LINES if lines else _UNSAFE_CHARACTER).search(text)
    if found is None:
        return None
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        return "contains an unpaired surrogate"
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return "contains a control character"
    return f"contains a bidirectional control character (U+{code:04X})"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


#: The formats dates and times are written in, named in every message refusing one.
DATE_FORMAT = "YYYY-MM-DD (e.g. 2026-12-01)"
DATETIME_FORMAT = "YYYY-MM-DDThh:mm:ss with Z or an offset (ISO 8601, e.g. 2026-12-01T09:30:00Z)"
_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: Any) -> dt.date:
    # The value is never echoed: it may be a passenger's date of birth.
    if isinstance(value, dt.datetime):
        raise ValueProblem(f"expected a date as {DATE_FORMAT}, got a date and time")
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueProblem(f"expected a date as {DATE_FORMAT}, got {_kind(value)}")
    if not _DATE_SHAPE.fullmatch(value):
        raise ValueProblem(f"expected a date as {DATE_FORMAT}")
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueProblem("no such date: the month or the day is out of range") from None


def parse_datetime(value: Any) -> dt.datetime:
    """An aware UTC datetime truncated to whole seconds (the engine's resolution).

    A value without an offset is taken as UTC.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and 10 <= len(value) <= 40:
        if len(value) == 10 and _DATE_SHAPE.fullmatch(value):
            raise ValueProblem(f"expected a date and time as {DATETIME_FORMAT}, got a date only")
        try:
            if not _DATETIME.fullmatch(value):
                raise ValueError(value)
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueProblem(f"expected a date and time as {DATETIME_FORMAT}") from None
    elif isinstance(value, str):
        raise ValueProblem(f"expected a date and time as {DATETIME_FORMAT}")
    else:
        raise ValueProblem(f"expected a date and time as {DATETIME_FORMAT}, got {_kind(value)}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:
        raise ValueProblem("date and time out of range") from None
    return parsed.replace(microsecond=0)


def _decimal(value: Any, field: Field) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueProblem(f"expected a decimal number, got {_kind(value)}")
    if isinstance(value, str) and not _DECIMAL_TEXT.fullmatch(value):
        raise ValueProblem(f"not a decimal number (digits, a point and digits): {value!r}")
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueProblem(f"not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise ValueProblem("must be a finite number")
    _check_range(number, field)
    quantized = number.quantize(_CENT)
    if quantized != number:
        raise ValueProblem(f"more than {DECIMAL_PLACES} decimal places")
    return quantized


_CENT = Decimal(1).scaleb(-DECIMAL_PLACES)


def _in_range(number: Decimal | int, field: Field) -> bool:
    return (field.minimum is None or number >= field.minimum) and (field.maximum is None or number <= field.maximum)


def _check_range(number: Decimal | int, field: Field) -> None:
    if not _in_range(number, field):
        raise ValueProblem(f"out of range {field.minimum}..{field.maximum}")


def parse_value(field: Field, value: Any) -> TypedValue:
    """Check ``value`` against ``field`` and return it as the field's Python type."""
    kind = field.type
    if kind is FieldType.STRING:
        return _text(value, field)
    if kind is FieldType.CODE:
        text = _text(value, field)
        problem = field.code_problem(text)
        if problem:
            raise ValueProblem(f"{text!r} {problem}")
        return text
    if kind is FieldType.INTEGER:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueProblem(f"expected an integer, got {_kind(value)}")
        _check_range(value, field)
        return value
    if kind is FieldType.DECIMAL:
        return _decimal(value, field)
    if kind is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueProblem(f"expected true or false, got {_kind(value)}")
        return value
    if kind is FieldType.DATE:
        return parse_date(value)
    if kind is FieldType.DATETIME:
        return parse_datetime(value)
    if kind is FieldType.CODE_LIST:
        raise ValueProblem("a list of codes is derived by the engine")
    raise AssertionError(kind)


def parse_code(field: Field, value: Any) -> str:
    """One element of a list-of-codes field (what ``contains`` takes)."""
    text = _text(value, field)
    problem = field.code_problem(text)
    if problem:
        raise ValueProblem(f"{text!r} {problem}")
    return text


# Lists always carry this first element: durable-rules' ``$iall`` is false on an empty
# list, and with the sentinel "no element equals X" holds on an empty list too. No code
# is empty, so the sentinel never equals a rule value.
LIST_SENTINEL = ""


def encode(value: TypedValue) -> EngineValue:
    """The value as the engine sees it: strings, integers, or lists of strings only."""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return int(value * DECIMAL_SCALE)
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    if isinstance(value, dt.date):
        return (value - EPOCH_DATE).days
    if isinstance(value, tuple):
        return [LIST_SENTINEL, *value]
    raise TypeError(f"cannot encode {type(value).__name__}")


def to_json(value: object) -> Any:
    """The value as it appears in explanations and JSON output."""
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        # Bounds of ``between`` and lists of dates or decimals are nested values: every
        # element must come out as JSON too, not only the top level.
        return [to_json(item) for item in value]
    return value


_SCALARS = (str, int, float, bool, type(None))


def plain_data(value: Any) -> Any:
    """The rule as plain JSON-compatible data (dates as ISO strings) for hashing and display.

    Recursion is several times faster for the rules officers write; a value nested too
    deep for it (a hostile ``tags``) is copied with a stack of its own instead.
    """
    try:
        return _plain_recursive(value)
    except RecursionError:
        return _plain_iterative(value)


def _plain_recursive(value: Any) -> Any:
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain_recursive(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_recursive(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _plain_iterative(value: Any) -> Any:
    root: list[Any] = [None]
    pending: list[tuple[Any, Any, Any]] = [(value, root, 0)]  # (value, container of its copy, key there)
    while pending:
        item, into, key = pending.pop()
        if isinstance(item, Mapping):
            copy: Any = {str(k): None for k in item}
            # Reversed onto the stack: items are copied in order, so a later key that reads the same wins.
            pending.extend((v, copy, str(k)) for k, v in reversed(list(item.items())))
        elif isinstance(item, list | tuple):
            copy = [None] * len(item)
            pending.extend((v, copy, i) for i, v in enumerate(item))
        elif isinstance(item, dt.date | dt.datetime):
            copy = item.isoformat()
        else:
            copy = item
        into[key] = copy
    return root[0]
