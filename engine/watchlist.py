"""The joint non-compliant list (watchlist): entries, CSV import and fuzzy screening.

Pure Python plus rapidfuzz (string metrics), anyascii (transliteration) and jellyfish
(a phonetic key): no web framework, database or network. Typical use::

    entries, errors = parse_csv(text)          # every bad row reported by line and field
    watchlist = Watchlist(entries)             # immutable snapshot, ``watchlist.version``
    matches = watchlist.screen(record, at=day) # a PassengerRecord, a mapping or a Person

CSV
---
A header row, then one entry a row. Columns (any order; the optional ones may be left out):

=================  ========  ====================================================
column             required  value
=================  ========  ====================================================
id                 yes       letters, digits, ``.``, ``_``, ``-``; unique in the file
agency             yes       customs | mpi | immigration (the owner)
family_name        yes       at most 100 characters, with at least one letter
given_names        no        may be empty
date_of_birth      no        ``YYYY-MM-DD``, ``YYYY`` (year only) or empty
nationality        no        ISO 3166-1 alpha-3 (``NZL``), or empty
document_number    no        letters and digits (upper-cased), at most 20
document_country   no        alpha-3 issuing state; only with a document_number
category           yes       biosecurity | customs | immigration
reason             yes       at most 500 characters
expires            yes       ``YYYY-MM-DD``, the last day the entry applies
=================  ========  ====================================================

Names
-----
Names are normalised (:func:`normalise_name`) into tokens: transliterated to ASCII
(``Иванов`` -> ``ivanov``), casefolded, German umlaut spellings folded (``ae``/``oe``/``ue``
read as ``a``/``o``/``u`` on both sides, so ``Müller``, ``Mueller`` and ``MULLER`` are one
name), apostrophes dropped (``O'Brien`` = ``OBRIEN``), hyphens and any other non-letter
read as a space (``Smith-Jones`` = ``Smith Jones``).

Two tokens compare (:func:`token_similarity`) by Jaro-Winkler similarity; tokens of four
letters or fewer by the stricter optimal-string-alignment edit similarity (one letter in
three or four makes a different name: ``Min``/``Jin``, ``Wei``/``Wen``). Two tokens with
the same Metaphone key are lifted half-way to 1 when already similar (Jaro-Winkler 0.8;
for short ones, edit similarity 0.75 and a letter added or dropped, not changed):
``Mohammed``/``Muhammad``, ``Jon``/``John``, but not ``Yuki``/``Yuko``.

A name part (family or given names) compares token by token, best pairs first, as the
*product* of the pairs' similarities; each token left over on either side (a middle name
one source lacks) multiplies by ``1 - extra_token_penalty``. A part of one token also
compares with the other part's tokens run together (``Vanderberg`` = ``van der Berg``).

The **name score**, when both sides have given names, is the best of: family × given
similarity as listed; the same with family and given names swapped, × ``swapped_factor``;
all tokens compared whichever part they are in, × ``any_order_factor``. When either side
has no given names, it is the best family-name comparison (against either part of the
other side) × ``missing_given_factor``, unless the side without given names holds two or
more tokens that all pair up with the other side's (the whole name written in the family
name field): then that comparison × ``any_order_factor``.

Score
-----
The **score** is the name score plus adjustments, clamped to [0, 1]:

- date of birth: exact ``+dob_exact_bonus``; within ``dob_tolerance_days`` days, or day and
  month transposed, ``+dob_near_bonus``; a year-only entry and the passenger's year
  ``+dob_year_bonus``; unknown on either side ``-dob_unknown_penalty`` (no boost and no
  veto, but the name must be that much stronger); both known and different beyond the
  tolerance: **no match** (a veto), unless the document number matches;
- nationality: same ``+nationality_same_bonus``; different ``-nationality_different_penalty``
  (not a veto: people hold several); unknown on either side 0;
- document: the same number and issuing country scores **1.0** whatever else differs; the
  same number with the issuing country unknown on one side adds ``document_number_bonus``
  and lifts the date-of-birth veto; a number issued by another country changes nothing.

An entry matches when its score is at least ``min_score`` and it has not expired
(``expires`` is the last day it applies, like a rule's ``valid_until``). With the defaults
(:class:`MatchSettings`) this means, for example: an exact name with no date of birth
matches (0.95); a family name alone never does without a date of birth (0.87 - 0.05 +
0.02 = 0.84); a name similarity of 0.80 needs an exact date of birth to match.

Blocking
--------
Screening never scans the list. Each distinct list token is indexed by its Metaphone key
and (as sorted hashes) by its one-letter deletions, so a passenger's token finds the list
tokens that sound alike or are one edit (or one adjacent transposition) away, kept when
at least ``min_score - dob_exact_bonus - nationality_same_bonus`` similar: below that no
name could reach ``min_score``. Entries are indexed by every unordered *pair* of their
tokens (so swapped or differently split names meet) and by each part run together paired
with the other part's tokens. Postings are ordered by year of birth: a passenger with a
date of birth takes only the years its tolerance reaches plus entries without a year (any
other year is a veto). Entries without given names are indexed by each token alone;
passengers without given names look up every entry holding one of their tokens; document
numbers have their own index. :meth:`Watchlist.candidates` lists the entries blocking
hands to scoring for one passenger.

Blocking finds what a full scan at the settings' ``min_score`` finds whenever each name
token that carries the match is within two edits of its counterpart (one edit for tokens
of five letters or fewer) or sounds the same, and names run together match whole or by
sound. Measured against a full scan of 5,000 entries with up to two random edits in every
token, it found 98 % of the scan's matches; the rest were short names with two edits
(``Peto``/``Peter``). A ``min_score`` given to :meth:`Watchlist.screen` below the settings'
one is applied to the same candidates.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import hashlib
import io
import json
import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from types import MappingProxyType
from typing import Any

import jellyfish
from anyascii import anyascii
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from engine.catalogue import CATALOGUE, WATCHLIST_CATEGORIES
from engine.records import PassengerRecord
from engine.values import unsafe_character

__all__ = [
    "AGENCIES",
    "CATEGORIES",
    "CSV_COLUMNS",
    "DEFAULT_SETTINGS",
    "REQUIRED_COLUMNS",
    "MatchSettings",
    "Person",
    "RowError",
    "Watchlist",
    "WatchlistEntry",
    "WatchlistMatch",
    "compare",
    "normalise_name",
    "parse_csv",
    "parse_entry",
    "token_similarity",
]

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

# Part of every version string: a change to how matching works is a new list version too.
ALGORITHM = "watchlist-1"

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
    if len(value) != 10:
        bad(name, f"expected a date YYYY-MM-DD, got {value!r}")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        bad(name, f"not a valid date: {value!r}")
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


# --------------------------------------------------------------------------- names


_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bc]")
_NOT_LETTER = re.compile(r"[^a-z]+")
# Both spellings of the German umlauts (Müller, Mueller, MULLER) meet at the plain vowel.
# Applied to both sides, so the few names that contain these pairs anyway (Michael, Manuel)
# still equal themselves; at worst they also equal their umlaut-less neighbours (Michal).
_UMLAUT_DIGRAPHS = re.compile(r"(?<=[aou])e")


@functools.lru_cache(maxsize=1 << 16)
def normalise_name(text: str) -> tuple[str, ...]:
    """A name as comparison tokens: ASCII, casefolded, umlauts folded, punctuation as spaces.

    >>> normalise_name("Müller-Lüdenscheidt"), normalise_name("O'Brien"), normalise_name("Иванов")
    (('muller', 'ludenscheidt'), ('obrien',), ('ivanov',))
    """
    ascii_text = anyascii(text).casefold()
    ascii_text = _APOSTROPHES.sub("", ascii_text)
    return tuple(_UMLAUT_DIGRAPHS.sub("", token) for token in _NOT_LETTER.split(ascii_text) if token)


# Tokens this short or shorter compare by edit distance (optimal string alignment, so an
# adjacent transposition is one edit): Jaro-Winkler rates "wei"/"wen" 0.82 and
# "dape"/"pape" 0.83, yet one letter in three or four makes a different name.
SHORT_TOKEN = 4
# Tokens with the same Metaphone key and at least this similarity are lifted half-way to 1
# (Mohammed/Muhammad 0.85 -> 0.93, Jon/John 0.75 -> 0.88). The floors keep apart names a
# coarse key conflates: Hassan/Hussein (Jaro-Winkler 0.77).
PHONETIC_MIN_SIMILARITY = 0.8
SHORT_PHONETIC_MIN_SIMILARITY = 0.75


@functools.lru_cache(maxsize=1 << 16)
def _phonetic(token: str) -> str:
    return jellyfish.metaphone(token)


@functools.lru_cache(maxsize=1 << 18)
def token_similarity(a: str, b: str) -> float:
    """Similarity of two normalised name tokens in [0, 1] (see the module docstring)."""
    if a == b:
        return 1.0
    if max(len(a), len(b)) <= SHORT_TOKEN:
        similarity = OSA.normalized_similarity(a, b)
        # Short names: only a letter added or dropped is a spelling (Jon/John, Ana/Anna); a
        # letter changed is usually another name that Metaphone, blind to vowels, conflates
        # (Yuki/Yuko, John/Joan).
        lift = len(a) != len(b) and similarity >= SHORT_PHONETIC_MIN_SIMILARITY
    else:
        similarity = JaroWinkler.normalized_similarity(a, b)
        lift = similarity >= PHONETIC_MIN_SIMILARITY
    if lift and _phonetic(a) == _phonetic(b):
        similarity = (1.0 + similarity) / 2
    return similarity


def _align(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[float, int]:
    """Pair tokens best first: the product of the pairs' similarities, and how many tokens are left over.

    A product, not a mean: one wrong token in an otherwise equal name (Kim Min / Kim Jin)
    must cost as much as it does when family and given names are compared part by part.
    """
    if len(a) == 1 and len(b) == 1:
        return token_similarity(a[0], b[0]), 0
    scored = sorted(
        ((token_similarity(x, y), i, j) for i, x in enumerate(a) for j, y in enumerate(b)),
        reverse=True,
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    product = 1.0
    for similarity, i, j in scored:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        product *= similarity
        if len(used_a) == len(a) or len(used_b) == len(b):
            break
    return product, len(a) + len(b) - 2 * len(used_a)


def _part(a: tuple[str, ...], b: tuple[str, ...], penalty: float) -> float:
    """Similarity of two name parts (token tuples, both non-empty)."""
    if a == b:
        return 1.0
    similarity, left_over = _align(a, b)
    score = similarity * (1.0 - penalty) ** left_over
    if (len(a) == 1) != (len(b) == 1):
        # One side may be the other run together: Vanderberg / van der Berg, OBRIEN / O BRIEN.
        score = max(score, token_similarity("".join(a), "".join(b)))
    return score


# --------------------------------------------------------------------------- screening


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds and weights of the score; the defaults are the documented, tested ones."""

    min_score: float = 0.85  # an entry matches at this score or above
    dob_tolerance_days: int = 1  # full dates this many days apart still agree ("within N days")
    dob_transposition: bool = True  # day and month swapped (03-04 / 04-03) still agree
    dob_exact_bonus: float = 0.05
    dob_near_bonus: float = 0.03  # within tolerance, or transposed
    dob_year_bonus: float = 0.0  # the entry gives a year only and it is the passenger's
    dob_unknown_penalty: float = 0.05  # either side has no date: the name must be that much stronger
    nationality_same_bonus: float = 0.02
    nationality_different_penalty: float = 0.05  # not a veto: people hold several nationalities
    document_number_bonus: float = 0.10  # same number, issuing country unknown on one side
    missing_given_factor: float = 0.87  # either side has no given names: family name alone is weak
    extra_token_penalty: float = 0.05  # per token one side has and the other lacks (middle names)
    swapped_factor: float = 0.98  # family and given names swapped
    any_order_factor: float = 0.97  # tokens matched regardless of which part they were in


