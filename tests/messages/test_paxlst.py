"""The PAXLST reader: the GTAS sample messages, messages written from the standard,
malformed input, and fuzzing that it never fails with anything but PaxlstError."""

import dataclasses
import datetime as dt
from functools import partial
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import EngineError
from messages.paxlst import ERROR, WARNING, PaxlstError, PaxlstResult, read_paxlst
from testing.synthetic import synthetic_paxlst
from tests.messages.helpers import assert_read_or_refused, assert_valid, codes, mutated

DATA = Path(__file__).resolve().parent.parent / "data" / "paxlst"
TODAY = dt.date(2026, 6, 1)
SAMPLES = ("multiple_flight_leg_apis.txt", "airline2.edi", "crew_list_no_una.txt")
WRITTEN = ("nz5_passengers_d05b.edi", "qf25_crew_d02b.edi")


def text_of(name: str) -> str:
    return (DATA / name).read_text()


def read(text: str) -> PaxlstResult:
    result = read_paxlst(text, today=TODAY)
    assert_valid(result)
    return result


def people(result: PaxlstResult) -> list[tuple]:
    """Name, date of birth, sex, nationality, document number and expiry of each record."""
    rows = []
    for record in result.manifest:
        traveller, document = record.get("traveller", {}), record.get("document", {})
        rows.append(
            (
                traveller.get("family_name"),
                traveller.get("given_names"),
                traveller.get("date_of_birth"),
                traveller.get("sex"),
                traveller.get("nationality"),
                document.get("number"),
                document.get("expiry_date"),
            )
        )
    return rows


def leg(carrier, number, departure, arrival, departs, arrives) -> dict:
    return {
        "carrier": carrier,
        "number": number,
        "departure_airport": departure,
        "arrival_airport": arrival,
        "scheduled_departure": departs,
        "scheduled_arrival": arrives,
    }


# --------------------------------------------------------------------------- the GTAS samples


def test_multiple_flight_leg_message():
    result = read(text_of("multiple_flight_leg_apis.txt"))
    assert (result.version, result.message_type) == ("D:05B", "passenger")
    assert people(result) == [
        ("BARRETT", "TODD", "1968-02-23", "M", "FRA", "YY3478621G", "2008-12-30"),
        ("LANG", "KRISTIN", "1960-06-06", "F", "ESP", "TRQWE99800", "2009-09-16"),
    ]
    # Times are local to each airport: US Eastern summer time, then Paris summer time.
    assert result.legs == [
        leg("QQ", "877", "MIA", "IAD", "2008-07-10T15:00:00-04:00", "2008-07-10T17:55:00-04:00"),
        leg("QQ", "827", "IAD", "JFK", "2008-08-10T18:30:00-04:00", "2008-08-10T19:30:00-04:00"),
        leg("QQ", "827", "JFK", "CDG", "2008-08-10T20:00:00-04:00", "2008-08-11T06:30:00+02:00"),
    ]
    # The border leg (LOC+125 JFK, LOC+87 CDG) is the flight, as GTAS's own test of this sample
    # has it (testProgressiveFlightWithDomesticContinuance: JFK, CDG, QQ 0827, 10 and 11 August).
    assert result.flight == result.legs[-1]
    first = result.manifest[0]
    assert first["passenger_id"] == "123456789-1"
    assert first["flight"] == result.legs[-1]
    assert first["traveller"]["country_of_residence"] == "FRA"
    assert {r["traveller"]["role"] for r in result.manifest} == {"passenger"}  # NAD+FL, leaving at CDG
    assert first["document"] == {
        "type": "P",
        "number": "YY3478621G",
        "issuing_country": "FRA",
        "expiry_date": "2008-12-30",
    }
    assert first["booking"] == {"reference": "GJIO3RT"}
    assert [(stop["airport"], stop["country"]) for stop in first["itinerary"]] == [
        ("MIA", "USA"),
        ("IAD", "USA"),
        ("JFK", "USA"),
        ("CDG", "FRA"),
    ]
    assert first["itinerary"][1] == {
        "airport": "IAD",
        "country": "USA",
        "arrival": "2008-07-10T17:55:00-04:00",
        "departure": "2008-08-10T18:30:00-04:00",
    }
    assert result.manifest[1]["document"]["issuing_country"] == "ESP"
    # "13Nov09" after UNZ: the UNA, 50 segments, then the trailing text.
    assert codes(result) == [(WARNING, 52, "trailing_text")]
    assert result.problems[0].segment == "13Nov09"


