"""The PNRGOV reader: every GTAS sample message, what GTAS's own tests assert of them, untidy and
broken input, contacts and cards kept only as keyed hashes, and fuzzing that it never fails
with anything but PnrgovError."""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.records import REQUIRED_FIELDS
from messages.pnrgov import ERROR, PnrgovError, PnrgovResult, read_pnrgov
from tests.messages.helpers import assert_read_or_refused, assert_valid, codes, keyed_hash, mutated

DATA = Path(__file__).resolve().parent / "data" / "pnrgov"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "pnrgov"
TODAY = dt.date(2026, 6, 1)
KEY = b"test-contact-key"
SAMPLES = sorted(path.name for path in DATA.iterdir() if path.name != "README.md")

#: Per sample: PNRs, travellers (records), travellers with a travel document, air legs, and the
#: codes of every problem reported. No sample has an error; the warnings say what is untidy.
EXPECTED: dict[str, tuple[int, int, int, int, set[str]]] = {
    "loader_2_pnrs_basic.edi": (2, 4, 3, 4, {"segment_count_mismatch"}),
    "loader_3_pnrs.edi": (3, 13, 4, 8, set()),
    "loader_adult_and_infant.edi": (1, 2, 2, 3, {"flight_not_in_itinerary", "country_converted"}),
    "loader_multiple_flight_leg_pnr.txt": (1, 2, 2, 4, {"count_mismatch", "segment_count_mismatch", "misplaced_value"}),
    "loader_no_pnr_history.edi": (3, 4, 1, 4, {"country_converted"}),
    "loader_pnr1.txt": (1, 2, 1, 2, {"count_mismatch", "segment_count_mismatch"}),
    "loader_pnr2.txt": (1, 2, 2, 2, {"count_mismatch", "segment_count_mismatch"}),
    "loader_pnr3.txt": (1, 4, 4, 3, {"count_mismatch", "segment_count_mismatch", "misplaced_value"}),
    "loader_pnr4.txt": (1, 1, 1, 2, {"misplaced_value"}),
    "loader_pnrMessageExample.txt": (1, 5, 5, 3, {"segment_count_mismatch", "misplaced_value"}),
    "parsers_bigMessagePnr.txt": (1, 7, 7, 3, {"count_mismatch", "segment_count_mismatch", "misplaced_value"}),
    "parsers_bigbigPnr.txt": (
        47,
        86,
        86,
        144,
        {"bad_value", "count_mismatch", "segment_count_mismatch", "misplaced_value"},
    ),
    "parsers_modifyPnr77ForCodeShare.txt": (1, 1, 1, 6, {"bad_date", "unterminated_segment", "segment_count_mismatch"}),
    "parsers_pnrAddressPhoneCTCM.txt": (1, 1, 0, 0, {"segment_count_mismatch", "misplaced_value"}),
    "parsers_pnrEdge.txt": (1, 1, 0, 0, {"segment_count_mismatch", "misplaced_value"}),
    "parsers_pnrMessage.txt": (1, 2, 1, 2, {"count_mismatch", "segment_count_mismatch"}),
    "parsers_pnrMessagePg75.txt": (
        2,
        1,
        1,
        2,
        {
            "no_travellers",
            "segment_count_mismatch",
            "country_converted",
            "unknown_traveller",
            "out_of_place",
            "damaged_terminator",
            "flight_not_in_itinerary",
        },
    ),
    "parsers_pnrMessagePg76.txt": (
        1,
        2,
        0,
        1,
        {"unterminated_segment", "flight_not_in_itinerary", "segment_count_mismatch"},
    ),
    "parsers_pnrMessagePg77.txt": (1, 1, 1, 2, {"unterminated_segment", "segment_count_mismatch"}),
    "parsers_pnrNoOrgMsg.txt": (1, 1, 0, 0, {"segment_count_mismatch", "misplaced_value"}),
    "parsers_pnrPhoneCTCM.txt": (1, 1, 0, 0, {"segment_count_mismatch", "misplaced_value"}),
    "parsers_pnrPhoneCTC_M.txt": (1, 1, 0, 0, {"segment_count_mismatch", "misplaced_value"}),
    "parsers_pnrWithBags.txt": (
        127,
        268,
        268,
        381,
        {"bad_value", "count_mismatch", "segment_count_mismatch", "misplaced_value"},
    ),
    "parsers_pnrWithPrefixesAndBookingDetailBags.txt": (
        1,
        2,
        2,
        4,
        {"count_mismatch", "segment_count_mismatch", "misplaced_value"},
    ),
}


