"""The PAXLST reader on messages written from the standard, one per class of failure real feeds
showed: a transport header before the interchange, one flight group listing its whole route,
repeats after an empty segment, people in roles the reader does not know, crew and transit, the
border leg, times local to their airports, country codes and long document numbers, and the
legacy US format (the files: ``data/paxlst/README.md``)."""

import datetime as dt
from functools import partial
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import PackSource, check_record, compile_packs
from engine.evaluation import Evaluator
from messages.paxlst import ERROR, WARNING, PaxlstError, PaxlstResult, read_paxlst
from messages.pnrgov import read_pnrgov
from tests.messages.helpers import assert_read_or_refused, assert_valid, codes, mutated

DATA = Path(__file__).resolve().parent / "data" / "paxlst"
PNRGOV = Path(__file__).resolve().parent / "data" / "pnrgov"
TODAY = dt.date(2026, 6, 1)
MESSAGES = sorted(path.name for path in DATA.iterdir() if path.suffix == ".edi")


def text_of(name: str) -> str:
    return (DATA / name).read_text()


def read(text: str) -> PaxlstResult:
    result = read_paxlst(text, today=TODAY)
    assert_valid(result)
    return result


def travellers(result: PaxlstResult) -> list[dict]:
    return [record.get("traveller", {}) for record in result.manifest]


def leg(departure: str, arrival: str, departs: str, arrives: str, flight: tuple[str, str]) -> dict[str, str]:
    carrier, number = flight
    return {
        "carrier": carrier,
        "number": number,
        "departure_airport": departure,
        "arrival_airport": arrival,
        "scheduled_departure": departs,
        "scheduled_arrival": arrives,
    }


def test_every_message_is_in_the_readme():
    readme = (DATA / "README.md").read_text()
    assert MESSAGES and all(f"`{name}`" in readme for name in MESSAGES)


# --------------------------------------------------------------------------- a transport header


def test_a_type_b_header_before_the_interchange_is_read_past_with_a_warning():
    text = text_of("typeb_header_d05b.edi")
    result = read(text)
    assert codes(result) == [(WARNING, 1, "transport_header")]
    header = result.problems[0]
    assert header.segment == "QU AKLCSNZ AKLIMNZ\n.SYDXSQF 010900"
    assert header.message.startswith("2 lines before the interchange")
    # The UNA after the header declares "*" between elements: it is the one read with.
    assert [(t["family_name"], t["given_names"]) for t in travellers(result)] == [("HOHEPA", "ARI TAMA"), ("WU", "MEI")]
    assert result.manifest[0]["document"] == {
        "type": "P",
        "number": "LA123456",
        "issuing_country": "NZL",
        "expiry_date": "2031-03-01",
    }
    assert result.flight == leg("SYD", "AKL", "2026-12-01T09:15:00+11:00", "2026-12-01T14:15:00+13:00", ("QF", "143"))
    # Without its header the message reads the same, with no warning.
    bare = read(text[text.index("UNA") :])
    assert bare.manifest == result.manifest and bare.problems == []


def test_a_header_before_a_pnrgov_message_is_read_past_the_same_way():
    sample = (PNRGOV / "loader_pnr1.txt").read_text()
    plain = read_pnrgov(sample, today=TODAY)
    headed = read_pnrgov("QU AKLCSNZ\n.LHRXSBA 121000\n" + sample, today=TODAY)
    assert headed.manifest == plain.manifest
    assert [p.code for p in headed.problems] == ["transport_header"] + [p.code for p in plain.problems]


def test_text_with_no_interchange_after_a_header_is_still_refused():
    with pytest.raises(PaxlstError) as caught:
        read_paxlst("QU AKLCSNZ\n.SYDXSQF 010900\nPLEASE RESEND THE MANIFEST\n", today=TODAY)
    assert caught.value.reason.code == "not_edifact"


# --------------------------------------------------------------------------- one flight group, several legs


FOUR_AIRPORTS = [
    leg("SIN", "SYD", "2026-12-01T20:30:00+08:00", "2026-12-02T06:30:00+11:00", ("NZ", "123")),
    leg("SYD", "AKL", "2026-12-02T08:00:00+11:00", "2026-12-02T13:00:00+13:00", ("NZ", "123")),
    # Over the date line: the arrival's local date is the day before the departure's.
    leg("AKL", "RAR", "2026-12-02T15:00:00+13:00", "2026-12-01T20:00:00-10:00", ("NZ", "123")),
]