AIRLINE2 = [
    ("BETTON", "DAVID", "178556534"),
    ("TRIBBLE", "FRANK", "130906000"),
    ("RIDER", "GORDON", "185723910"),
    ("COOLEY", "RAQUEL", "361569645"),
    ("YOUNG", "JAVIER", "132434347"),
    ("ELLIOTT", "CARMEN", "321648375"),
    ("WHITLOCK", "APRIL", "293312850"),
    ("WESLEY", "DAVID", "169177598"),
    ("STEWART", "MARYJANE", "179868051"),
    ("LOWE", "DANIEL", "153284238"),
]


def test_airline2_with_declared_separators_and_a_stray_space():
    result = read(text_of("airline2.edi"))
    assert (result.version, result.message_type) == ("D:02B", "passenger")
    assert people(result) == [
        (family, given, "1954-10-16", "M", "USA", number, "2018-02-21") for family, given, number in AIRLINE2
    ]
    # Bremen in summer time (+02:00); Eureka, Nunavut, on Central summer time (-05:00).
    assert result.legs == [leg("TN", "506", "BRE", "YEU", "2014-05-11T13:40:00+02:00", "2014-05-11T17:00:00-05:00")]
    assert result.flight == result.legs[0]
    assert [stop["country"] for stop in result.manifest[0]["itinerary"]] == ["DEU", "CAN"]
    assert {r["traveller"]["role"] for r in result.manifest} == {"passenger"}
    assert {r["document"]["issuing_country"] for r in result.manifest} == {"USA"}
    assert {r["booking"]["reference"] for r in result.manifest} == {"QXGYLO"}
    assert result.manifest[9]["passenger_id"] == "1402111800-10"
    # One segment per line: segment numbers are line numbers.
    assert codes(result) == [
        (WARNING, 3, "stray_space"),  # UNG *PAXLST
        (WARNING, 113, "count_mismatch"),  # CNT*42:136 for ten passengers
        (WARNING, 114, "segment_count_mismatch"),  # UNT*121 for 111 segments
        (WARNING, 114, "reference_mismatch"),  # UNT reference "140211180 0"
    ]
    stray, count = result.problems[0], result.problems[1]
    assert stray.segment.startswith("UNG *PAXLST*AMERICAN AIRLINES")
    assert "136 passengers" in count.message and "lists 10" in count.message
    assert "part 10" in count.message  # UNH says 10:F, so the count may be the whole list's


CREW = [
    ("Steur", "Andrea Pat", "1978-07-06", "F"),
    ("Adomat", "Julie Pat", "1978-07-07", "F"),
    ("Nalek", "Clifton Pat", "1978-07-08", "M"),
    ("Meissener", "Costa Pat", "1978-07-09", "M"),
    ("Pelzing", "Melissa Pat", "1978-07-10", "F"),
    ("Merfort", "Kevin Pat", "1978-07-11", "M"),
    ("Sautter", "Kari Pat", "1978-07-12", "F"),
    ("Zschieschak", "Jaclyn Pat", "1978-07-13", "F"),
]


def test_crew_list_without_una_on_one_line():
    result = read(text_of("crew_list_no_una.txt"))
    assert (result.version, result.message_type) == ("D:02B", "crew")
    # Names are kept as sent (this sender uses mixed case); a two-digit expiry year takes
    # the century nearest the flight (2017), so 61 is 2061.
    assert people(result) == [
        (family, given, born, sex, "GBR", "123456789", "2061-02-18") for family, given, born, sex in CREW
    ]
    assert result.legs == [leg("UA", "989", "FRA", "IAD", "2017-01-27T17:25:00+01:00", "2017-01-28T07:10:00-05:00")]
    assert {r["traveller"]["country_of_residence"] for r in result.manifest} == {"GBR"}
    assert {r["document"]["issuing_country"] for r in result.manifest} == {"GBR"}
    assert {r["traveller"]["role"] for r in result.manifest} == {"crew"}  # BGM+250, NAD+FM
    assert all("booking" not in r for r in result.manifest)
    assert codes(result) == [
        (WARNING, 109, "segment_count_mismatch"),  # UNT+0000152 for 107 segments
        (WARNING, 110, "reference_mismatch"),  # UNE reference is not UNG's
        (WARNING, 111, "reference_mismatch"),  # UNZ reference is not UNB's
    ]


