"""The watchlist matcher: the name table, CSV import, blocking, and the rules around a match.

Every test runs at the documented default settings (``MatchSettings()``) unless it says otherwise.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

import screening.index as watchlist_index
from engine import check_record
from screening import (
    CSV_COLUMNS,
    MatchSettings,
    Person,
    RowError,
    Watchlist,
    WatchlistEntry,
    compare,
    normalise_name,
    parse_csv,
)
from testing.watchlist import synthetic_entries, synthetic_people

AT = dt.date(2026, 12, 1)
TODAY = dt.date(2026, 12, 1)


def _date(text: str) -> tuple[dt.date | None, int | None]:
    """``YYYY-MM-DD``, ``YYYY`` or empty, as (birth_date, birth_year)."""
    if not text:
        return None, None
    if len(text) == 4:
        return None, int(text)
    day = dt.date.fromisoformat(text)
    return day, day.year


def _entry(family: str, given: str = "", dob: str = "", entry_id: str = "WL-1", **extra) -> WatchlistEntry:
    birth_date, birth_year = _date(dob)
    fields = {"agency": "customs", "category": "customs", "reason": "test", "expires": dt.date(2030, 1, 1)}
    fields.update(extra)
    return WatchlistEntry(
        id=entry_id, family_name=family, given_names=given, birth_date=birth_date, birth_year=birth_year, **fields
    )


# --------------------------------------------------------------------------- the name table

D = "1980-03-04"

# listed (family, given, date of birth) | passenger (family, given, date of birth) | matches? | why
# A date of birth is YYYY-MM-DD, YYYY (listed by year only) or empty (unknown).
NAME_TABLE = [
    # Diacritics, umlauts and case.
    ("Müller", "Hans", D, "Mueller", "Hans", D, True, "umlaut written out"),
    ("Müller", "Hans", D, "MULLER", "HANS", D, True, "umlaut dropped, upper case"),
    ("Mueller", "Hans", "", "Müller", "Hans", "", True, "umlaut, no date of birth on either side"),
    ("García López", "José María", "", "GARCIA LOPEZ", "JOSE MARIA", "", True, "Spanish accents"),
    ("Dvořák", "Antonín", "", "DVORAK", "ANTONIN", "", True, "Czech diacritics"),
    ("Şahin", "Ayşe", D, "SAHIN", "AYSE", D, True, "Turkish letters"),
    # Other scripts, transliterated.
    ("Иванов", "Сергей", D, "IVANOV", "SERGEI", D, True, "Cyrillic; -ei / -ey"),
    ("Παπαδόπουλος", "Γιώργος", D, "PAPADOPOULOS", "GIORGOS", D, True, "Greek"),
    ("王", "伟", D, "WANG", "WEI", D, True, "Chinese characters to pinyin"),
    ("Мухаммед", "Али", D, "MOHAMMED", "ALI", D, True, "Cyrillic Mukhammed"),
    # Transliterations of Arabic names.
    ("Ali", "Mohammed", D, "Ali", "Muhammad", D, True, "Mohammed / Muhammad"),
    ("Ali", "Mohamed", D, "Ali", "Muhammad", D, True, "Mohamed / Muhammad"),
    ("Khan", "Mohammed", "", "Khan", "Mohamed", "", True, "Mohammed / Mohamed, no date of birth"),
    ("Al-Rashid", "Ahmed", D, "ALRASHID", "AHMAD", D, True, "article joined, Ahmed / Ahmad"),
    # Order, missing and split parts.
    ("Nguyen", "Van An", D, "NGUYEN", "VAN AN", D, True, "Vietnamese, upper case"),
    ("Nguyen", "Van An", "", "Nguyen Van", "An", "", True, "same name split differently"),
    ("Nguyen Van An", "", "", "Nguyen", "Van An", "", True, "whole name in the family-name field"),
    ("Smith", "John", D, "John", "Smith", D, True, "family and given names swapped"),
    ("Smith", "John", "", "John", "Smith", "", True, "swapped, no date of birth"),
    ("Smith", "", D, "Smith", "John", D, True, "listed without given names, date of birth agrees"),
    ("Smith", "John Michael", "", "Smith", "John", "", True, "middle name missing"),
    ("Mohammed", "Mohammed", D, "MOHAMMED", "MOHAMED", D, True, "the same name twice"),
    ("Smith-Jones", "Anna", D, "Smith Jones", "Anna", D, True, "hyphen / space"),
    ("Smith Jones", "Anna", D, "SMITHJONES", "ANNA", D, True, "double-barrelled name run together"),
    ("van der Berg", "Jan", "", "Vanderberg", "Jan", "", True, "particles run together"),
    ("O'Brien", "Sean", D, "OBRIEN", "SEAN", D, True, "apostrophe dropped"),
    ("O'Brien", "Sean", D, "O BRIEN", "SEAN", D, True, "apostrophe as a space (MRZ filler)"),
    # Small spelling differences.
    ("Johnson", "Mark", D, "Jonson", "Mark", D, True, "one letter dropped"),
    ("Johnson", "Mark", "", "Jonson", "Mark", "", True, "one letter dropped, no date of birth"),
    ("Wilson", "Catherine", D, "Wilson", "Katherine", D, True, "C / K"),
    ("Smith", "Jon", D, "Smith", "John", D, True, "short name, one letter added"),
    ("Schmitt", "Klaus", D, "Schmidt", "Klaus", D, True, "tt / dt"),
    ("Mukhamedov", "Rustam", D, "Mukhammedov", "Rustam", D, True, "doubled letter"),
    # Date-of-birth tolerance.
    ("Taylor", "Emma", "1990-03-04", "Taylor", "Emma", "1990-04-03", True, "day and month transposed"),
    ("Taylor", "Emma", "1990-03-04", "Taylor", "Emma", "1990-03-05", True, "one day apart"),
    ("Taylor", "Emma", "1990-12-31", "Taylor", "Emma", "1991-01-01", True, "one day apart, across a year"),
    ("Taylor", "Emma", "1982", "Taylor", "Emma", "1982-07-15", True, "listed by year only"),
    # Near misses: the same or similar names, different people.
    ("Smith", "John", "1980-01-01", "Smith", "John", "1975-06-12", False, "same name, other date of birth"),
    ("Smith", "John", "1980-01-01", "Smith", "John", "1980-01-05", False, "four days apart"),
    ("Smith", "John", "1980-03-04", "Smith", "John", "1981-03-04", False, "another year"),
    ("Taylor", "Emma", "1982", "Taylor", "Emma", "1983-01-10", False, "listed by year only, another year"),
    ("Li", "Wei", D, "Li", "Na", D, False, "short common names"),
    ("Li", "Wei", D, "Li", "Wen", D, False, "one letter in three"),
    ("Kim", "Min", D, "Kim", "Jin", D, False, "one letter in three"),
    ("Nakamura", "Yuki", D, "Nakamura", "Yuko", D, False, "a vowel changed in a short name"),
    ("Smith", "John", D, "Smith", "Jane", D, False, "different given name"),
    ("Garcia", "Maria", D, "Gomez", "Maria", D, False, "different family name"),
    ("Hassan", "Mohammed", D, "Hussein", "Mohammed", D, False, "Hassan and Hussein are two names"),
    ("Nguyen", "Van An", D, "Nguyen", "Van Binh", D, False, "shared family and middle name"),
    ("Tran", "Thi Mai", D, "Tran", "Thi Lan", D, False, "shared family and middle name"),
    ("Smith", "", "", "Smith", "John", "", False, "family name alone, no date of birth"),
    ("Smith", "John", "", "Smith", "", "", False, "passenger without given names, no date of birth"),
]


@pytest.mark.parametrize(
    ("listed_family", "listed_given", "listed_dob", "family", "given", "dob", "expected", "why"),
    NAME_TABLE,
    ids=[f"{row[0]}|{row[1]}~{row[3]}|{row[4]}" for row in NAME_TABLE],
)
def test_name_table(listed_family, listed_given, listed_dob, family, given, dob, expected, why):
    entry = _entry(listed_family, listed_given, listed_dob)
    person = Person(family, given, _date(dob)[0])
    matches = Watchlist([entry]).screen(person, at=AT)  # through blocking, at the default thresholds
    explained = compare(person, entry)
    assert bool(matches) is expected, f"{why}: score {explained.score}, parts {dict(explained.parts)}"
    if matches:
        assert matches[0].score == explained.score
        assert 0.85 <= matches[0].score <= 1.0


def test_the_table_is_run_at_the_documented_defaults():
    assert len(NAME_TABLE) >= 25
    assert sum(row[6] for row in NAME_TABLE) >= 15 and sum(not row[6] for row in NAME_TABLE) >= 10
    defaults = MatchSettings()
    assert Watchlist([]).settings == defaults
    assert defaults.min_score == 0.85
    assert defaults.dob_tolerance_days == 1


def test_normalise_name():
    assert normalise_name("Müller") == normalise_name("Mueller") == normalise_name("MULLER") == ("muller",)
    assert normalise_name("O'Brien") == normalise_name("O’BRIEN") == ("obrien",)
    assert normalise_name("Smith-Jones") == normalise_name(" smith   JONES ") == ("smith", "jones")
    assert normalise_name("Иванов") == ("ivanov",)
    assert normalise_name("---") == ()


# --------------------------------------------------------------------------- scores and parts


def test_exact_document_scores_one_whatever_the_name():
    entry = _entry("Completely", "Different", "1970-01-01", document_number="X1234567", document_country="NZL")
    person = Person("Smith", "John", dt.date(1990, 5, 5), "AUS", "X1234567", "NZL")
    (match,) = Watchlist([entry]).screen(person, at=AT)
    assert match.score == 1.0
    assert match.parts["document"] == "exact"
    assert match.parts["date_of_birth"] == "mismatch"


def test_document_number_from_another_country_is_not_a_document_match():
    entry = _entry("Completely", "Different", "", document_number="X1234567", document_country="NZL")
    person = Person("Smith", "John", None, "AUS", "X1234567", "AUS")
    assert Watchlist([entry]).screen(person, at=AT) == []
    assert compare(person, entry).parts["document"] == "number_other_country"


def test_document_number_with_unknown_country_lifts_the_date_of_birth_veto():
    entry = _entry("Smith", "John", "1980-01-01", document_number="X1234567")
    person = Person("Smith", "John", dt.date(1975, 6, 12), None, "X1234567", "NZL")
    (match,) = Watchlist([entry]).screen(person, at=AT)
    assert match.parts["document"] == "number_only"
    assert match.parts["date_of_birth"] == "mismatch"
    assert match.score == 1.0  # name 1.0 + document bonus, clamped


def test_parts_say_what_matched_and_how():
    entry = _entry("Müller", "Hans Peter", "1980-03-04", nationality="DEU")
    person = Person("MUELLER", "HANS", dt.date(1980, 3, 5), "AUT")
    (match,) = Watchlist([entry]).screen(person, at=AT)
    assert dict(match.parts) == {
        "document": "unknown",
        "name": 0.95,
        "name_order": "as_listed",
        "family_name": 1.0,
        "given_names": 0.95,
        "date_of_birth": "within 1 day",
        "nationality": "different",
    }
    # 0.95 (one given name left over) + 0.03 (date within tolerance) - 0.05 (other nationality)
    assert match.score == pytest.approx(0.93)
    assert match.as_dict() == {
        "entry_id": "WL-1",
        "agency": "customs",
        "category": "customs",
        "score": match.score,
        "parts": dict(match.parts),
    }


def test_missing_date_of_birth_needs_a_stronger_name():
    undated = _entry("Ali", "Mohamed", "", nationality="EGY")
    dated = _entry("Ali", "Mohamed", D, nationality="EGY")
    (exact,) = Watchlist([undated]).screen(Person("Ali", "Mohamed"), at=AT)
    assert (exact.score, exact.parts["date_of_birth"]) == (0.95, "unknown")  # no boost, no veto
    # Mohamed / Muhammad (0.90) with another nationality: enough with the date of birth (0.90),
    # short of it without (0.80).
    person = Person("Ali", "Muhammad", dt.date(1980, 3, 4), "JOR")
    assert Watchlist([dated]).screen(person, at=AT)[0].score == pytest.approx(0.9009, abs=1e-4)
    assert Watchlist([undated]).screen(person, at=AT) == []
    assert compare(person, undated).score == pytest.approx(0.8009, abs=1e-4)


def test_expired_entries_never_match():
    entry = _entry("Smith", "John", D, document_number="X1234567", document_country="NZL", expires=dt.date(2026, 6, 30))
    person = Person("Smith", "John", dt.date(1980, 3, 4), None, "X1234567", "NZL")
    watchlist = Watchlist([entry])
    assert watchlist.screen(person, at=dt.date(2026, 6, 30))  # the last day it applies
    assert watchlist.screen(person, at=dt.date(2026, 7, 1)) == []
    assert watchlist.screen(person, at=dt.datetime(2026, 7, 1, 3, tzinfo=dt.UTC)) == []


def test_category_and_min_score_filter():
    entries = [
        _entry("Smith", "John", D, entry_id="A", category="biosecurity", agency="mpi"),
        _entry("Smith", "Jon", D, entry_id="B", category="customs"),
    ]
    watchlist = Watchlist(entries)
    person = Person("Smith", "John", dt.date(1980, 3, 4))
    assert [m.entry.id for m in watchlist.screen(person, at=AT)] == ["A", "B"]  # best first
    assert [m.entry.id for m in watchlist.screen(person, at=AT, category="customs")] == ["B"]
    assert [m.entry.id for m in watchlist.screen(person, at=AT, min_score=0.99)] == ["A"]


def test_screens_a_checked_record_and_a_mapping_of_its_values():
    record = check_record(
        {
            "traveller": {"family_name": "MUELLER", "given_names": "HANS", "date_of_birth": D, "nationality": "DEU"},
            "document": {"number": "C01X00T47", "issuing_country": "DEU"},
        }
    )
    watchlist = Watchlist([_entry("Müller", "Hans", D, nationality="DEU")])
    by_record = watchlist.screen(record, at=AT)
    by_values = watchlist.screen(dict(record.values), at=AT)
    assert by_record == by_values
    assert by_record[0].score == 1.0
    assert Person.from_mapping(record.values) == Person(
        "MUELLER", "HANS", dt.date(1980, 3, 4), "DEU", "C01X00T47", "DEU"
    )


def test_version_is_derived_from_the_content():
    entries = [_entry("Smith", "John", D, entry_id="A"), _entry("Jones", "Ann", "", entry_id="B")]
    first = Watchlist(entries)
    assert first.version.startswith("wl-") and len(first.version) == 19
    assert Watchlist(list(reversed(entries))).version == first.version
    changed = [entries[0], _entry("Jones", "Anne", "", entry_id="B")]
    assert Watchlist(changed).version != first.version
    assert Watchlist(entries, MatchSettings(min_score=0.9)).version != first.version


def test_entries_are_checked():
    with pytest.raises(ValueError, match="duplicate"):
        Watchlist([_entry("Smith", entry_id="A"), _entry("Jones", entry_id="A")])
    with pytest.raises(ValueError, match="birth_year"):
        WatchlistEntry(
            id="A",
            agency="mpi",
            family_name="X",
            birth_date=dt.date(1980, 1, 1),
            birth_year=1981,
            category="biosecurity",
            reason="r",
            expires=AT,
        )
    entry = WatchlistEntry(
        id="A",
        agency="mpi",
        family_name="X",
        birth_date=dt.date(1980, 1, 1),
        category="biosecurity",
        reason="r",
        expires=AT,
    )
    assert entry.birth_year == 1980 and entry.date_of_birth == "1980-01-01"


# --------------------------------------------------------------------------- CSV


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue()


def _row(entry: WatchlistEntry) -> list[str]:
    return [
        entry.id,
        entry.agency,
        entry.family_name,
        entry.given_names,
        entry.date_of_birth,
        entry.nationality or "",
        entry.document_number or "",
        entry.document_country or "",
        entry.category,
        entry.reason,
        entry.expires.isoformat(),
    ]


def test_ten_thousand_rows_with_a_handful_of_bad_ones():
    columns = list(CSV_COLUMNS)
    rows = [_row(entry) for entry in synthetic_entries(10_000, seed=5)]

    def put(index: int, column: str, value: str) -> None:
        rows[index][columns.index(column)] = value

    put(5, "date_of_birth", "1980-02-30")
    put(10, "reason", "Seen at AKL\nwith undeclared meat")  # a good row over two lines
    put(500, "category", "smuggling")
    put(1234, "family_name", "")
    put(2000, "nationality", "NZ")
    put(3000, "id", rows[2999][0])
    put(4000, "expires", "2027-13-01")
    put(5000, "document_number", "")
    put(5000, "document_country", "AUS")
    put(6000, "agency", "police")
    put(6000, "date_of_birth", "19800")
    rows[7000] = rows[7000][:-1]
    put(9999, "date_of_birth", "2030-01-01")
    lines = _csv_text([columns, *rows[:8001]]) + "\n" + _csv_text(rows[8001:])  # and a blank line

    entries, errors = parse_csv(lines, today=TODAY)

    # Header on line 1, row i on line i + 2; one more after the two-line row, one more after the blank line.
    assert [(error.line, error.field) for error in errors] == [
        (7, "date_of_birth"),
        (503, "category"),
        (1237, "family_name"),
        (2003, "nationality"),
        (3003, "id"),
        (4003, "expires"),
        (5003, "document_country"),
        (6003, "agency"),
        (6003, "date_of_birth"),
        (7003, ""),
        (10003, "date_of_birth"),
    ]
    messages = {(error.line, error.field): error.message for error in errors}
    assert "not a valid date" in messages[(7, "date_of_birth")]
    assert "unknown category 'smuggling'" in messages[(503, "category")]
    assert messages[(1237, "family_name")] == "required"
    assert "alpha-3" in messages[(2003, "nationality")]
    assert "first on line 3002" in messages[(3003, "id")]
    assert "without a document_number" in messages[(5003, "document_country")]
    assert "expected 11 fields, got 10" in messages[(7003, "")]
    assert "future" in messages[(10003, "date_of_birth")]
    assert str(errors[0]).startswith("line 7: date_of_birth: ")
    assert len(entries) == 10_000 - 10
    by_id = {entry.id: entry for entry in entries}
    assert by_id[rows[10][0]].reason == "Seen at AKL\nwith undeclared meat"
    ids = [entry.id for entry in entries]
    assert len(set(ids)) == len(ids)


def test_csv_values():
    text = (
        "id,family_name,given_names,date_of_birth,agency,category,reason,expires,document_number,document_country\n"
        "A-1,Müller,Hans,1980,mpi,biosecurity,fruit,2027-06-30,c01x00t47,deu\n"
        "A-2,Smith,,,customs,customs,cash,2027-06-30,,\n"
    )
    entries, errors = parse_csv(text, today=TODAY)
    assert errors == []
    first, second = entries
    assert (first.birth_year, first.birth_date, first.date_of_birth) == (1980, None, "1980")
    assert (first.document_number, first.document_country, first.nationality) == ("C01X00T47", "DEU", None)
    assert (second.given_names, second.birth_year, second.document_number) == ("", None, None)


def test_csv_header_problems():
    entries, errors = parse_csv("id,agency,family_name,category,reason\n1,mpi,X,biosecurity,r\n", today=TODAY)
    assert entries == []
    assert errors == [RowError(1, "expires", "required column missing")]
    entries, errors = parse_csv(
        "id,agency,family_name,category,reason,expires,colour\n1,mpi,X,biosecurity,r,2027-01-01,red\n", today=TODAY
    )
    assert [(e.line, e.field) for e in errors] == [(1, "colour")]
    assert [e.id for e in entries] == ["1"]
    assert parse_csv("", today=TODAY) == ([], [RowError(1, "", "the file is empty: expected a header row")])


def test_csv_unreadable_rows_are_reported_and_reading_goes_on():
    header = "id,agency,family_name,category,reason,expires\n"
    text = header + (
        "1,mpi,Smith,biosecurity,fruit,2027-01-01\n"
        '2,mpi,"Jones"x,biosecurity,fruit,2027-01-01\n'
        "3,mpi,Brown,biosecurity,fruit,2027-01-01\n"
        '4,mpi,"Green,biosecurity,fruit,2027-01-01\n'
        "5,mpi,White,biosecurity,fruit,2027-01-01\n"
    )
    entries, errors = parse_csv(text, today=TODAY)
    assert [entry.id for entry in entries] == ["1", "3"]
    assert [(error.line, error.field) for error in errors] == [(3, ""), (5, "")]
    assert all(error.message.startswith("unreadable row") for error in errors)


# --------------------------------------------------------------------------- blocking


@pytest.fixture(scope="module")
def large() -> tuple[Watchlist, list[WatchlistEntry]]:
    entries = synthetic_entries(100_000)
    return Watchlist(entries), entries


def test_blocking_consults_few_of_a_hundred_thousand_entries(large, monkeypatch):
    watchlist, entries = large
    people, planted = synthetic_people(400, entries, seed=11, planted_share=0.25)
    scored = 0
    real_compare = watchlist_index.score_prepared

    def counting(*args, **kwargs):
        nonlocal scored
        scored += 1
        return real_compare(*args, **kwargs)

    monkeypatch.setattr(watchlist_index, "score_prepared", counting)
    sizes = []
    for person, source in zip(people, planted, strict=True):
        candidates = watchlist.candidates(person)
        sizes.append(len(candidates))
        before = scored
        matches = watchlist.screen(person, at=AT)
        assert scored - before <= len(candidates)  # screening scores the candidates and nothing else
        assert {m.entry.id for m in matches} <= {c.id for c in candidates}
        if source is not None:
            assert source in {m.entry.id for m in matches}, person
    assert max(sizes) < 1_000  # under 1 % of the list for every passenger
    assert sum(sizes) / len(sizes) < 50
    assert sum(source is not None for source in planted) > 50


def test_blocking_finds_what_a_full_scan_finds():
    entries = synthetic_entries(2_000, seed=21)
    watchlist = Watchlist(entries)
    people, _ = synthetic_people(150, entries, seed=22, planted_share=0.5)
    active = [entry for entry in entries if entry.active_on(AT)]
    for person in people:
        scanned = {entry.id for entry in active if compare(person, entry).score >= 0.85}
        screened = {match.entry.id for match in watchlist.screen(person, at=AT)}
        assert screened == scanned, person