DEFAULT_SETTINGS = MatchSettings()


@dataclass(frozen=True)
class Person:
    """The identity a passenger is screened by."""

    family_name: str = ""
    given_names: str = ""
    date_of_birth: dt.date | None = None
    nationality: str | None = None
    document_number: str | None = None
    document_country: str | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Person:
        """Read a checked record's values (``traveller.family_name``, ``document.number``, ...).

        Plain names (``family_name``, ``document_number``, ...) are read too when the dotted
        ones are absent. A date of birth may be a ``date`` or ``YYYY-MM-DD`` text (``ValueError``
        when it is neither).
        """

        def get(dotted: str, plain: str) -> Any:
            value = values.get(dotted)
            return values.get(plain) if value is None else value

        birth = get("traveller.date_of_birth", "date_of_birth")
        if isinstance(birth, dt.datetime):
            birth = birth.date()
        elif isinstance(birth, str):
            birth = dt.date.fromisoformat(birth) if birth else None
        return cls(
            family_name=get("traveller.family_name", "family_name") or "",
            given_names=get("traveller.given_names", "given_names") or "",
            date_of_birth=birth,
            nationality=get("traveller.nationality", "nationality"),
            document_number=get("document.number", "document_number"),
            document_country=get("document.issuing_country", "document_country"),
        )