def test_one_flight_group_keeps_every_leg_of_its_route():
    result = read(text_of("one_flight_four_airports_d05b.edi"))
    assert result.problems == []
    assert result.legs == FOUR_AIRPORTS
    for record in result.manifest:
        assert record["itinerary"] == [
            {"airport": "SIN", "country": "SGP", "departure": "2026-12-01T20:30:00+08:00"},
            {
                "airport": "SYD",
                "country": "AUS",
                "arrival": "2026-12-02T06:30:00+11:00",
                "departure": "2026-12-02T08:00:00+11:00",
            },
            {
                "airport": "AKL",
                "country": "NZL",
                "arrival": "2026-12-02T13:00:00+13:00",
                "departure": "2026-12-02T15:00:00+13:00",
            },
            {"airport": "RAR", "country": "COK", "arrival": "2026-12-01T20:00:00-10:00"},
        ]
        assert check_record(record).values["itinerary.countries"] == ("SGP", "AUS", "NZL", "COK")


def test_the_border_leg_is_the_screened_flight():
    result = read(text_of("one_flight_four_airports_d05b.edi"))
    # LOC+125 SYD to LOC+87 AKL: not the first leg, not the last.
    assert result.flight == FOUR_AIRPORTS[1]
    assert all(record["flight"] == FOUR_AIRPORTS[1] for record in result.manifest)


def test_the_border_stops_need_not_be_next_to_each_other():
    # A domestic stop between the last departure abroad and the first arrival: the screened
    # flight runs from the LOC+125 stop to the LOC+87 stop; every leg stays in the route.
    text = (
        "UNH+1+PAXLST:D:05B:UN:IATA'BGM+745'TDT+20+NZ7+++NZ'"
        "LOC+125+SFO'DTM+189:2612012100:201'LOC+92+HNL'DTM+232:2612020100:201'DTM+189:2612020200:201'"
        "LOC+87+AKL'DTM+232:2612030700:201'NAD+FL+++ROA:MERE'UNT+12+1'"
    )
    result = read(text)
    assert result.problems == []
    assert result.flight == leg("SFO", "AKL", "2026-12-01T21:00:00-08:00", "2026-12-03T07:00:00+13:00", ("NZ", "7"))
    assert [(one["departure_airport"], one["arrival_airport"]) for one in result.legs] == [
        ("SFO", "HNL"),
        ("HNL", "AKL"),
    ]


def test_a_time_no_leg_takes_is_reported():
    text = (
        "UNH+1+PAXLST:D:05B:UN:IATA'BGM+745'TDT+20+NZ7+++NZ'LOC+92+SFO'DTM+232:2612012000:201'"
        "DTM+189:2612012100:201'LOC+92+AKL'DTM+232:2612030700:201'NAD+FL+++ROA:MERE'UNT+10+1'"
    )
    result = read(text)
    assert codes(result) == [(WARNING, 4, "out_of_place")]  # an arrival at the first stop of the route
    assert "DTM+232" in result.problems[0].message


# --------------------------------------------------------------------------- local times


def test_times_are_local_to_their_airport():
    result = read(text_of("one_flight_four_airports_d05b.edi"))
    departs = dt.datetime.fromisoformat(FOUR_AIRPORTS[2]["scheduled_departure"])
    arrives = dt.datetime.fromisoformat(FOUR_AIRPORTS[2]["scheduled_arrival"])
    assert arrives - departs == dt.timedelta(hours=4)  # AKL to RAR, whatever the local dates say
    checked = check_record(result.manifest[0]).values
    assert checked["flight.scheduled_arrival"] == dt.datetime(2026, 12, 2, 0, 0, tzinfo=dt.UTC)  # 13:00 in Auckland


def test_an_airport_the_table_lacks_keeps_its_times_as_given_with_one_warning():
    result = read(text_of("one_flight_four_airports_d05b.edi").replace("RAR", "QQZ"))
    assert [p.code for p in result.problems] == ["unknown_airport"]
    assert result.problems[0].segment_number == 16  # the first time at that airport
    assert "'QQZ'" in result.problems[0].message and "kept as given" in result.problems[0].message
    assert result.legs[2]["scheduled_arrival"] == "2026-12-01T20:00:00"  # as written, no offset
    assert result.manifest[0]["itinerary"][-1] == {"airport": "QQZ", "arrival": "2026-12-01T20:00:00"}  # no country
    # Leaving the flight at an airport of unknown country: the role stays the one NAD gave.
    assert [t["role"] for t in travellers(result)] == ["passenger", "passenger", "in_transit"]


