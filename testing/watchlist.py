"""A seeded generator of watchlist entries and of people near them (typos, swapped names, transliterations).

Names mix common ones (many near neighbours) with invented ones (a realistic spread of tokens).
"""

from __future__ import annotations

import datetime as dt
import random
import string

from screening import AGENCIES, CATEGORIES, Person, WatchlistEntry
from testing.synthetic import COUNTRIES

AT = dt.date(2026, 12, 1)

COMMON_FAMILY = [
    "Nguyen", "Smith", "Wang", "Singh", "Li", "Kim", "Mohammed", "Tran", "Zhang", "Patel",
    "Garcia", "Lee", "Chen", "Khan", "Williams", "Brown", "Kumar", "Ali", "Liu", "Rodriguez",
    "Müller", "Ivanov", "Silva", "Park", "Le", "Taylor", "Sharma", "Hussain", "Lopez", "Jones",
    "Wilson", "Ahmed", "Yang", "Pham", "Martinez", "Schmidt", "Santos", "Fonoti", "Taufa", "Dela Cruz",
    "Reyes", "Gonzalez", "Hernandez", "O'Brien", "Murphy", "Van der Merwe", "Rossi", "Dubois", "Cohen", "Yılmaz",
    "Sato", "Suzuki", "Tanaka", "Papadopoulos", "Kowalski", "Novak", "Haddad", "Mensah", "Okafor", "Ngata",
]  # fmt: skip
COMMON_GIVEN = [
    "Mohammed", "John", "Wei", "Maria", "David", "Anna", "Van", "Thi", "James", "Sarah",
    "Ahmed", "Li", "Jose", "Fatima", "Michael", "Mei", "Raj", "Priya", "Peter", "Olga",
    "Sergei", "Hannah", "Ali", "Jin", "Min", "Ana", "Luis", "Chloe", "Daniel", "Sione",
    "Mere", "Aroha", "Hiroshi", "Yuki", "Jean-Pierre", "Lucía", "Jürgen", "Ngozi", "Kwame", "Mustafa",
]  # fmt: skip
_CONSONANTS = "bcdfghjklmnprstvwz"
_VOWELS = "aeiouy"


def _skewed(rnd: random.Random, items: list[str]) -> str:
    """A long tail: the first items far more common, like real name frequencies."""
    return items[min(int(rnd.expovariate(1 / (len(items) / 5))), len(items) - 1)]


def _invented(rnd: random.Random, syllables: tuple[int, int]) -> str:
    count = rnd.randint(*syllables)
    name = "".join(rnd.choice(_CONSONANTS) + rnd.choice(_VOWELS) for _ in range(count))
    if rnd.random() < 0.4:
        name += rnd.choice(_CONSONANTS)
    return name.capitalize()


def _name(rnd: random.Random) -> tuple[str, str]:
    family = _skewed(rnd, COMMON_FAMILY) if rnd.random() < 0.4 else _invented(rnd, (2, 4))
    given_count = 1 if rnd.random() < 0.7 else 2
    given = " ".join(
        _skewed(rnd, COMMON_GIVEN) if rnd.random() < 0.5 else _invented(rnd, (2, 3)) for _ in range(given_count)
    )
    return family, given


def _birth(rnd: random.Random) -> dt.date:
    return dt.date(1945, 1, 1) + dt.timedelta(days=rnd.randint(0, 365 * 60))


def _document(rnd: random.Random) -> str:
    return rnd.choice(string.ascii_uppercase) + "".join(rnd.choices(string.digits, k=8))


def synthetic_entries(count: int, seed: int = 1) -> list[WatchlistEntry]:
    """``count`` seeded entries: 85 % with a full date of birth, 8 % a year only, 7 % none; 3 % expired."""
    rnd = random.Random(seed)
    entries = []
    for number in range(count):
        family, given = _name(rnd)
        if rnd.random() < 0.03:
            given = ""
        birth = _birth(rnd)
        shape = rnd.random()
        has_document = rnd.random() < 0.3
        entries.append(
            WatchlistEntry(
                id=f"WL-{number:07d}",
                agency=rnd.choice(AGENCIES),
                family_name=family,
                given_names=given,
                birth_date=birth if shape < 0.85 else None,
                birth_year=birth.year if shape < 0.93 else None,
                nationality=_skewed(rnd, COUNTRIES) if rnd.random() < 0.8 else None,
                document_number=_document(rnd) if has_document else None,
                document_country=_skewed(rnd, COUNTRIES) if has_document and rnd.random() < 0.9 else None,
                category=rnd.choice(CATEGORIES),
                reason="synthetic",
                expires=dt.date(2025, 6, 30) if rnd.random() < 0.03 else dt.date(2027 + rnd.randint(0, 3), 6, 30),
            )
        )
    return entries


def _variant(rnd: random.Random, text: str) -> str:
    """How the same name comes back from another system: case, a typo, or a lost diacritic."""
    kind = rnd.randrange(4)
    if kind == 0 or len(text) < 5:
        return text.upper()
    if kind == 1:  # one adjacent transposition, away from the first letter
        at = rnd.randrange(1, len(text) - 1)
        return text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    if kind == 2:  # one letter doubled
        at = rnd.randrange(1, len(text))
        return text[:at] + text[at] + text[at:]
    return text.replace("ü", "ue").replace("ı", "i").replace("'", "").upper()


def synthetic_people(
    count: int, entries: list[WatchlistEntry], seed: int = 2, planted_share: float = 0.01
) -> tuple[list[Person], list[str | None]]:
    """``count`` passengers, and for each the id of the entry it was planted from (or None).

    Planted passengers are listed people as another system spells them (see ``_variant``),
    sometimes with family and given names swapped; the rest are drawn like the entries.
    """
    rnd = random.Random(seed)
    listed = [entry for entry in entries if entry.birth_date and entry.given_names and entry.expires >= AT]
    people: list[Person] = []
    planted: list[str | None] = []
    for _ in range(count):
        if listed and rnd.random() < planted_share:
            entry = rnd.choice(listed)
            family, given = _variant(rnd, entry.family_name), entry.given_names
            if rnd.random() < 0.2:
                family, given = given, family
            people.append(Person(family, given, entry.birth_date, entry.nationality))
            planted.append(entry.id)
            continue
        family, given = _name(rnd)
        people.append(
            Person(
                family,
                given,
                _birth(rnd),
                _skewed(rnd, COUNTRIES),
                _document(rnd),
                _skewed(rnd, COUNTRIES),
            )
        )
        planted.append(None)
    return people, planted