PersonLike = Person | PassengerRecord | Mapping[str, Any]


def _person(person: PersonLike) -> Person:
    if isinstance(person, Person):
        return person
    if isinstance(person, PassengerRecord):
        return Person.from_mapping(person.values)
    if isinstance(person, Mapping):
        return Person.from_mapping(person)
    raise TypeError(f"cannot screen a {type(person).__name__}: expected a Person, a record or a mapping")


@dataclass(frozen=True)
class WatchlistMatch:
    """An entry a passenger matched: the score in [0, 1] and how each part compared.

    ``parts``: ``document`` (exact | number_only | number_other_country | different | unknown),
    ``name`` (the name score), ``name_order`` (as_listed | swapped | any_order | family_only),
    ``family_name`` and ``given_names`` (similarities of the compared parts; ``given_names``
    is ``"missing"`` when either side has none), ``date_of_birth`` (exact | within N days |
    transposed | year | unknown | mismatch) and ``nationality`` (same | different | unknown).
    """

    entry: WatchlistEntry
    score: float
    parts: Mapping[str, str | float] = field(hash=False)

    def as_dict(self) -> dict[str, Any]:
        """The match without personal data of the entry: for responses and decisions."""
        return {
            "entry_id": self.entry.id,
            "agency": self.entry.agency,
            "category": self.entry.category,
            "score": self.score,
            "parts": dict(self.parts),
        }


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A name and identity in comparable form, computed once per entry and per screened person."""

    family: tuple[str, ...]
    given: tuple[str, ...]
    birth_year: int | None
    birth_date: dt.date | None
    nationality: str | None
    document_number: str | None
    document_country: str | None

    @property
    def tokens(self) -> set[str]:
        """Every token, and each multi-token part run together (for blocking)."""
        return _with_joined(self.family) | _with_joined(self.given)

    @property
    def joined(self) -> str:
        return "".join(self.family + self.given)


def _prepare(family: str, given: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    family_tokens, given_tokens = normalise_name(family), normalise_name(given)
    if not family_tokens:  # only given names known: they are all the name there is
        family_tokens, given_tokens = given_tokens, ()
    return family_tokens, given_tokens


def _document(number: str | None) -> str | None:
    if not number:
        return None
    cleaned = re.sub(r"[^A-Z0-9]", "", number.upper())
    return cleaned or None


def _prepare_entry(entry: WatchlistEntry) -> _Prepared:
    family, given = _prepare(entry.family_name, entry.given_names)
    return _Prepared(
        family,
        given,
        entry.birth_year,
        entry.birth_date,
        entry.nationality,
        _document(entry.document_number),
        entry.document_country,
    )


def _prepare_person(person: Person) -> _Prepared:
    family, given = _prepare(person.family_name, person.given_names)
    birth = person.date_of_birth
    return _Prepared(
        family,
        given,
        birth.year if birth else None,
        birth,
        person.nationality or None,
        _document(person.document_number),
        person.document_country or None,
    )


def _name_score(p: _Prepared, e: _Prepared, s: MatchSettings) -> tuple[float, str, float, float | None]:
    """The name score, which comparison gave it, and the family and given similarities behind it."""
    if not p.family or not e.family:
        return 0.0, "family_only", 0.0, None
    penalty = s.extra_token_penalty
    if p.given and e.given:
        family = _part(p.family, e.family, penalty)
        given = _part(p.given, e.given, penalty)
        best = (family * given, "as_listed", family, given)
        if best[0] < 1.0:
            swapped_family = _part(p.family, e.given, penalty)
            swapped_given = _part(p.given, e.family, penalty)
            swapped = swapped_family * swapped_given * s.swapped_factor
            if swapped > best[0]:
                best = (swapped, "swapped", swapped_family, swapped_given)
            everything = _part(p.family + p.given, e.family + e.given, penalty) * s.any_order_factor
            if everything > best[0]:
                best = (everything, "any_order", family, given)
        return best
    # One side has no given names: the family name alone says little.
    family = _part(p.family, e.family, penalty)
    if p.given:
        family = max(family, _part(p.given, e.family, penalty))
    if e.given:
        family = max(family, _part(p.family, e.given, penalty))
    best = (family * s.missing_given_factor, "family_only", family, None)
    # Unless the whole name sits in the family-name field: then every token pairs up.
    p_all, e_all = p.family + p.given, e.family + e.given
    if min(len(p_all), len(e_all)) >= 2:
        similarity, left_over = _align(p_all, e_all)
        if left_over == 0 and similarity * s.any_order_factor > best[0]:
            best = (similarity * s.any_order_factor, "any_order", family, None)
    return best


def _dob(p: _Prepared, e: _Prepared, s: MatchSettings) -> tuple[str, float]:
    if p.birth_year is None or e.birth_year is None:
        return "unknown", -s.dob_unknown_penalty
    if e.birth_date is None or p.birth_date is None:
        return ("year", s.dob_year_bonus) if p.birth_year == e.birth_year else ("mismatch", 0.0)
    if p.birth_date == e.birth_date:
        return "exact", s.dob_exact_bonus
    apart = abs((p.birth_date - e.birth_date).days)
    if apart <= s.dob_tolerance_days:
        return f"within {apart} day{'s' if apart > 1 else ''}", s.dob_near_bonus
    a, b = p.birth_date, e.birth_date
    if s.dob_transposition and a.year == b.year and a.day == b.month and a.month == b.day:
        return "transposed", s.dob_near_bonus
    return "mismatch", 0.0


def _compare(
    p: _Prepared, entry: WatchlistEntry, e: _Prepared, s: MatchSettings, floor: float, explain: bool = False
) -> WatchlistMatch | None:
    """Score one person against one entry.

    None when the date of birth vetoes the entry or the score is below ``floor``; with
    ``explain``, a vetoed entry is returned with score 0 instead, for people to read.
    """
    document = "unknown"
    if p.document_number and e.document_number:
        if p.document_number != e.document_number:
            document = "different"
        elif p.document_country and e.document_country:
            document = "exact" if p.document_country == e.document_country else "number_other_country"
        else:
            document = "number_only"
    dob, dob_adjustment = _dob(p, e, s)
    vetoed = dob == "mismatch" and document not in ("exact", "number_only")
    if vetoed and not explain:
        return None
    if p.nationality and e.nationality:
        nationality = "same" if p.nationality == e.nationality else "different"
    else:
        nationality = "unknown"
    adjustments = dob_adjustment
    if nationality == "same":
        adjustments += s.nationality_same_bonus
    elif nationality == "different":
        adjustments -= s.nationality_different_penalty
    if document == "number_only":
        adjustments += s.document_number_bonus
    if document != "exact" and 1.0 + adjustments < floor:
        return None  # not even a perfect name would reach the threshold: skip the name work
    name, order, family, given = _name_score(p, e, s)
    if document == "exact":
        score = 1.0
    elif vetoed:
        score = 0.0
    else:
        score = min(1.0, max(0.0, name + adjustments))
    if score < floor:
        return None
    parts: dict[str, str | float] = {
        "document": document,
        "name": round(name, 3),
        "name_order": order,
        "family_name": round(family, 3),
        "given_names": "missing" if given is None else round(given, 3),
        "date_of_birth": dob,
        "nationality": nationality,
    }
    return WatchlistMatch(entry, round(score, 4), MappingProxyType(parts))


def compare(person: PersonLike, entry: WatchlistEntry, settings: MatchSettings = DEFAULT_SETTINGS) -> WatchlistMatch:
    """Score one person against one entry, without blocking, threshold or expiry, for explanations.

    An entry the date of birth vetoes comes back with score 0 and ``date_of_birth: mismatch``.
    """
    found = _compare(_prepare_person(_person(person)), entry, _prepare_entry(entry), settings, floor=0.0, explain=True)
    assert found is not None  # floor 0 and explain: always a match object
    return found


# Year-of-birth slots of the blocking index: 0 holds entries without a year.
_YEAR_BASE = 1800
_YEAR_SLOTS = 512


def _year_slot(year: int | None) -> int:
    if year is None:
        return 0
    return min(_YEAR_SLOTS - 1, max(1, year - _YEAR_BASE))


def _deletions(token: str) -> Iterator[str]:
    for i in range(len(token)):
        yield token[:i] + token[i + 1 :]


def _variants(token: str) -> set[str]:
    """The token with one letter deleted (from four letters) or two (from six).

    Two tokens one edit apart share a one-deletion variant (or one is the other's); two edits
    apart, a two-deletion one. Shorter tokens get none: "an" would reach every "a?" token,
    and two edits in four letters is another name anyway.
    """
    if len(token) < _DELETION_MIN_LENGTH:
        return set()
    once = set(_deletions(token))
    if len(token) < _SECOND_DELETION_MIN_LENGTH:
        return once
    return once | {twice for variant in once for twice in _deletions(variant)}


_DELETION_MIN_LENGTH = 4
_SECOND_DELETION_MIN_LENGTH = 6
# A variant's key: 39 bits of its hash (str hashes are per process, like the index) above a
# 24-bit token id; the hash's top 18 bits pick its bucket (a few keys each).
_ID_BITS = 24
_ID_MASK = (1 << _ID_BITS) - 1
_HASH_BITS = 39
_BUCKET_BITS = 18
_BUCKETS = 1 << _BUCKET_BITS
_BUCKET_SHIFT = _ID_BITS + _HASH_BITS - _BUCKET_BITS


def _variant_hash(variant: str) -> int:
    return hash(variant) & ((1 << _HASH_BITS) - 1)


class Watchlist:
    """An immutable snapshot of the list with its blocking index.

    ``version`` (``wl-`` and 16 hex digits) is derived from the entries, the settings and
    the matching algorithm: any change to what screening would answer changes it.
    """

    def __init__(self, entries: Iterable[WatchlistEntry], settings: MatchSettings = DEFAULT_SETTINGS) -> None:
        self._entries: tuple[WatchlistEntry, ...] = tuple(sorted(entries, key=lambda entry: entry.id))
        self._settings = settings
        self._by_id: dict[str, int] = {}
        for index, entry in enumerate(self._entries):
            if entry.id in self._by_id:
                raise ValueError(f"duplicate watchlist entry id {entry.id!r}")
            self._by_id[entry.id] = index
        self._prepared = [_prepare_entry(entry) for entry in self._entries]
        self._version = _version(self._entries, settings)
        # A list token is a passenger token's neighbour only this similar or more. Below it no
        # name could reach min_score even with every bonus (the name score is a product of token
        # similarities), so blocking loses nothing at the settings' own threshold.
        self._token_floor = settings.min_score - settings.dob_exact_bonus - settings.nationality_same_bonus
        self._build_index()
        # Per-snapshot cache: passenger tokens repeat a great deal from one passenger to the next.
        self._neighbours = functools.lru_cache(maxsize=1 << 16)(self._neighbours_uncached)

    # -- public

    @property
    def version(self) -> str:
        """Content-derived version, e.g. ``wl-3f2a9c0d4b1e8f77``."""
        return self._version

    @property
    def settings(self) -> MatchSettings:
        """The thresholds and weights this snapshot scores with (part of its version)."""
        return self._settings

    @property
    def entries(self) -> tuple[WatchlistEntry, ...]:
        """Every entry, expired ones included, ordered by id."""
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, entry_id: str) -> WatchlistEntry | None:
        """The entry with this id, or None."""
        index = self._by_id.get(entry_id)
        return None if index is None else self._entries[index]

    def candidates(self, person: PersonLike) -> list[WatchlistEntry]:
        """The entries blocking selects for ``person``: the only ones :meth:`screen` scores."""
        p = _prepare_person(_person(person))
        return [self._entries[index] for index in sorted(self._candidate_indices(p))]

    def screen(
        self,
        person: PersonLike,
        *,
        at: dt.date | dt.datetime | None = None,
        min_score: float | None = None,
        category: str | None = None,
    ) -> list[WatchlistMatch]:
        """The entries ``person`` matches on day ``at`` (default: today, UTC), best first.

        ``person`` is a :class:`Person`, an ``engine.records.PassengerRecord`` or a mapping
        of its values. ``min_score`` overrides the settings' threshold (a rule's own);
        ``category`` keeps only entries of that category. Expired entries never match.
        """
        if at is None:
            day = dt.datetime.now(dt.UTC).date()
        elif isinstance(at, dt.datetime):
            day = (at if at.tzinfo is None else at.astimezone(dt.UTC)).date()
        else:
            day = at
        floor = self._settings.min_score if min_score is None else min_score
        p = _prepare_person(_person(person))
        found: list[WatchlistMatch] = []
        for index in self._candidate_indices(p):
            entry = self._entries[index]
            if day > entry.expires or (category is not None and entry.category != category):
                continue
            match = _compare(p, entry, self._prepared[index], self._settings, floor)
            if match is not None:
                found.append(match)
        found.sort(key=lambda match: (-match.score, match.entry.id))
        return found

    # -- blocking

    def _build_index(self) -> None:
        self._vocabulary: dict[str, int] = {}
        self._tokens: list[str] = []
        for prepared in self._prepared:
            for token in prepared.tokens:
                self._token_id(token)

        by_sound: dict[str, list[int]] = {}
        for token_id, token in enumerate(self._tokens):
            by_sound.setdefault(_phonetic(token), []).append(token_id)
        self._by_sound = _frozen(by_sound)
        # Deletion variants of every name token (not of the run-together forms, which only need
        # to be found whole): two tokens up to two edits apart share one. Millions of short
        # strings would dominate the index's memory, so each variant is kept as one integer,
        # a hash of the variant above the token id, in one sorted array. A hash collision
        # only adds a neighbour that the similarity check then drops.
        plain = {token for prepared in self._prepared for token in prepared.family + prepared.given}
        keys = sorted(
            {
                _variant_hash(variant) << _ID_BITS | token_id
                for token_id, token in enumerate(self._tokens)
                if token in plain
                for variant in _variants(token)
            }
        )
        self._variants = array("q", keys)
        # Where each bucket (the top bits of the hash) starts in the sorted array, so a lookup
        # is a short scan instead of a bisection through millions of integers.
        self._variant_starts = array(
            "l", (bisect_left(keys, bucket << _BUCKET_SHIFT) for bucket in range(_BUCKETS + 1))
        )
        del keys

        # Postings list entries in order of year-of-birth slot, so the few years a passenger's
        # date reaches are a bisection away; keys are integers (a token id, or a pair of them).
        self._slot_of = array("H", (_year_slot(prepared.birth_year) for prepared in self._prepared))
        self._pair_base = len(self._tokens) + 1
        pairs: dict[int, list[int]] = {}  # pair of token ids -> entries with given names
        singles: dict[int, list[int]] = {}  # token -> entries without given names
        holding: dict[int, list[int]] = {}  # token -> every entry holding it
        documents: dict[str, list[int]] = {}
        vocabulary = self._vocabulary
        for index in sorted(range(len(self._prepared)), key=self._slot_of.__getitem__):
            prepared = self._prepared[index]
            if prepared.document_number:
                documents.setdefault(prepared.document_number, []).append(index)
            every = {vocabulary[token] for token in prepared.tokens}
            for token_id in every:
                holding.setdefault(token_id, []).append(index)
            if not prepared.given:
                for token_id in every:
                    singles.setdefault(token_id, []).append(index)
                continue
            # Every pair of name tokens (unordered, so swapped names meet; a token given twice,
            # as in Mohammed Mohammed, pairs with itself), and each part run together paired
            # with the other part's tokens (Vanderberg / van der Berg).
            name_ids = sorted(vocabulary[token] for token in prepared.family + prepared.given)
            token_pairs = set(combinations(name_ids, 2))
            family_side = {vocabulary[token] for token in _with_joined(prepared.family)}
            given_side = {vocabulary[token] for token in _with_joined(prepared.given)}
            token_pairs.update((min(a, b), max(a, b)) for a in family_side for b in given_side)
            for a, b in token_pairs:
                pairs.setdefault(a * self._pair_base + b, []).append(index)
        self._pairs = _frozen(pairs)
        partners: dict[int, set[int]] = {}
        for key in self._pairs:
            a, b = divmod(key, self._pair_base)
            partners.setdefault(a, set()).add(b)
            partners.setdefault(b, set()).add(a)
        # Small partner lists stay tuples (a quarter of a set's memory); large ones are sets, so
        # intersecting with a handful of neighbours does not walk thousands of partners.
        self._partners: dict[int, tuple[int, ...] | frozenset[int]] = {
            token_id: tuple(found) if len(found) <= _TUPLE_PARTNERS else frozenset(found)
            for token_id, found in partners.items()
        }
        self._singles = _frozen(singles)
        self._holding = _frozen(holding)
        self._documents = _frozen(documents)

    def _token_id(self, token: str) -> int:
        token_id = self._vocabulary.get(token)
        if token_id is None:
            token_id = self._vocabulary[token] = len(self._tokens)
            self._tokens.append(token)
        return token_id

    def _neighbours_uncached(self, token: str, by_edits: bool) -> frozenset[int]:
        """List tokens similar enough to ``token`` that sound like it or (``by_edits``) are up to two edits away.

        Names run together are looked up whole and by sound only: their edit variants are many
        (a dozen letters make 78) and only the list's name tokens are indexed by edits.
        """
        found: set[int] = set(_entries(self._by_sound.get(_phonetic(token), ())))
        token_id = self._vocabulary.get(token)
        if token_id is not None:
            found.add(token_id)
        variants, starts, vocabulary = self._variants, self._variant_starts, self._vocabulary
        for key in (token, *_variants(token)) if by_edits else ():
            token_id = vocabulary.get(key)
            if token_id is not None:
                found.add(token_id)
            wanted = _variant_hash(key)
            bucket = wanted >> (_HASH_BITS - _BUCKET_BITS)
            for at in range(starts[bucket], starts[bucket + 1]):
                if variants[at] >> _ID_BITS == wanted:
                    found.add(variants[at] & _ID_MASK)
        tokens, floor = self._tokens, self._token_floor
        if len(token) > SHORT_TOKEN:
            # Every pair is compared by Jaro-Winkler, which the phonetic lift only raises from
            # PHONETIC_MIN_SIMILARITY up: a batch pass in C at the lower of the two thresholds
            # keeps a superset, and the exact similarity decides on the few left.
            ids = list(found)
            kept = process.extract(
                token,
                [tokens[i] for i in ids],
                scorer=JaroWinkler.normalized_similarity,
                score_cutoff=min(floor, PHONETIC_MIN_SIMILARITY),
                limit=None,
            )
            found = {ids[position] for _, _, position in kept}
        return frozenset(i for i in found if token_similarity(token, tokens[i]) >= floor)

    def _slots(self, p: _Prepared) -> tuple[int, ...] | None:
        """Year slots worth looking at for ``p``, or None for all of them."""
        if p.birth_date is None:
            return None
        tolerance = dt.timedelta(days=self._settings.dob_tolerance_days)
        try:
            first, last = (p.birth_date - tolerance).year, (p.birth_date + tolerance).year
        except OverflowError:
            return None
        return (0, *sorted({_year_slot(year) for year in range(first, last + 1)}))

    def _candidate_indices(self, p: _Prepared) -> set[int]:
        found: set[int] = set()
        if p.document_number:
            found.update(_entries(self._documents.get(p.document_number, ())))
        if not p.family:
            return found
        slots = self._slots(p)
        slot_of = self._slot_of

        def collect(posting: Posting | None) -> None:
            if posting is None:
                return
            if isinstance(posting, int):
                if slots is None or slot_of[posting] in slots:
                    found.add(posting)
            elif slots is None:
                found.update(posting)
            elif len(posting) <= _SCAN_LENGTH:
                found.update(index for index in posting if slot_of[index] in slots)
            else:
                for slot in slots:
                    low = bisect_left(posting, slot, key=slot_of.__getitem__)
                    high = bisect_right(posting, slot, lo=low, key=slot_of.__getitem__)
                    found.update(posting[low:high])

        plain = set(p.family + p.given)

        def neighbours(token: str) -> frozenset[int]:
            return self._neighbours(token, token in plain)

        whole = p.tokens
        if len(p.family) + len(p.given) > 1:
            whole.add(p.joined)  # the whole name run together: an entry that wrote it as one word
        if not p.given:
            # No given names to pair with: every entry sharing a token is a candidate.
            for token in whole:
                for token_id in neighbours(token):
                    collect(self._holding.get(token_id))
            return found
        pairs, partners, base = self._pairs, self._partners, self._pair_base
        for first, second in _query_pairs(p):
            others = neighbours(second)
            for a in neighbours(first):
                # Only the pairs that exist: a set intersection rather than every combination of
                # two neighbourhoods, which for common or densely spelled names run to dozens each.
                paired = partners.get(a)
                if paired is None:
                    continue
                for b in others.intersection(paired):
                    collect(pairs[a * base + b if a <= b else b * base + a])
        singles = self._singles
        for token in whole:
            for token_id in neighbours(token):
                posting = singles.get(token_id)
                if posting is not None:
                    collect(posting)
        return found


# A posting: the entries under one key. A lone entry stays a bare int (most pairs name one
# entry), which keeps a 100,000-entry index to tens of megabytes.
Posting = int | tuple[int, ...]
# Partner lists up to this long are kept as tuples.
_TUPLE_PARTNERS = 16
# Postings up to this long are filtered by year one by one; longer ones are bisected.
_SCAN_LENGTH = 32


def _frozen(index: Mapping[Any, list[int]]) -> dict[Any, Posting]:
    return {key: found[0] if len(found) == 1 else tuple(found) for key, found in index.items()}


def _entries(posting: Posting) -> tuple[int, ...]:
    return (posting,) if isinstance(posting, int) else posting


def _query_pairs(p: _Prepared) -> set[tuple[str, str]]:
    """The passenger's token pairs to look up: every pair of name tokens, whichever part they
    are in (the list may have split the name differently), and each part run together with
    the other part's tokens."""
    found = set(combinations(sorted(p.family + p.given), 2))
    for side, other in ((p.family, p.given), (p.given, p.family)):
        if len(side) > 1:
            joined = "".join(side)
            found.update((joined, token) for token in other)
    return found


def _with_joined(part: tuple[str, ...]) -> set[str]:
    tokens = set(part)
    if len(part) > 1:
        tokens.add("".join(part))
    return tokens


def _version(entries: tuple[WatchlistEntry, ...], settings: MatchSettings) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([ALGORITHM, dataclasses.asdict(settings)], sort_keys=True).encode())
    for entry in entries:
        row = [getattr(entry, name) for name in _ENTRY_FIELDS]
        digest.update(json.dumps(row, default=_iso).encode())
        digest.update(b"\n")
    return "wl-" + digest.hexdigest()[:16]


_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(WatchlistEntry))


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")
