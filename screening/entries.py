"""Watchlist entries: the entry type, and reading and checking them from CSV rows (the
columns and checks are in the package docstring)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.catalogue import CATALOGUE, WATCHLIST_CATEGORIES
from engine.values import DATE_FORMAT, unsafe_character
from screening.names import normalise_name

AGENCIES = ("customs", "mpi", "immigration")
CATEGORIES = WATCHLIST_CATEGORIES

# The CSV columns, in their documented order. Optional columns may be left out of the header.
CSV_COLUMNS = (
    "id",
    "agency",
    "family_name",
    "given_names",
    "date_of_birth",
    "nationality",
    "document_number",
    "document_country",
    "category",
    "reason",
    "expires",
)
REQUIRED_COLUMNS = ("id", "agency", "family_name", "category", "reason", "expires")

MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = CATALOGUE["traveller.family_name"].max_length
MAX_REASON_LENGTH = 500
MAX_AGE_YEARS = CATALOGUE["traveller.age"].maximum or 150


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_YEAR = re.compile(r"[0-9]{4}")
_DOCUMENT_NUMBER = re.compile(CATALOGUE["document.number"].pattern or r"[A-Z0-9]{1,20}")
_COUNTRY_FIELD = CATALOGUE["traveller.nationality"]


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True, kw_only=True)
class WatchlistEntry:
    """One listed person, owned by an agency.

    The date of birth may be known in full (``birth_date``, with ``birth_year`` its year),
    by year only (``birth_year`` alone), or not at all (both None).
    """

    id: str
    agency: str
    family_name: str
    given_names: str = ""
    birth_year: int | None = None
    birth_date: dt.date | None = None
    nationality: str | None = None
    document_number: str | None = None
    document_country: str | None = None
    category: str
    reason: str
    expires: dt.date

    def __post_init__(self) -> None:
        if self.birth_date is not None:
            if self.birth_year is None:
                object.__setattr__(self, "birth_year", self.birth_date.year)
            elif self.birth_year != self.birth_date.year:
                raise ValueError("birth_year differs from the year of birth_date")

    @property
    def date_of_birth(self) -> str:
        """The date of birth as written in the CSV: ``YYYY-MM-DD``, ``YYYY`` or empty."""
        if self.birth_date is not None:
            return self.birth_date.isoformat()
        return "" if self.birth_year is None else f"{self.birth_year:04d}"

    def active_on(self, day: dt.date) -> bool:
        """Whether the entry applies on ``day`` (``expires`` is the last day it does)."""
        return day <= self.expires


@dataclass(frozen=True)
class RowError:
    """One problem with one row of a watchlist CSV: 1-based line, column, message."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field or '-'}: {self.message}"


def parse_csv(
    text: str,
    *,
    today: dt.date | None = None,
    check: Callable[[WatchlistEntry], Iterable[tuple[str, str]]] | None = None,
) -> tuple[list[WatchlistEntry], list[RowError]]:
    """Parse a watchlist CSV: the entries of the good rows, and every problem of the bad ones.

    The first row is a header naming the columns of :data:`CSV_COLUMNS` (any order; the
    columns outside :data:`REQUIRED_COLUMNS` may be left out). A row with any problem
    yields no entry and one :class:`RowError` per problem, with the line the row starts
    on, so nothing is dropped without a report. Blank lines are skipped. ``today``
    (default: today in UTC) bounds dates of birth. ``check`` is the importer's own test of
    each valid entry (whose it is, say): each ``(column, message)`` it gives is a problem
    of that row like any other.
    """
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[RowError] = []
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return [], [RowError(1, "", "the file is empty: expected a header row")]
    except csv.Error as exc:
        return [], [RowError(1, "", f"unreadable header: {exc}")]
    known: list[str | None] = []
    for name in header:
        if name not in CSV_COLUMNS:
            errors.append(RowError(1, name, f"unknown column (expected {', '.join(CSV_COLUMNS)})"))
            known.append(None)
        elif name in known:
            errors.append(RowError(1, name, "column given twice"))
            known.append(None)
        else:
            known.append(name)
    missing = [name for name in REQUIRED_COLUMNS if name not in known]
    errors.extend(RowError(1, name, "required column missing") for name in missing)
    if missing:
        return [], errors

    entries: list[WatchlistEntry] = []
    first_line: dict[str, int] = {}
    start = reader.line_num + 1
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            # A stray quote or a NUL byte: the reader starts afresh on the next line, so report
            # the row and go on (an unclosed quote runs to the end of the file, and says so).
            errors.append(RowError(start, "", f"unreadable row: {exc}"))
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(RowError(line, "", f"expected {len(header)} fields, got {len(row)}"))
            continue
        values = {name: cell for name, cell in zip(known, row, strict=True) if name is not None}
        entry, problems = parse_entry(values, line=line, today=today)
        errors.extend(problems)
        if entry is None:
            continue
        refused = [RowError(line, column, message) for column, message in check(entry)] if check else []
        if refused:
            errors.extend(refused)
            continue
        if entry.id in first_line:
            errors.append(RowError(line, "id", f"duplicate id {entry.id!r}, first on line {first_line[entry.id]}"))
            continue
        first_line[entry.id] = line
        entries.append(entry)
    return entries, errors


