"""One journey from the API and the PNR (``messages.journey``): pairing a flight's travellers of both
messages, the ``journey.*`` fields, and merging a pair with the source of each field."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import check_record
from messages.journey import (
    MATCH_TESTS,
    Pair,
    Traveller,
    fold_name,
    journey_fields,
    merge,
    pair,
    reached,
)


def person(family: str, given: str, birth: str = "", document: str = "", country: str = "", crew: bool = False):
    return Traveller.of(
        {
            "traveller": {"family_name": family, "given_names": given, "date_of_birth": birth or None},
            "document": {"number": document or None, "issuing_country": country or None},
        },
        crew=crew,
    )


MARY = person("O'Brien", "Mary Anne", "1985-04-12", "X1234567", "USA")
PETER = person("Smith-Jones", "Peter", "1999-12-31", "502345678", "GBR")


def test_names_fold_accents_case_spaces_and_punctuation():
    assert fold_name("O'Brien") == fold_name("OBRIEN") == fold_name("o brien") == "obrien"
    assert fold_name("Müller-Lüdenscheidt") == fold_name("MULLER LUDENSCHEIDT")
    assert fold_name("Иванов") == fold_name("IVANOV")
    assert fold_name(None) == ""


def test_travellers_pair_by_document_first():
    # The names differ (the PNR's is a nickname), the document is the same: one traveller.
    api = {"a1": MARY, "a2": PETER}
    pnr = {"p1": person("OBRIEN", "MOLLY", "", "x1234567", "USA"), "p2": person("NOSHOW", "NORA")}
    assert pair(api, pnr) == [
        Pair("a1", "p1", matched_by="document"),
        Pair(api="a2"),
        Pair(pnr="p2"),
    ]
    fields = journey_fields(Pair("a1", "p1", "document"), MARY, pnr["p1"], api_arrived=True, pnr_arrived=True)
    assert fields == {
        "has_api": True,
        "has_pnr": True,
        "matched_by": "document",
        "name_differs": True,
        "document_differs": False,
        "booked_not_boarded": False,
        "boarded_not_booked": False,
    }


def test_a_booking_on_another_document_pairs_by_name_and_date_of_birth_and_says_so():
    # Booked with the old passport, travelling on the new one.
    pnr = {"p1": person("SMITH JONES", "PETER", "1999-12-31", "OLD999999", "GBR")}
    [found] = pair({"a1": PETER}, pnr)
    assert found == Pair("a1", "p1", matched_by="name_and_birth_date")
    fields = journey_fields(found, PETER, pnr["p1"], api_arrived=True, pnr_arrived=True)
    assert (fields["document_differs"], fields["name_differs"]) == (True, False)


def test_a_pnr_without_docs_pairs_by_name_alone_but_never_with_a_different_date_of_birth():
    api = {"a1": person("NGATA", "TAMATI", "1970-01-01", "LA123456", "NZL")}
    assert pair(api, {"p1": person("Ngata", "Tamati")}) == [Pair("a1", "p1", matched_by="name")]
    # Same name, a date of birth that differs: another person.
    assert pair(api, {"p1": person("NGATA", "TAMATI", "1971-01-01")}) == [Pair(api="a1"), Pair(pnr="p1")]


def test_two_candidates_pair_no_one_and_each_says_which_test_was_ambiguous():
    # Twins: one name and date of birth, two passports; the PNR gives the date of birth but no document.
    twins = {
        "a1": person("LEE", "SAM", "1990-01-01", "D1", "NZL"),
        "a2": person("Lee", "Sam", "1990-01-01", "D2", "NZL"),
    }
    assert pair(twins, {"p1": person("LEE", "SAM", "1990-01-01")}) == [
        Pair(api="a1", ambiguous="name_and_birth_date"),
        Pair(api="a2", ambiguous="name_and_birth_date"),
        Pair(pnr="p1", ambiguous="name_and_birth_date"),
    ]
    # Two travellers of one name, and a PNR with no DOCS: the name alone cannot tell which.
    namesakes = {"a1": twins["a1"], "a2": person("LEE", "SAM", "1991-02-02", "D2", "NZL")}
    assert pair(namesakes, {"p1": person("LEE", "SAM")}) == [
        Pair(api="a1", ambiguous="name"),
        Pair(api="a2", ambiguous="name"),
        Pair(pnr="p1", ambiguous="name"),
    ]
    # One document number on two PNR travellers.
    found = pair({"a1": MARY}, {"p1": MARY, "p2": MARY})
    assert found == [
        Pair(api="a1", ambiguous="document"),
        Pair(pnr="p1", ambiguous="document"),
        Pair(pnr="p2", ambiguous="document"),
    ]
    # Left unpaired as ambiguous, no one is said to be booked and not boarded, or the reverse.
    for journey in found:
        fields = journey_fields(
            journey, MARY if journey.api else None, MARY if journey.pnr else None, api_arrived=True, pnr_arrived=True
        )
        assert "booked_not_boarded" not in fields and "boarded_not_booked" not in fields
        assert fields["ambiguous_match"] == "document"


def test_booked_not_boarded_and_the_reverse_only_once_the_other_message_came():
    booked, boarded = Pair(pnr="p1"), Pair(api="a1")
    assert "booked_not_boarded" not in journey_fields(booked, None, MARY, api_arrived=False, pnr_arrived=True)
    assert journey_fields(booked, None, MARY, api_arrived=True, pnr_arrived=True)["booked_not_boarded"] is True
    assert "boarded_not_booked" not in journey_fields(boarded, MARY, None, api_arrived=True, pnr_arrived=False)
    assert journey_fields(boarded, MARY, None, api_arrived=True, pnr_arrived=True)["boarded_not_booked"] is True
    # Crew are never booked: never paired, never "boarded, not booked".
    pilot = person("O'Brien", "Mary Anne", "1985-04-12", "X1234567", "USA", crew=True)
    assert pair({"a1": pilot}, {"p1": MARY}) == [Pair(api="a1"), Pair(pnr="p1")]
    assert "boarded_not_booked" not in journey_fields(boarded, pilot, None, api_arrived=True, pnr_arrived=True)


API_RECORD: dict[str, Any] = {
    "passenger_id": "MSG1-1",
    "flight": {"carrier": "NZ", "number": "5", "scheduled_departure": "2026-12-01T22:00:00Z"},
    "traveller": {"family_name": "O'BRIEN", "given_names": "MARY ANNE", "date_of_birth": "1985-04-12", "sex": "F"},
    "document": {"type": "P", "number": "X1234567", "issuing_country": "USA", "expiry_date": "2031-01-15"},
    "booking": {"reference": "ZZZ999"},
    "itinerary": [{"airport": "LAX"}, {"airport": "AKL"}],
}
PNR_RECORD: dict[str, Any] = {
    "passenger_id": "ABC123-1",
    "flight": {"carrier": "NZ", "number": "5", "seat": "23A", "codeshare": False},
    "traveller": {"family_name": "O BRIEN", "given_names": "MOLLY", "frequent_flyer": "NZ123"},
    "document": {"type": "P", "number": "X7654321", "issuing_country": "USA", "expiry_date": "2020-01-01"},
    "booking": {"reference": "ABC123", "payment_method": "cash", "checked_bags": 2},
    "contact": {"email_hash": "0" * 64},
    "itinerary": [{"airport": "BOG"}, {"airport": "LAX"}, {"airport": "AKL"}],
}


def test_merge_takes_the_traveller_and_document_from_the_api_and_the_booking_from_the_pnr():
    record, sources = merge(API_RECORD, PNR_RECORD)
    assert record["traveller"] == {
        "family_name": "O'BRIEN",
        "given_names": "MARY ANNE",
        "date_of_birth": "1985-04-12",
        "sex": "F",
        "frequent_flyer": "NZ123",  # only the PNR has it
    }
    # Another document in the PNR: none of its fields is mixed into the travelled one's.
    assert record["document"] == API_RECORD["document"]
    assert record["booking"] == {"reference": "ABC123", "payment_method": "cash", "checked_bags": 2}
    assert record["itinerary"] == PNR_RECORD["itinerary"] and record["contact"] == PNR_RECORD["contact"]
    assert record["flight"]["seat"] == "23A"
    assert sources["traveller.family_name"] == sources["document.number"] == sources["flight.carrier"] == "api"
    assert sources["traveller.frequent_flyer"] == sources["flight.seat"] == sources["booking.reference"] == "pnr"
    assert sources["booking.payment_method"] == sources["itinerary"] == sources["contact.email_hash"] == "pnr"
    assert "document.expiry_date" in sources and sources["document.expiry_date"] == "api"
    assert "passenger_id" not in record and set(sources) == {
        f"{section}.{name}" for section, values in record.items() if isinstance(values, dict) for name in values
    } | {"itinerary"}
    check_record({"passenger_id": "J-1", **record})


def test_merge_fills_the_travelled_document_from_the_pnr_when_it_is_the_same_one():
    api = {"document": {"number": "X1234567", "issuing_country": "USA"}}
    record, sources = merge(api, {"document": {"number": "X1234567", "expiry_date": "2031-01-15"}})
    assert record["document"] == {"number": "X1234567", "issuing_country": "USA", "expiry_date": "2031-01-15"}
    assert sources["document.expiry_date"] == "pnr"
    # One message only: everything is its own.
    record, sources = merge(None, PNR_RECORD)
    assert record["booking"] == PNR_RECORD["booking"] and set(sources.values()) == {"pnr"}


# --- properties ---------------------------------------------------------------------------------

_FAMILIES = st.sampled_from(["LEE", "Lee", "NGATA", "O'Brien", "OBRIEN", "Müller", "MULLER"])
_GIVEN = st.sampled_from(["SAM", "Sam", "ANA", "MARY ANNE"])
_BIRTHS = st.sampled_from(["", "1990-01-01", "1985-04-12"])
_DOCUMENTS = st.sampled_from(["", "D1", "D2", "d 1", "X9"])
_COUNTRIES = st.sampled_from(["", "NZL", "USA"])
_TRAVELLERS = st.builds(person, _FAMILIES, _GIVEN, _BIRTHS, _DOCUMENTS, _COUNTRIES, st.booleans())
_BOOKED = _TRAVELLERS.map(lambda t: dataclasses.replace(t, crew=False))  # a PNR names no crew


@st.composite
def flights(draw: st.DrawFn) -> tuple[dict[str, Traveller], dict[str, Traveller]]:
    api = draw(st.lists(_TRAVELLERS, max_size=6))
    pnr = draw(st.lists(_BOOKED, max_size=6))
    return {f"a{n}": t for n, t in enumerate(api)}, {f"p{n}": t for n, t in enumerate(pnr)}


@settings(max_examples=150, deadline=None)
@given(flights())
def test_pairing_never_loses_a_traveller_and_never_pairs_two_people(flight):
    api, pnr = flight
    found = pair(api, pnr)
    # Every traveller in exactly one journey.
    assert sorted(j.api for j in found if j.api) == sorted(api)
    assert sorted(j.pnr for j in found if j.pnr) == sorted(pnr)
    for journey in found:
        if not (journey.api and journey.pnr):
            assert journey.matched_by is None
            continue
        a, p = api[journey.api], pnr[journey.pnr]
        assert journey.matched_by in MATCH_TESTS and journey.ambiguous is None and not a.crew
        if a.document and p.document and not a.same_document(p):
            # Two different documents are only ever one traveller when name and date of birth agree.
            assert journey.matched_by == "name_and_birth_date" and a.name == p.name and a.birth_date == p.birth_date
            assert journey_fields(journey, a, p, api_arrived=True, pnr_arrived=True)["document_differs"] is True
        if journey.matched_by == "name":
            assert a.name == p.name and not p.birth_date
        # Its partner was the only candidate: no other traveller of either message fits the test as well.
        others = [t for key, t in api.items() if key != journey.api and not t.crew]
        if journey.matched_by == "document":
            assert not any(t.document_key == p.document_key for t in others)


@settings(max_examples=150, deadline=None)
@given(flights(), flights(), st.data())
def test_pairing_again_only_whom_a_change_reaches_gives_what_pairing_everyone_gives(flight, change, data):
    """The service pairs again only whom a message's travellers can reach (``reached``, looking up the
    held travellers by document and person key): they come out as pairing the whole flight pairs them."""
    held = {"api": flight[0], "pnr": flight[1]}
    # The message: new travellers, and some held ones sent again changed (their old keys reach too).
    new = {"api": {f"n{k}": t for k, t in change[0].items()}, "pnr": {f"n{k}": t for k, t in change[1].items()}}
    for side in ("api", "pnr"):
        for key in data.draw(st.lists(st.sampled_from(sorted(held[side]) or ["-"]), unique=True)):
            if key in held[side]:
                new[side][key] = data.draw(_TRAVELLERS if side == "api" else _BOOKED)
    seeds = [
        (side, t)
        for side in held
        for t in [*new[side].values(), *(held[side][k] for k in new[side] if k in held[side])]
    ]
    after = {side: {**held[side], **new[side]} for side in held}
    lookups = []

    def lookup(side: str, documents: set[str], persons: set[str]) -> dict[str, Traveller]:
        lookups.append(side)
        return {
            f"{side}:{k}": t
            for k, t in held[side].items()
            if k not in new[side] and (t.document_key in documents or t.person_key in persons)
        }

    found = reached(seeds, lookup, rounds=50)
    assert found is not None
    part = {side: {k: after[side][k] for k in after[side] if k in new[side] or f"{side}:{k}" in found} for side in held}
    everyone = pair(after["api"], after["pnr"])
    touched = {("api", k) for k in part["api"]} | {("pnr", k) for k in part["pnr"]}
    expected = [j for j in everyone if ("api", j.api) in touched or ("pnr", j.pnr) in touched]
    assert sorted(pair(part["api"], part["pnr"]), key=repr) == sorted(expected, key=repr)
    # Whoever was not reached is paired as before the message.
    before = pair(held["api"], held["pnr"])
    untouched = [j for j in everyone if ("api", j.api) not in touched and ("pnr", j.pnr) not in touched]
    assert all(j in before for j in untouched)