@pytest.mark.parametrize(
    ("arrival", "expected", "says"),
    [
        # Auckland's clocks go back at 03:00 on 4 April 2027: 02:30 happens twice.
        ("2704040230", "2027-04-04T02:30:00+13:00", "happens twice"),
        # ... and forward at 02:00 on 27 September 2026: 02:30 never happens.
        ("2609270230", "2026-09-27T02:30:00+12:00", "does not exist"),
    ],
)
def test_a_local_time_a_clock_change_makes_ambiguous_is_read_with_a_warning(arrival, expected, says):
    text = text_of("typeb_header_d05b.edi").replace("DTM*232:2612011415:201", f"DTM*232:{arrival}:201")
    result = read(text)
    assert result.flight is not None and result.flight["scheduled_arrival"] == expected
    warning = next(p for p in result.problems if p.code == "ambiguous_time")
    assert warning.segment_number == 10 and says in warning.message


@pytest.mark.parametrize("stamp", ["000101010000:203", "999912312359:203"])
def test_times_at_the_ends_of_the_calendar_are_left_out_and_the_person_kept(stamp):
    route = f"LOC+125+LHR'DTM+189:{stamp}'LOC+87+AKL'DTM+232:{stamp}'"
    text = f"UNH+1+PAXLST:D:05B:UN:IATA'BGM+745'TDT+20+NZ1'{route}NAD+FL+++ROA:MERE'UNT+9+1'"
    result = read(text)
    (record,) = result.manifest
    assert record["traveller"]["family_name"] == "ROA"
    assert "scheduled_departure" not in record["flight"] and "scheduled_arrival" not in record["flight"]
    # Only the stops' times go: their airports and countries stay.
    assert record["itinerary"] == [{"airport": "LHR", "country": "GBR"}, {"airport": "AKL", "country": "NZL"}]
    assert {p.code for p in result.problems} == {"bad_value"}


# --------------------------------------------------------------------------- repeats after an empty one


def test_a_repeat_after_an_empty_segment_keeps_the_real_value():
    result = read(text_of("repeats_after_empty_d02b.edi"))
    (record,) = result.manifest
    assert record["traveller"] == {
        "family_name": "KATO",
        "given_names": "HARUKI",
        "date_of_birth": "1970-03-15",
        "sex": "M",
        "nationality": "JPN",
        "role": "passenger",
    }
    # The expiry after the empty DTM+36, not the later repeat.
    assert record["document"] == {
        "type": "P",
        "number": "TK1234567",
        "issuing_country": "JPN",
        "expiry_date": "2032-01-10",
    }
    assert result.flight == leg("NRT", "AKL", "2026-12-03T18:30:00+09:00", "2026-12-04T09:00:00+13:00", ("NZ", "99"))
    assert codes(result) == [
        (WARNING, 6, "bad_value"),  # LOC+125 with no airport
        (WARNING, 8, "bad_date"),  # DTM+189 with no date
        (WARNING, 13, "unknown_sex"),  # ATT+2 with no sex
        (WARNING, 15, "bad_date"),  # DTM+329 with no date
        (WARNING, 20, "bad_date"),  # DTM+36 with no date
        (WARNING, 24, "repeated_segment"),  # a second real DTM+36: the first real one stands
    ]


# --------------------------------------------------------------------------- roles


def test_a_person_in_a_role_the_reader_does_not_know_is_read_with_a_warning():
    result = read(text_of("road_crossing_driver_d05b.edi"))
    driver, passenger = result.manifest
    assert driver["traveller"] == {
        "family_name": "MORRIS",
        "given_names": "DALE",
        "date_of_birth": "1980-08-08",
        "sex": "M",
        "nationality": "CAN",
    }  # no traveller.role: the message does not say what a DRV is
    assert driver["document"]["number"] == "GA445566"
    assert passenger["traveller"]["role"] == "passenger"
    assert codes(result) == [
        (WARNING, 7, "bad_value"),  # LOC+125 CAPHY: a UN/LOCODE, not an airport
        (WARNING, 8, "unknown_airport"),  # so its time has no zone
        (WARNING, 9, "bad_value"),
        (WARNING, 10, "unknown_airport"),
        (WARNING, 11, "unknown_role"),  # NAD+DRV
        (WARNING, 23, "unknown_qualifier"),  # NAD+ZZ names no one: nothing to screen
    ]
    assert "'DRV'" in result.problems[4].message and "MORRIS" not in result.problems[4].message
    # Times with no airport are kept as written, never given a zone they may not have.
    assert result.flight == {
        "carrier": "CC",
        "number": "42",
        "scheduled_departure": "2026-12-05T08:00:00",
        "scheduled_arrival": "2026-12-05T08:30:00",
    }


def test_crew_lists_and_crew_roles_are_told_from_passengers():
    result = read(text_of("crew_list_roles_d02b.edi"))
    assert result.message_type == "crew"
    assert [(t["family_name"], t["role"]) for t in travellers(result)] == [
        ("RATU", "crew"),  # NAD+FM
        ("LEWENI", "crew"),  # NAD+DDT: crew in transit are crew
        ("SINGH", "crew"),  # NAD+COT
        ("BROWN", "crew"),  # NAD+CR, not a role the reader knows, on a crew list
        ("NAIDU", "passenger"),  # NAD+FL says passenger, whatever the list
    ]
    assert codes(result) == [(WARNING, 21, "unknown_role"), (WARNING, 23, "role_conflict")]
    assert "crew list" in result.problems[0].message