def text_of(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def read(text: str | bytes, key: bytes | None = KEY) -> PnrgovResult:
    result = read_pnrgov(text, hash_key=key, today=TODAY)
    assert_valid(result, REQUIRED_FIELDS)  # every record one the service accepts
    return result


def digest(kind: str, value: str) -> str:
    return keyed_hash(KEY, kind, value)


def by_id(result: PnrgovResult) -> dict[str, dict[str, Any]]:
    return {record["passenger_id"]: record for record in result.manifest}


# --------------------------------------------------------------------------- every sample


def test_the_samples_are_the_shared_ones():
    if not SHARED.is_dir():
        pytest.skip("the shared sample folder is not on this machine")
    assert sorted(path.name for path in SHARED.iterdir()) == sorted(path.name for path in DATA.iterdir())
    for path in SHARED.iterdir():
        assert path.read_bytes() == (DATA / path.name).read_bytes(), path.name


def test_every_sample_is_in_the_table():
    assert set(SAMPLES) == set(EXPECTED)


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_reads(name):
    result = read((DATA / name).read_bytes())
    pnrs, travellers, documents, legs, problem_codes = EXPECTED[name]
    assert len(result.pnrs) == pnrs
    assert len(result.manifest) == travellers
    assert sum("document" in record for record in result.manifest) == documents
    assert sum(len(pnr.legs) for pnr in result.pnrs) == legs
    assert {p.code for p in result.problems} == problem_codes
    assert result.errors == []
    assert result.version in ("10.1", "11.1", "13.1")
    for record in result.manifest:
        # Names come from TIF, the record locator is the booking reference, legs have airports.
        assert record["traveller"]["family_name"]
        assert record["booking"]["passengers_in_booking"] >= 1
        assert record["passenger_id"].startswith(record["booking"].get("reference", "PNR"))
        assert all(stop["airport"] for stop in record.get("itinerary", []))
        assert record["flight"]["carrier"] and record["flight"]["departure_airport"]
        # Every airport of the samples is in the airport table: each stop has its country, and
        # each time of the flight is local to its airport, with that airport's offset.
        assert all(re.fullmatch(r"[A-Z]{3}", stop["country"]) for stop in record.get("itinerary", []))
        for time in ("scheduled_departure", "scheduled_arrival"):
            if time in record["flight"]:
                assert dt.datetime.fromisoformat(record["flight"][time]).tzinfo is not None
    for problem in result.problems:
        assert problem.segment_number >= 1 and problem.message


def _sensitive(text: str) -> set[str]:
    """Every e-mail address, telephone and card number in a sample, as written."""
    found: set[str] = set()
    flat = text.replace("\r", "").replace("\n", "")
    for address in re.findall(r"CTCE ([^'\s]+)", flat):
        found |= {address, address.replace("//", "@").replace("..", "_").replace("?+", "+")}
    for number in re.findall(r"CTC ?[MHBP] ([0-9 ]+)", flat):
        found.add(number.strip().replace(" ", ""))
    for add in re.findall(r"ADD\+\+[^']*", flat):
        parts = add.split(":")
        if len(parts) > 7:
            found |= {digits for digits in re.findall(r"[0-9]{6,}", parts[7].replace(".", ""))}
    for fop in re.findall(r"FOP\+CC[^']*", flat):
        parts = fop.split(":")
        if len(parts) > 4 and parts[4]:
            found.add(parts[4])
    return found


@pytest.mark.parametrize("name", SAMPLES)
def test_contacts_and_cards_are_never_output_in_clear(name):
    text = text_of(name)
    result = read(text)
    output = "\n".join(
        [
            json.dumps(result.manifest),
            *(f"{p.segment} {p.message}" for p in result.problems),
            repr(result.pnrs),
        ]
    ).upper()
    for secret in _sensitive(text):
        assert secret.upper() not in output, secret


# --------------------------------------------------------------------------- what GTAS's tests assert


def test_pg77_record_locator_reference_and_creation_time():
    result = read(text_of("parsers_pnrMessagePg77.txt"))
    [record] = result.manifest
    assert record["passenger_id"] == "W9TEND-43576"
    assert record["booking"]["reference"] == "W9TEND"
    assert result.pnrs[0].travellers[0].reference == "43576"
    assert record["booking"]["booked_at"] == "2013-05-23T18:13:48"  # RCI: 23 May 2013 18:13:48


def test_pg76_booking_date_is_the_pnr_creation():
    result = read(text_of("parsers_pnrMessagePg76.txt"))
    doron, lendrot = result.manifest
    assert doron["booking"]["booked_at"].startswith("2013-02-15")
    assert (doron["booking"]["ticketed_on"], lendrot["booking"]["ticketed_on"]) == ("2013-02-14", "2013-02-17")
    assert doron["traveller"] == {
        "family_name": "DORON",
        "given_names": "NINA",  # "NINA MS": the title is not a name
        "date_of_birth": "1953-02-05",
        "sex": "F",
        "infant": False,
        "with_infant": False,
    }


def test_message_example_origin_bags_and_cabin():
    result = read(text_of("loader_pnrMessageExample.txt"))
    [pnr] = result.pnrs
    assert pnr.legs[0].departure_airport == "WDH"  # the PNR's origin
    assert result.manifest[0]["itinerary"][0]["airport"] == "WDH"
    assert sum(sum(leg.bags.values()) for leg in pnr.legs) == 18  # every TBD of every leg
    assert pnr.legs[1].cabins[0] == "Y"
    assert [record["booking"]["checked_bags"] for record in result.manifest] == [1, 1, 1, 2, 4]


def test_bags_with_prefixes_and_booking_details():
    result = read(text_of("parsers_pnrWithPrefixesAndBookingDetailBags.txt"))
    assert sum(sum(leg.bags.values()) for pnr in result.pnrs for leg in pnr.legs) == 4
    assert sum(sum(leg.bags.values()) for pnr in read(text_of("parsers_bigMessagePnr.txt")).pnrs for leg in pnr.legs)


def test_escaped_email_is_hashed_as_decoded():
    # GTAS reads MOLLY..LOUUNT?+50BB//GMAIL.COM as MOLLY_LOUUNT+50BB@GMAIL.COM.
    [record] = read(text_of("parsers_pnrEdge.txt")).manifest
    assert record["contact"]["email_hash"] == digest("email", "molly_louunt+50bb@gmail.com")


@pytest.mark.parametrize("name", ["parsers_pnrPhoneCTC_M.txt", "parsers_pnrPhoneCTCM.txt"])
def test_phone_of_the_traveller(name):
    result = read(text_of(name))
    [pnr] = result.pnrs
    assert pnr.phone_hashes == [digest("phone", "8675309")]  # the booking's address
    assert pnr.travellers[0].phone_hashes == [digest("phone", "123456789")]
    assert result.manifest[0]["contact"]["phone_hash"] == digest("phone", "123456789")


def test_phone_in_an_address():
    result = read(text_of("parsers_pnrAddressPhoneCTCM.txt"))
    assert result.pnrs[0].phone_hashes == [digest("phone", "8675309"), digest("phone", "5432109876")]
    assert result.manifest[0]["contact"]["address"] == "8095 KIRBY AVENUE, RIO DE JANEIRO, BRA"  # BR read as BRA


# --------------------------------------------------------------------------- the meaning of the segments


def test_two_pnrs_names_documents_legs_seats_payment():
    result = read(text_of("loader_2_pnrs_basic.edi"))
    records = by_id(result)
    assert list(records) == ["MFN4TI-1", "MFN4TI-2", "23456-1", "23456-2"]
    smith = records["MFN4TI-1"]
    assert smith["traveller"] == {
        "family_name": "SMITHJR",
        "given_names": "JOHN",
        "date_of_birth": "1964-07-12",
        "sex": "M",
        "nationality": "GBR",
        "frequent_flyer": "DL1234567890",
        "infant": False,
        "with_infant": False,
    }
    assert smith["document"] == {
        "type": "P",
        "number": "123456789",
        "issuing_country": "GBR",
        "expiry_date": "2019-08-23",
    }
    assert smith["flight"] == {
        "carrier": "DL",
        "number": "324",
        "codeshare": False,
        "marketing_flight": "DL324",
        "departure_airport": "LHR",
        "arrival_airport": "JFK",
        # TVL times are local to their airports: London in winter is UTC, New York five hours behind.
        "scheduled_departure": "2010-12-12T09:15:00+00:00",
        "scheduled_arrival": "2010-12-12T12:30:00-05:00",
        "seat": "15A",
    }
    assert [(stop["airport"], stop["country"]) for stop in smith["itinerary"]] == [
        ("LHR", "GBR"),
        ("JFK", "USA"),
        ("YVR", "CAN"),
    ]
    assert smith["booking"] == {
        "reference": "MFN4TI",
        "modified_at": "2010-12-06T10:10:00",
        "ticketed_on": "2010-12-06",
        "ticket_number": "0062120234533",
        "travel_agency": "52519950",
        "passengers_in_booking": 2,
        "payment_method": "card",
        "card_hash": digest("card", "XXXXXXXX1186"),
        "fare_amount": "2957.94",
        "fare_currency": "GBP",
    }
    assert smith["contact"]["phone_hash"] == digest("phone", "00441753637285")
    assert smith["contact"]["address"] == "45 HIGHSTREET, SLOUGH, BERKSHIRE, SL1AA, GBR"  # a line break joined
    jones = records["MFN4TI-2"]
    assert "document" not in jones  # DOCS without type and number: no document, but birth and sex
    assert (jones["traveller"]["date_of_birth"], jones["flight"]["seat"]) == ("1964-07-12", "15B")
    cooper = records["23456-2"]
    assert cooper["flight"]["seat"] == "15A" and cooper["booking"]["card_hash"] == digest("card", "XXXXXXXX3578")


def test_infant_in_the_adults_group_is_linked_and_gets_its_documents():
    result = read(text_of("loader_adult_and_infant.edi"))
    adult, infant = result.manifest
    assert adult["traveller"]["with_infant"] is True and adult["traveller"]["date_of_birth"] == "1976-05-30"
    assert infant["traveller"] == {
        "family_name": "TESTSURNAMETWO",
        "given_names": "TESTNAMETWO",
        "date_of_birth": "2011-08-10",
        "sex": "F",  # FI: a female infant
        "nationality": "COL",
        "infant": True,
        "accompanied_by": adult["passenger_id"],
    }
    assert infant["document"]["number"] == "AO234000"


def test_three_pnrs_infant_group_name_history_and_destination_address():
    result = read(text_of("loader_3_pnrs.edi"))
    records = by_id(result)
    assert records["D1RGHI-43578I"]["traveller"]["accompanied_by"] == "D1RGHI-43578"
    assert records["D1RGHI-43578"]["traveller"]["with_infant"] is True
    dolan = records["D1RGHI-43577"]
    assert dolan["contact"]["destination_address"] == "13 SHORE AVENUE, BROADBEACH, QLD, 4215, AUS"
    assert dolan["contact"]["address"] == "9874 HILLY DRIVE, ST LOUIS, MO, 63124, USA"  # the booking's ADD
    assert dolan["flight"]["seat"] == "54A"  # requested (SSR SEAT): no check-in yet
    # The group's name (TIF type G) is not a traveller; nine travellers are.
    group = [r for r in result.manifest if r["booking"]["reference"] == "GBFKSK"]
    assert len(group) == 9 and all(r["booking"]["passengers_in_booking"] == 9 for r in group)
    # The history (ABI, SAC) repeats flights: they are not legs.
    assert [len(pnr.legs) for pnr in result.pnrs] == [2, 4, 2]


def test_codeshare_flights_are_the_operating_ones():
    result = read(text_of("loader_no_pnr_history.edi"))
    first = result.manifest[0]["flight"]
    assert (first["carrier"], first["number"], first["codeshare"], first["marketing_flight"]) == (
        "LH",
        "474",
        True,
        "AC9099",
    )
    veneto = result.pnrs[1].legs[0]
    assert (veneto.carrier, veneto.number, veneto.marketing_carrier, veneto.marketing_number) == (
        "EN",
        "8203",
        "LH",
        "9457",
    )
    legs = read(text_of("parsers_modifyPnr77ForCodeShare.txt")).pnrs[0].legs
    assert [(leg.carrier, leg.number, leg.marketing_carrier, leg.marketing_number) for leg in legs[:2]] == [
        ("SK", "1524", "SQ", "5678"),  # TRA names the operating flight
        ("KL", "972", "DL", "8976"),  # the second TVL does
    ]
    multi = read(text_of("loader_multiple_flight_leg_pnr.txt")).pnrs[0].legs
    assert [(leg.carrier, leg.number) for leg in multi] == [("UA", "989"), ("LH", "624"), ("LH", "625"), ("UA", "988")]


def test_a_codeshare_without_its_operating_flight_number_keeps_no_number():
    text = text_of("loader_no_pnr_history.edi").replace("TVL+++++474:U'", "", 1)
    result = read(text)
    leg = result.pnrs[0].legs[0]
    assert (leg.carrier, leg.number, leg.marketing_carrier, leg.marketing_number) == ("LH", None, "AC", "9099")
    warnings = {p.code: p.message for p in result.warnings}
    assert warnings["missing_segment"] == "a codeshare's operating flight number is not given; left out"
    # Not known to be the flight the message was pushed for (LH474): that flight is taken, and said so.
    assert "flight_not_in_itinerary" in warnings and result.manifest[0]["flight"]["number"] == "474"


def test_non_air_segments_and_history_are_not_legs():
    result = read(text_of("parsers_pnrMessage.txt"))
    assert [(leg.departure_airport, leg.arrival_airport) for leg in result.pnrs[0].legs] == [
        ("LHR", "JFK"),
        ("JFK", "YVR"),
    ]


def test_untidy_large_push_reads_with_warnings_naming_each_field():
    result = read(text_of("parsers_bigbigPnr.txt"))
    messages = [p.message for p in result.warnings if p.code == "bad_value"]
    assert sum("(traveller.nationality)" in m for m in messages) == 86  # nationality "0"
    assert sum("(booking.ticket_number)" in m for m in messages) == 41  # ticket number "0"
    assert all("nationality" not in r["traveller"] for r in result.manifest)


def test_typographic_apostrophes_end_segments_and_a_lost_traveller_is_reported():
    result = read(text_of("parsers_pnrMessagePg75.txt"))
    assert [p.segment_number for p in result.warnings if p.code == "damaged_terminator"] == [16, 37, 49]
    [park] = result.manifest
    assert park["document"]["issuing_country"] == "KOR" and park["booking"]["checked_bags"] == 2
    # The second PNR's TIF is run into its ORG (no terminator between them): reported, not guessed.
    assert ("warning", 36, "no_travellers") in codes(result)


def test_without_a_key_no_contact_or_card_is_kept():
    result = read(text_of("loader_pnr1.txt"), key=None)
    assert all("contact" not in r or "email_hash" not in r["contact"] for r in result.manifest)
    assert all("card_hash" not in r["booking"] and "phone_hash" not in r.get("contact", {}) for r in result.manifest)
    with pytest.raises(ValueError):
        read_pnrgov(text_of("loader_pnr1.txt"), hash_key=b"")


# --------------------------------------------------------------------------- untidy feeds

BASE = text_of("parsers_pnrMessage.txt")  # UNA:+.?*' then the whole message on one line
BODY = BASE[len("UNA:+.?*'") :]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("UNA:+.?'" + BODY, "bad_una"),  # cut short
        ("UNA:+." + BODY, "bad_una"),
        ("UNA:+.? \u2019" + BODY, "bad_una"),  # a typographic apostrophe ends it, the segments use '
        ("UNA:*.? '" + BODY.replace("+", "*"), None),  # * declared as the data element separator
        (BODY.replace(":", "-").replace("+", "*"), "separators_found"),  # - and *, no UNA
        (BODY.replace("'", "' \r\n  "), None),  # spaces and line breaks between segments
        (BASE.replace("TIF+JONES", " \t TIF+JONES"), "stray_space"),  # a tab next to a tag
        (BASE.replace("TIF+JONES", "@@ TIF+JONES"), "stray_text"),
        (BASE + "\r\nEND OF TRANSMISSION\r\n", "trailing_text"),
        (BASE.replace("SRC'", "SRC'XYZ+1+2'", 1), "unknown_segment"),
        (("UNA:+.? '" + BODY).replace("'", "\u2019"), None),  # declared and used throughout: read as is
    ],
)
def test_untidy_message_reads_with_a_warning(text, code):
    result = read(text)
    assert [r["passenger_id"] for r in result.manifest] == ["MFN4TI-1", "MFN4TI-2"]
    assert result.manifest[0]["document"]["number"] == "123456789"
    assert [stop["airport"] for stop in result.manifest[0]["itinerary"]] == ["LHR", "JFK", "YVR"]
    found = {p.code for p in result.problems} - {"count_mismatch", "segment_count_mismatch"}
    assert found == ({code} if code else set())
    assert result.errors == []