def parse_entry(
    values: Mapping[str, str | None], *, line: int = 0, today: dt.date | None = None
) -> tuple[WatchlistEntry | None, list[RowError]]:
    """Check one entry given as text by column name (a CSV row, or an API body).

    Returns the entry, or None and every problem found (each a :class:`RowError` on ``line``).
    """
    today = today or dt.datetime.now(dt.UTC).date()
    problems: list[RowError] = []

    def bad(name: str, message: str) -> None:
        problems.append(RowError(line, name, message))

    def text(name: str, limit: int, required: bool = False, lines: bool = False) -> str:
        raw = values.get(name)
        value = "" if raw is None else str(raw).strip()
        unsafe = unsafe_character(value, lines=lines)  # a reason may have lines and tabs
        if required and not value:
            bad(name, "required")
        elif len(value) > limit:
            bad(name, f"longer than {limit} characters")
        elif unsafe:
            bad(name, unsafe)
        return value

    entry_id = text("id", MAX_ID_LENGTH, required=True)
    if entry_id and not _ID.fullmatch(entry_id):
        bad("id", "letters, digits, '.', '_' and '-' only, starting with a letter or digit")
    agency = text("agency", 20, required=True)
    if agency and agency not in AGENCIES:
        bad("agency", f"unknown agency {agency!r} (expected one of {', '.join(AGENCIES)})")
    family = text("family_name", MAX_NAME_LENGTH, required=True)
    if family and not normalise_name(family):
        bad("family_name", "has no letters")
    given = text("given_names", MAX_NAME_LENGTH)
    if given and not normalise_name(given):
        bad("given_names", "has no letters")
    birth_year, birth_date = _birth(text("date_of_birth", 10), today, bad)
    nationality = _country(text("nationality", 3), "nationality", bad)
    number = text("document_number", 40).upper()
    if number and not _DOCUMENT_NUMBER.fullmatch(number):
        bad("document_number", "letters and digits only, at most 20")
    country = _country(text("document_country", 3), "document_country", bad)
    if country and not number:
        bad("document_country", "given without a document_number")
    category = text("category", 20, required=True)
    if category and category not in CATEGORIES:
        bad("category", f"unknown category {category!r} (expected one of {', '.join(CATEGORIES)})")
    reason = text("reason", MAX_REASON_LENGTH, required=True, lines=True)
    expires_text = text("expires", 10, required=True)
    expires = _date(expires_text, "expires", bad) if expires_text else None
    if problems or expires is None:
        return None, problems
    entry = WatchlistEntry(
        id=entry_id,
        agency=agency,
        family_name=family,
        given_names=given,
        birth_year=birth_year,
        birth_date=birth_date,
        nationality=nationality,
        document_number=number or None,
        document_country=country,
        category=category,
        reason=reason,
        expires=expires,
    )
    return entry, []


def _date(value: str, name: str, bad: Any) -> dt.date | None:
    expected = f"{DATE_FORMAT} or a year (YYYY)" if name == "date_of_birth" else DATE_FORMAT
    if len(value) != 10:
        bad(name, f"expected a date as {expected}, got {value!r}")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        bad(name, f"not a valid date: {value!r}; expected {expected}")
        return None


def _birth(value: str, today: dt.date, bad: Any) -> tuple[int | None, dt.date | None]:
    if not value:
        return None, None
    if _YEAR.fullmatch(value):
        year, day = int(value), None
    else:
        day = _date(value, "date_of_birth", bad)
        if day is None:
            return None, None
        year = day.year
    # A typo such as 1089 would silently never match anyone: refuse impossible dates.
    if (day or dt.date(year, 1, 1)) > today:
        bad("date_of_birth", "is in the future")
    elif year < today.year - MAX_AGE_YEARS:
        bad("date_of_birth", f"more than {MAX_AGE_YEARS} years ago")
    return year, day


def _country(value: str, name: str, bad: Any) -> str | None:
    if not value:
        return None
    problem = _COUNTRY_FIELD.code_problem(value.upper())
    if problem:
        bad(name, f"not an ISO 3166-1 alpha-3 country code ({problem}): {value!r}")
        return None
    return value.upper()
