"""Dates whose year may be written without its century, as airline messages write them: the
calendar dates one can mean, and the one taken for a date of birth or for any other date."""

from __future__ import annotations

import datetime as dt


def meanings(year: int, month: int, day: int, *, century_given: bool, reference: dt.date) -> list[dt.date]:
    """The valid calendar dates a date can mean: itself, or, with a two-digit year, one per plausible century."""
    if century_given:
        years = [year]
    else:
        century = reference.year // 100 * 100
        years = [century + offset + year for offset in (-200, -100, 0, 100)]
    days = []
    for candidate in years:
        try:
            days.append(dt.date(candidate, month, day))
        except ValueError:
            continue
    return days


def past_date(year: int, month: int, day: int, *, century_given: bool, latest: dt.date) -> dt.date | None:
    """A date never after ``latest`` (a date of birth): with a two-digit year, the latest such century."""
    past = [
        found for found in meanings(year, month, day, century_given=century_given, reference=latest) if found <= latest
    ]
    return max(past) if past else None


def nearest_date(year: int, month: int, day: int, *, century_given: bool, reference: dt.date) -> dt.date | None:
    """Any other date: with a two-digit year, the century that puts it nearest ``reference``."""
    days = meanings(year, month, day, century_given=century_given, reference=reference)
    return min(days, key=lambda found: abs((found - reference).days)) if days else None