def test_latin1_bytes_are_read():
    text = text_of("loader_pnr1.txt").replace("SMITHJR+JOHNMR", "SM\u00cfTH+JOHNMR")
    [smith, _] = read(text.encode("latin-1")).manifest
    assert smith["traveller"]["family_name"] == "SM\u00cfTH"


def test_a_message_cut_off_keeps_the_complete_pnrs_and_refuses_the_last():
    text = text_of("loader_2_pnrs_basic.edi")
    result = read(text[:3000])
    assert [r["booking"]["reference"] for r in result.manifest] == ["MFN4TI", "MFN4TI"]
    assert ("error", 88, "incomplete_pnr") in codes(result)
    assert any(p.code == "truncated" and p.severity == ERROR for p in result.problems)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "not_edifact"),
        ("hello", "not_edifact"),
        ("UNA:+", "bad_una"),
        ("UNB+IATA:1+DL++101209:2100+1'UNZ+0+1'", "missing_unh"),
        (BASE[:400], "no_travellers"),
        ("UNB+IATA:1+DL++101209:2100+1'UNH+1+PNRGOV:13:1:IA+X'MSG+:22'UNT+3+1'UNZ+1+1'", None),
    ],
)
def test_unreadable_message_is_a_located_error(text, code):
    if code is None:  # a message without PNRs is not an error: there is nothing in it
        result = read(text)
        assert result.manifest == [] and [p.code for p in result.problems] == ["no_travellers"]
        return
    with pytest.raises(PnrgovError) as caught:
        read_pnrgov(text, hash_key=KEY, today=TODAY)
    assert caught.value.code == "invalid_pnrgov"
    assert caught.value.reason.code == code and caught.value.reason.segment_number >= 1
    assert caught.value.problems[-1] is caught.value.reason