def test_shared_samples_are_the_copies_tested_here():
    shared = Path("/work/shared/data/paxlst")
    if not shared.is_dir():
        pytest.skip("the shared sample folder is not on this machine")
    for name in SAMPLES:
        assert (shared / name).read_bytes() == (DATA / name).read_bytes()


# --------------------------------------------------------------------------- messages written from the standard


def test_d05b_passenger_list_arriving_in_new_zealand():
    result = read(text_of("nz5_passengers_d05b.edi"))
    assert (result.version, result.message_type) == ("D:05B", "passenger")
    nz5 = leg("NZ", "5", "LAX", "AKL", "2026-12-01T22:00:00-08:00", "2026-12-03T08:00:00+13:00")
    nz615 = leg("NZ", "615", "AKL", "ZQN", "2026-12-03T10:00:00+13:00", "2026-12-03T11:50:00+13:00")
    assert result.legs == [nz5, nz615]
    assert result.flight == nz5  # the leg arriving in New Zealand, not the domestic one after it
    assert people(result) == [
        ("O'BRIEN", "MARY ANNE", "1985-04-12", "F", "USA", "X1234567", "2031-01-15"),
        ("SMITH+JONES", "PETER", "1999-12-31", "M", "GBR", "502345678", "2029-06-01"),
        ("NGATA", "TAMATI", None, None, None, None, None),
    ]
    obrien, smith, ngata = result.manifest
    assert [r["passenger_id"] for r in result.manifest] == ["MSG0001-1", "MSG0001-2", "MSG0001-3"]
    assert obrien["booking"] == {"reference": "ABC123"}
    assert obrien["traveller"]["country_of_residence"] == "USA"
    assert [stop["airport"] for stop in obrien["itinerary"]] == ["LAX", "AKL", "ZQN"]
    # Leaving the flight at ZQN, in the country NZ5 arrives in: a passenger, not in transit.
    assert [r["traveller"]["role"] for r in result.manifest] == ["passenger"] * 3
    # DOC+PT is a passport; the visa's expiry goes to the visa section.
    assert smith["document"]["type"] == "P" and smith["document"]["issuing_country"] == "GBR"
    assert smith["visa"] == {"expiry_date": "2027-03-01"}
    # Embarked in Sydney (LOC+178), which no leg of this flight mentions.
    assert [stop["airport"] for stop in smith["itinerary"]] == ["SYD", "LAX", "AKL", "ZQN"]
    assert smith["itinerary"][0] == {"airport": "SYD", "country": "AUS"}
    # A passenger with no optional segments is still a complete, valid record.
    assert set(ngata) == {"passenger_id", "flight", "traveller", "itinerary"}
    assert codes(result) == [(WARNING, 37, "country_converted")]  # NAT+2+GB
    assert "GBR" in result.problems[0].message


def test_d02b_crew_list_with_other_separators_and_release_character():
    result = read(text_of("qf25_crew_d02b.edi"))
    assert (result.version, result.message_type) == ("D:02B", "crew")
    # Sydney and Christchurch both on summer time in December.
    assert result.flight == leg("QF", "25", "SYD", "CHC", "2026-12-01T14:00:00+11:00", "2026-12-01T19:30:00+13:00")
    # "!" releases the terminator "~" and the element separator "*" inside names.
    assert people(result) == [
        ("D~ARCY", "SAM", "1990-02-28", "X", "AUS", "PA1234567", "2030-01-01"),
        ("LEE*PARK", "JIN", "2001-01-01", None, "KOR", "M7654321", "2028-12-31"),
    ]
    darcy, lee = result.manifest
    assert darcy["traveller"]["country_of_residence"] == "AUS"  # LOC+174+AU
    assert darcy["document"]["type"] == "P"  # the passport, not the identity card listed first
    assert lee["document"]["type"] == "IP"
    # NAD+FM and NAD+DDT (crew in transit) are both crew.
    assert [r["traveller"]["role"] for r in result.manifest] == ["crew", "crew"]
    assert codes(result) == [
        (WARNING, 14, "country_converted"),  # LOC*174*AU
        (WARNING, 16, "bad_value"),  # DOC*I*A!:1234: the number holds a released ":"
        (WARNING, 16, "extra_document"),  # that identity card beside the passport
        (WARNING, 21, "unknown_sex"),  # ATT*2**U
    ]