def test_passengers_in_transit_are_told_from_those_entering():
    result = read(text_of("one_flight_four_airports_d05b.edi"))
    assert [(t["family_name"], t["role"]) for t in travellers(result)] == [
        ("TAN", "passenger"),  # leaves at AKL
        ("MATAIO", "in_transit"),  # leaves at RAR (LOC+179): the Cook Islands, not New Zealand
        ("SMITH", "in_transit"),  # NAD+DDU
    ]


def test_rules_can_tell_crew_passengers_and_transit_apart():
    pack = {
        "agency": "immigration",
        "rules": [
            {"id": "INZ-0901", "title": "crew", "weight": 1, "action": "refer",
             "when": {"field": "traveller.role", "eq": "crew"}},
            {"id": "INZ-0902", "title": "transit", "weight": 1, "action": "refer",
             "when": {"field": "traveller.role", "eq": "in_transit"}},
        ],
    }  # fmt: skip
    evaluator = Evaluator(compile_packs([PackSource("roles", pack)]))
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    crew = read(text_of("crew_list_roles_d02b.edi")).manifest
    transit = read(text_of("one_flight_four_airports_d05b.edi")).manifest
    matched = [[m.rule.id for m in evaluator.evaluate(record, at).matches] for record in crew + transit]
    assert matched == [["INZ-0901"]] * 4 + [[], [], ["INZ-0902"], ["INZ-0902"]]


# --------------------------------------------------------------------------- country codes and document numbers


def test_country_codes_are_iso_3166_or_icao_9303_and_numbers_may_have_35_characters():
    result = read(text_of("countries_and_numbers_d05b.edi"))
    rows = [
        (r["traveller"].get("nationality"), r["traveller"].get("country_of_residence"), r["document"])
        for r in result.manifest
    ]
    assert rows == [
        ("GBD", None, {"type": "P", "number": "123456789012345678901234567890ABCDE", "issuing_country": "GBR"}),
        ("XXA", None, {"type": "P", "number": "X1", "issuing_country": "DEU"}),  # D is Germany
        ("UNO", None, {"type": "P", "number": "UN12345", "issuing_country": "UNO"}),
        ("RKS", "RKS", {"type": "P", "number": "R1234567", "issuing_country": "RKS"}),  # XK is Kosovo
        (None, None, {"type": "P", "issuing_country": "EUE"}),
    ]
    assert codes(result) == [
        (WARNING, 17, "country_converted"),  # LOC+91+D
        (WARNING, 24, "country_converted"),  # LOC+174+XK
        (WARNING, 28, "bad_value"),  # NAT+2+ZZZ
        (WARNING, 29, "bad_value"),  # LOC+174+QQ
        (WARNING, 30, "bad_value"),  # a 37-character document number
    ]
    assert "'ZZZ' is not an ISO 3166-1 country or an ICAO 9303 code" in result.problems[2].message
    assert "1234567890" not in result.problems[4].message


# --------------------------------------------------------------------------- legacy US PAXLST


def test_legacy_us_paxlst_is_refused_with_a_located_error_naming_it():
    with pytest.raises(PaxlstError) as caught:
        read_paxlst(text_of("legacy_us_pdt.edi"), today=TODAY)
    reason = caught.value.reason
    assert (reason.severity, reason.segment_number, reason.code) == (ERROR, 10, "legacy_us_paxlst")
    assert str(caught.value).startswith("legacy US PAXLST (PDT segments) is not supported")
    assert "MUSTER" not in str(caught.value)


def test_a_pdt_segment_in_a_un_edifact_message_is_only_an_unknown_segment():
    text = text_of("typeb_header_d05b.edi").replace("CNT*42:2'", "PDT*P/1*X'\nCNT*42:2'")
    result = read(text)
    assert len(result.manifest) == 2
    assert ("unknown_segment", "segment PDT (legacy US PAXLST) is not part of PAXLST and was ignored") in [
        (p.code, p.message) for p in result.problems
    ]


# --------------------------------------------------------------------------- fuzzing

EDI_ALPHABET = "+:'?*\n QUNABGHTDLOCMFZ0123456789."


@settings(max_examples=100)
@given(st.sampled_from(MESSAGES), st.data())
def test_mutated_messages_give_a_result_or_paxlst_error(name, data):
    assert_read_or_refused(partial(read_paxlst, today=TODAY), PaxlstError, mutated(text_of(name), data, EDI_ALPHABET))
