"""PAXLST dates: DTM stamps by format code (the century of two-digit years: ``messages.dates``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from messages.dates import nearest_date, past_date

# --------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class _Stamp:
    """A DTM value as written: the year may lack its century."""

    year: int
    century_given: bool
    month: int
    day: int
    time: dt.time | None


# DTM format codes (UN/EDIFACT 2379) used in PAXLST: length, century given, time given.
_DATE_FORMATS: dict[str, tuple[int, bool, bool]] = {
    "101": (6, False, False),  # YYMMDD
    "102": (8, True, False),  # CCYYMMDD
    "201": (10, False, True),  # YYMMDDHHMM
    "203": (12, True, True),  # CCYYMMDDHHMM
    "204": (14, True, True),  # CCYYMMDDHHMMSS
}
_FORMAT_BY_LENGTH = {length: code for code, (length, _, _) in _DATE_FORMATS.items()}


def parse_stamp(value: str, format_code: str) -> _Stamp | None:
    """Parse a DTM value; None when it does not fit its format (or any, when none is given)."""
    code = format_code or _FORMAT_BY_LENGTH.get(len(value), "")
    if code not in _DATE_FORMATS or not value.isascii() or not value.isdigit():
        return None
    length, century, has_time = _DATE_FORMATS[code]
    if len(value) != length:
        return None
    year_digits = 4 if century else 2
    year, rest = int(value[:year_digits]), value[year_digits:]
    month, day = int(rest[0:2]), int(rest[2:4])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    time = None
    if has_time:
        hour, minute, second = int(rest[4:6]), int(rest[6:8]), int(rest[8:10] or 0)
        if hour > 23 or minute > 59 or second > 59:
            return None
        time = dt.time(hour, minute, second)
    return _Stamp(year, century, month, day, time)


def birth_date(stamp: _Stamp, reference: dt.date) -> dt.date | None:
    """A date of birth, never after ``reference``: with a two-digit year, the latest such century."""
    return past_date(stamp.year, stamp.month, stamp.day, century_given=stamp.century_given, latest=reference)


def near_date(stamp: _Stamp, reference: dt.date) -> dt.date | None:
    """Any other date: with a two-digit year, the century that puts it nearest ``reference``."""
    return nearest_date(stamp.year, stamp.month, stamp.day, century_given=stamp.century_given, reference=reference)