def test_one_segment_per_line_and_one_line_read_the_same():
    lines = text_of("nz5_passengers_d05b.edi")
    one_line = lines.replace("\n", "")
    crlf = lines.replace("\n", "\r\n")
    expected = read(lines)
    for variant in (one_line, crlf):
        again = read(variant)
        assert again.manifest == expected.manifest
        assert codes(again) == codes(expected)


def test_a_space_as_release_character_means_none():
    text = (
        "UNA:+.  'UNH+1+PAXLST:D:05B:UN:IATA'BGM+745'TDT+20+NZ1'LOC+125+LHR'LOC+87+AKL'"
        "NAD+FL+++VAN DER BERG:ANNA MARIA'CNT+42:1'UNT+9+1'"
    )
    result = read(text)
    assert result.manifest[0]["traveller"] == {
        "family_name": "VAN DER BERG",
        "given_names": "ANNA MARIA",
        "role": "passenger",
    }


def test_bytes_are_decoded():
    assert read_paxlst(text_of("nz5_passengers_d05b.edi").encode(), today=TODAY).manifest
    latin = text_of("nz5_passengers_d05b.edi").replace("NGATA", "NGÄTA").encode("latin-1")
    assert read_paxlst(latin, today=TODAY).manifest[2]["traveller"]["family_name"] == "NGÄTA"


def test_several_messages_in_one_interchange():
    passengers = text_of("nz5_passengers_d05b.edi").split("\n")
    crew = text_of("qf25_crew_d02b.edi")
    crew_message = crew[crew.index("UNH") : crew.index("UNZ")].replace("~", "'").replace("*", "+").replace("!", "?")
    body = "\n".join(passengers[:-3]) + crew_message + "UNE+2+GR0001'UNZ+1+IC0001'"
    result = read(body)
    assert result.message_type == "mixed"
    assert len(result.manifest) == 5
    assert [r["passenger_id"] for r in result.manifest][-2:] == ["CR0001-4", "CR0001-5"]
    assert result.manifest[-1]["flight"]["carrier"] == "QF"
    assert result.flight is not None and result.flight["carrier"] == "NZ"


# --------------------------------------------------------------------------- problems in the message


def nz5_with(old: str, new: str) -> str:
    text = text_of("nz5_passengers_d05b.edi")
    assert old in text
    return text.replace(old, new, 1)


def test_cnt_disagreeing_with_the_passengers_found():
    result = read(nz5_with("CNT+42:3'", "CNT+42:5'"))
    assert (WARNING, 45, "count_mismatch") in codes(result)
    message = next(p.message for p in result.problems if p.code == "count_mismatch")
    assert message == "CNT+42 says 5 passengers but the message lists 3"
    assert len(result.manifest) == 3


def test_bad_dates_are_left_out_and_the_record_kept():
    result = read(
        nz5_with("DTM+329:850412'", "DTM+329:851340'").replace("DTM+189:2612012200:201", "DTM+189:2613012200:201")
    )
    assert (WARNING, 11, "bad_date") in codes(result)  # the departure: month 13
    assert (WARNING, 21, "bad_date") in codes(result)  # the date of birth: day 40
    assert "date_of_birth" not in result.manifest[0]["traveller"]
    assert "scheduled_departure" not in result.flight
    assert len(result.manifest) == 3


def test_two_digit_years_of_birth_are_never_in_the_future():
    text = nz5_with("DTM+329:850412'", "DTM+329:300101'").replace("DTM+329:19991231:102'", "DTM+329:250101'")
    result = read(text)
    assert result.manifest[0]["traveller"]["date_of_birth"] == "1930-01-01"
    assert result.manifest[1]["traveller"]["date_of_birth"] == "2025-01-01"
    after_flight = read(nz5_with("DTM+329:850412'", "DTM+329:20270101:102'"))
    assert (WARNING, 21, "bad_date") in codes(after_flight)


