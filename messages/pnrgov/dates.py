"""PNRGOV dates and times: ``DDMMYY`` and ``HHMM[SS]`` in TVL, DAT and RCI, ``DDMMMYY`` in SSR DOCS,
``YYMMDD`` in UNB (the century of their two-digit years: ``messages.dates``)."""

from __future__ import annotations

import datetime as dt
import re

from messages.dates import nearest_date, past_date

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_DOCS_DATE = re.compile(r"([0-9]{2})([A-Z]{3})([0-9]{2}|[0-9]{4})")


def ddmmyy(value: str, reference: dt.date) -> dt.date | None:
    """A ``DDMMYY`` date (TVL, DAT, RCI); None when it is not one."""
    if not re.fullmatch(r"[0-9]{6}", value):
        return None
    return nearest_date(int(value[4:6]), int(value[2:4]), int(value[0:2]), century_given=False, reference=reference)


def yymmdd(value: str, reference: dt.date) -> dt.date | None:
    """A ``YYMMDD`` date (the UNB preparation date); None when it is not one."""
    if not re.fullmatch(r"[0-9]{6}", value):
        return None
    return nearest_date(int(value[0:2]), int(value[2:4]), int(value[4:6]), century_given=False, reference=reference)


def clock(value: str) -> dt.time | None:
    """An ``HHMM`` or ``HHMMSS`` time; None when it is not one."""
    if not re.fullmatch(r"[0-9]{4}|[0-9]{6}", value):
        return None
    hour, minute, second = int(value[0:2]), int(value[2:4]), int(value[4:6] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return dt.time(hour, minute, second)


def docs_date(value: str, reference: dt.date, *, birth: bool = False) -> dt.date | None:
    """A ``DDMMMYY`` (or ``DDMMMYYYY``) date of SSR DOCS and DOCO; a date of birth is never after ``reference``."""
    found = _DOCS_DATE.fullmatch(value.upper())
    if found is None or found.group(2) not in _MONTHS:
        return None
    day, month, year = int(found.group(1)), _MONTHS[found.group(2)], int(found.group(3))
    century_given = len(found.group(3)) == 4
    if birth:
        return past_date(year, month, day, century_given=century_given, latest=reference)
    return nearest_date(year, month, day, century_given=century_given, reference=reference)