def test_non_text_input_is_refused():
    with pytest.raises(PnrgovError):
        read_pnrgov(12345, hash_key=KEY)  # type: ignore[arg-type]


def test_values_that_do_not_fit_are_dropped_with_a_warning_naming_the_field():
    text = text_of("loader_pnr1.txt").replace("/P/GBR/123456789/GBR/12JUL64/M/", "/P/GBR/12345-6789/GB1/31FEB64/Q/")
    result = read(text)
    smith = result.manifest[0]
    assert "nationality" not in smith["traveller"] and "date_of_birth" not in smith["traveller"]
    assert "sex" not in smith["traveller"] and "number" not in smith["document"]
    messages = [p.message for p in result.warnings]
    assert "DOCS nationality left out (traveller.nationality): must match [A-Z]{3}" in messages
    assert "DOCS document number left out (document.number): does not fit the field catalogue" in messages
    assert any("date of birth" in m for m in messages) and any("sex" in m for m in messages)


def test_visa_contacts_in_ssrs_and_a_residence_address():
    text = text_of("loader_pnr4.txt").replace(
        "TKT+03751019954019:T:1'",
        "SSR+DOCO:HK:1:UA:::::/LONDON GB/V/12345123/LONDON/22DEC06/GBR+::1'"
        "SSR+DOCA:HK:1:UA:::::/R/NZL/1 QUEEN STREET/AUCKLAND//1010+::1'"
        "SSR+CTCE:HK:1:UA:::::J.RAVAL//EXAMPLE.NZ+::1'"
        "TKT+03751019954019:T:1'",
    )
    [raval] = read(text).manifest
    assert raval["visa"] == {"number": "12345123", "issue_date": "2006-12-22"}
    assert raval["traveller"]["country_of_residence"] == "NZL"
    assert raval["contact"]["address"] == "1 QUEEN STREET, AUCKLAND, 1010, NZL"
    assert raval["contact"]["email_hash"] == digest("email", "christopher.raval@hotmail.com")  # the IFT came first
    assert read(text).pnrs[0].travellers[0].email_hashes[1] == digest("email", "j.raval@example.nz")


def test_problem_messages_never_carry_personal_data():
    result = read(text_of("parsers_bigbigPnr.txt"))
    words = {w for r in result.manifest for w in (r["traveller"]["family_name"], r["document"]["number"])}
    for problem in result.problems:
        assert not any(word in problem.message for word in words)


# --------------------------------------------------------------------------- fuzzing

EDI_ALPHABET = "+:'?*-\u2019 \n\r\t!.UNABGHTDLOCMFZIRSV0123456789/\u00e9\x00\ud800"
FUZZED = ("loader_pnr1.txt", "loader_3_pnrs.edi", "loader_adult_and_infant.edi", "parsers_pnrMessagePg75.txt")


def read_or_refused(text: str) -> None:
    """Any input gives a valid result or a PnrgovError carrying its problems; nothing else."""
    assert_read_or_refused(partial(read_pnrgov, hash_key=KEY, today=TODAY), PnrgovError, text, REQUIRED_FIELDS)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_gives_a_result_or_pnrgov_error(text):
    read_or_refused(text)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FUZZED), st.data())
def test_mutated_samples_give_a_result_or_pnrgov_error(name, data):
    read_or_refused(mutated(text_of(name), data, EDI_ALPHABET))