def test_unknown_segment_is_reported_and_skipped():
    result = read(nz5_with("BGM+745'\n", "BGM+745'\nXYZ+1+2'\n"))
    assert (WARNING, 6, "unknown_segment") in codes(result)
    assert "XYZ" in next(p.message for p in result.problems if p.code == "unknown_segment")
    assert len(result.manifest) == 3


def test_values_that_do_not_fit_the_catalogue_are_dropped_not_the_passenger():
    text = (
        nz5_with("ATT+2++F'", "ATT+2++U'")
        .replace("RFF+AVF:ABC123'", "RFF+AVF:ABC-123-XYZ'")
        .replace("NAD+FL+++NGATA:TAMATI'", "NAD+FL+++" + "N" * 120 + ":TAMATI'\nNAT+2+XX'\nDOC+110+12345'")
    )
    result = read(text)
    assert codes(result) == [
        (WARNING, 20, "unknown_sex"),
        (WARNING, 28, "bad_value"),  # the reservation reference
        (WARNING, 37, "country_converted"),
        (WARNING, 44, "bad_value"),  # the 120-letter family name
        (WARNING, 45, "bad_value"),  # NAT+2+XX is no country
        (WARNING, 46, "bad_value"),  # DOC type 110 has no letters
        (WARNING, 48, "segment_count_mismatch"),
    ]
    obrien, _, ngata = result.manifest
    assert "sex" not in obrien["traveller"] and "booking" not in obrien
    assert ngata["traveller"] == {"given_names": "TAMATI", "role": "passenger"}
    assert ngata["document"] == {"number": "12345"}


def test_missing_name_is_an_error_but_the_record_is_kept():
    result = read(nz5_with("NAD+FL+++NGATA:TAMATI'", "NAD+FL'"))
    assert (ERROR, 44, "missing_name") in codes(result)
    assert len(result.manifest) == 3 and result.manifest[2]["traveller"] == {"role": "passenger"}


def test_one_broken_passenger_does_not_lose_the_others():
    broken = "NAD+FL+++BROKEN:ONE'\nATT+2++Q'\nDTM+329:99'\nLOC+178+??'\nNAT+2+1'\nDOC+P+'\nDTM+36:X'\nLOC+91+ZZZZ'\n"
    result = read(nz5_with("NAD+FL+++NGATA:TAMATI'\n", broken + "NAD+FL+++NGATA:TAMATI'\n"))
    assert [r["traveller"]["family_name"] for r in result.manifest] == ["O'BRIEN", "SMITH+JONES", "BROKEN", "NGATA"]
    assert result.manifest[2]["traveller"] == {"family_name": "BROKEN", "given_names": "ONE", "role": "passenger"}
    assert {p.code for p in result.problems if 44 <= p.segment_number <= 51} == {"bad_value", "bad_date"}


def test_problem_messages_never_carry_personal_data():
    secret_name, secret_number, secret_birth = "ZAPHODBEEBLEBROX", "SECRET-DOC-42", "771399"
    text = (
        nz5_with("NAD+FL+++NGATA:TAMATI'", f"NAD+FL+++{secret_name * 8}:{secret_name}'")
        .replace("X1234567", secret_number)
        .replace("DTM+329:850412'", f"DTM+329:{secret_birth}'")
        .replace("RFF+AVF:ABC123'", "RFF+AVF:ABCDEFGHIJK'")
    )
    result = read(text)
    assert len(result.problems) >= 4
    for problem in result.problems:
        for secret in (secret_name, secret_number, secret_birth, "ABCDEFGHIJK"):
            assert secret not in problem.message
    assert any(secret_number in p.segment for p in result.problems)  # the segment text keeps it, apart
    assert "segment" not in result.problems[0].as_dict()


# --------------------------------------------------------------------------- malformed input


def test_truncated_inside_a_passenger_keeps_what_was_read():
    text = text_of("nz5_passengers_d05b.edi")
    cut = text[: text.index("DTM+329:19991231") + 12]
    result = read(cut)
    assert [r["traveller"]["family_name"] for r in result.manifest] == ["O'BRIEN", "SMITH+JONES"]
    assert [(p.severity, p.code) for p in result.errors] == [(ERROR, "truncated"), (ERROR, "truncated")]
    assert {p.code for p in result.warnings} == {"missing_segment"}  # no UNE, no UNZ


