"""Scoring one passenger against one entry: name alignment, date of birth, nationality and
document, combined into a score in [0, 1] with the parts that made it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from engine.records import PassengerRecord
from screening.entries import WatchlistEntry
from screening.names import align_tokens, normalise_name, part_similarity, with_joined

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


def as_person(person: PersonLike) -> Person:
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

    @property
    def category(self) -> str:
        return self.entry.category

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
class Prepared:
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
        return with_joined(self.family) | with_joined(self.given)

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


def prepare_entry(entry: WatchlistEntry) -> Prepared:
    family, given = _prepare(entry.family_name, entry.given_names)
    return Prepared(
        family,
        given,
        entry.birth_year,
        entry.birth_date,
        entry.nationality,
        _document(entry.document_number),
        entry.document_country,
    )


def prepare_person(person: Person) -> Prepared:
    family, given = _prepare(person.family_name, person.given_names)
    birth = person.date_of_birth
    return Prepared(
        family,
        given,
        birth.year if birth else None,
        birth,
        person.nationality or None,
        _document(person.document_number),
        person.document_country or None,
    )


def _name_score(p: Prepared, e: Prepared, s: MatchSettings) -> tuple[float, str, float, float | None]:
    """The name score, which comparison gave it, and the family and given similarities behind it."""
    if not p.family or not e.family:
        return 0.0, "family_only", 0.0, None
    penalty = s.extra_token_penalty
    if p.given and e.given:
        family = part_similarity(p.family, e.family, penalty)
        given = part_similarity(p.given, e.given, penalty)
        best: tuple[float, str, float, float | None] = (family * given, "as_listed", family, given)
        if best[0] < 1.0:
            swapped_family = part_similarity(p.family, e.given, penalty)
            swapped_given = part_similarity(p.given, e.family, penalty)
            swapped = swapped_family * swapped_given * s.swapped_factor
            if swapped > best[0]:
                best = (swapped, "swapped", swapped_family, swapped_given)
            everything = part_similarity(p.family + p.given, e.family + e.given, penalty) * s.any_order_factor
            if everything > best[0]:
                best = (everything, "any_order", family, given)
        return best
    # One side has no given names: the family name alone says little.
    family = part_similarity(p.family, e.family, penalty)
    if p.given:
        family = max(family, part_similarity(p.given, e.family, penalty))
    if e.given:
        family = max(family, part_similarity(p.family, e.given, penalty))
    best = (family * s.missing_given_factor, "family_only", family, None)
    # Unless the whole name sits in the family-name field: then every token pairs up.
    p_all, e_all = p.family + p.given, e.family + e.given
    if min(len(p_all), len(e_all)) >= 2:
        similarity, left_over = align_tokens(p_all, e_all)
        if left_over == 0 and similarity * s.any_order_factor > best[0]:
            best = (similarity * s.any_order_factor, "any_order", family, None)
    return best


def _dob(p: Prepared, e: Prepared, s: MatchSettings) -> tuple[str, float]:
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


def score_prepared(
    p: Prepared, entry: WatchlistEntry, e: Prepared, s: MatchSettings, floor: float, explain: bool = False
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
    found = score_prepared(
        prepare_person(as_person(person)), entry, prepare_entry(entry), settings, floor=0.0, explain=True
    )
    assert found is not None  # floor 0 and explain: always a match object
    return found