def test_truncated_before_any_passenger_is_an_error():
    text = text_of("nz5_passengers_d05b.edi")
    with pytest.raises(PaxlstError) as caught:
        read_paxlst(text[: text.index("NAD+FL")], today=TODAY)
    error = caught.value
    assert isinstance(error, EngineError) and error.code == "invalid_paxlst"
    assert [p.code for p in error.problems if p.severity == ERROR] == ["truncated", "no_passengers"]
    assert str(error) == "no passenger or crew member could be read"


def test_wrong_separators_are_a_clear_error():
    # airline2 without its UNA: "*" is not the default element separator.
    airline2 = text_of("airline2.edi")
    with pytest.raises(PaxlstError) as caught:
        read_paxlst(airline2[airline2.index("UNB") :], today=TODAY)
    assert codes(caught.value) == [(ERROR, 1, "wrong_separators")]
    assert "'*'" in str(caught.value) and "UNA" in str(caught.value)
    # A UNA declaring a terminator the message does not use: no segment boundary is found.
    with pytest.raises(PaxlstError) as caught:
        read_paxlst("UNA:+.? ~" + text_of("nz5_passengers_d05b.edi")[9:], today=TODAY)
    assert caught.value.problems[-1].code == "wrong_separators"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "not_edifact"),
        ("   \n", "not_edifact"),
        ("hello world, this is not EDIFACT", "not_edifact"),
        ('{"passengers": []}', "not_edifact"),
        ("UNA:+", "bad_una"),
        ("UNA::.? 'UNB+UNOA:4'", "bad_una"),
        ("UNAa+.? 'UNB+UNOA:4'", "bad_una"),
        ("UNB+UNOA:4+A+B+260101:0000+1'UNZ+0+1'", "missing_unh"),
        ("UNH+1+PAXLST:D:05B:UN:IATA'NAD+FL+++X:Y'UNT+3+1'", "missing_bgm"),
        ("UNH+1+PAXLST:D:05B:UN:IATA'BGM+745'TDT+20+NZ1'LOC+125+LHR'LOC+87+AK", "no_passengers"),
    ],
)
def test_unreadable_input_raises_paxlst_error(text, code):
    with pytest.raises(PaxlstError) as caught:
        read_paxlst(text, today=TODAY)
    assert caught.value.problems and caught.value.problems[-1].code == code
    assert str(caught.value)


def test_non_text_input_raises_paxlst_error():
    with pytest.raises(PaxlstError):
        read_paxlst(None, today=TODAY)  # type: ignore[arg-type]


def test_complete_message_without_passengers_is_not_an_error():
    text = "UNH+1+PAXLST:D:05B:UN:IATA'BGM+266+CL'TDT+20+NZ1'LOC+125+LHR'LOC+87+AKL'CNT+42:0'UNT+7+1'"
    result = read(text)
    assert result.manifest == [] and codes(result) == [(WARNING, 7, "no_passengers")]


def test_result_and_problems_are_immutable():
    result = read(text_of("nz5_passengers_d05b.edi"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.version = "D:12B"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.problems[0].code = "x"  # type: ignore[misc]


def test_default_today_reads_the_samples():
    for name in SAMPLES + WRITTEN:
        assert read_paxlst(text_of(name)).manifest


# --------------------------------------------------------------------------- scale


def test_300_passenger_message_is_read_whole():
    # Its speed is measured by `python -m benchmarks.http` (PAXLST case), not asserted here.
    result = read_paxlst(synthetic_paxlst(300), today=TODAY)
    assert len(result.manifest) == 300
    assert result.problems == []
    assert_valid(result)


# --------------------------------------------------------------------------- fuzzing

EDI_ALPHABET = "+:'?*$~ \n\r\t!.UNABGHTDLOCMFZ0123456789éß\x00\ud800"


def read_or_refused(text: str) -> None:
    """Any input gives a valid result or a PaxlstError carrying its problems; nothing else."""
    assert_read_or_refused(partial(read_paxlst, today=TODAY), PaxlstError, text)


@settings(max_examples=300)
@given(st.text())
def test_any_text_gives_a_result_or_paxlst_error(text):
    read_or_refused(text)


@settings(max_examples=300)
@given(st.sampled_from(SAMPLES + WRITTEN), st.data())
def test_mutated_samples_give_a_result_or_paxlst_error(name, data):
    read_or_refused(mutated(text_of(name), data, EDI_ALPHABET))
