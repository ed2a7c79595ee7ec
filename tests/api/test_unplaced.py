"""The least a record must carry, and where a record that cannot be placed on a flight shows.

``{"passenger": {}}`` used to be evaluated and recorded with no passenger id. A record must
now carry ``passenger_id`` (``engine.records.REQUIRED_FIELDS``). A record without a flight
(carrier, number and scheduled departure) is still evaluated, but it is on no flight's
priority list: its result says ``flight: null``, and officers find it on
``GET /v1/flights/unplaced?date=`` and counted as ``unplaced`` in ``GET /v1/flights?date=``.
"""

from __future__ import annotations

import datetime as dt

from api.journeys.interface import journey_key
from tests.api.conftest import live_rule, passenger, rule


def test_a_record_without_a_passenger_id_is_refused_naming_the_field(api, services):
    cases = [
        ({"passenger": {}}, ["passenger.passenger_id"]),
        ({"passenger": {"passenger_id": None}}, ["passenger.passenger_id"]),
        ({"passengers": [passenger(), passenger(passenger_id="  ")]}, ["passengers[1].passenger_id"]),
        ({"passengers": [passenger(passenger_id=None), passenger()]}, ["passengers[0].passenger_id"]),
    ]
    for body, paths in cases:
        response = api.post("/v1/evaluations", "customs_system", json=body)
        assert (response.status_code, response.json["code"]) == (422, "invalid_passenger"), (body, response.json)
        assert sorted(response.json["errors"]) == paths, response.json
    key = journey_key("LA801", "2026-12-01", "COL", "AB123456")
    part = passenger()
    del part["passenger_id"]
    contribution = api.call(
        "PUT", f"/v1/journeys/{key}/contributions/customs", "customs_system", json={"passenger": part}
    )
    assert (contribution.status_code, list(contribution.json["errors"])) == (422, ["passenger.passenger_id"])
    assert services.decision_store.flights(dt.datetime.now(dt.UTC).date()) == []


def test_a_record_that_cannot_be_placed_on_a_flight_is_listed_as_unplaced(api):
    live_rule(api)
    live_rule(api, rule("MPI-0500"), officer="mpi_officer", approver="mpi_approver")
    no_flight = passenger(passenger_id="NOFLIGHT-1", flight={"carrier": None, "scheduled_departure": None})
    del no_flight["flight"]["number"]  # still from BOG: the rules match
    no_departure = passenger(passenger_id="NODEP-1")
    del no_departure["flight"]["scheduled_departure"]
    no_number = passenger(passenger_id="NONUMBER-1")
    del no_number["flight"]["number"]
    placed = passenger(passenger_id="PLACED-1")
    answer = api.post(
        "/v1/evaluations", "customs_system", json={"passengers": [no_flight, no_departure, no_number, placed]}
    ).json
    assert [(r["passenger_id"], r["flight"], r["flight_date"]) for r in answer["results"]] == [
        ("NOFLIGHT-1", None, None),
        ("NODEP-1", None, None),
        ("NONUMBER-1", None, None),
        ("PLACED-1", "LA801", "2026-12-01"),
    ]
    today = dt.datetime.now(dt.UTC).date().isoformat()
    unplaced = api.get(f"/v1/flights/unplaced?date={today}", "customs_officer")
    assert unplaced.status_code == 200, unplaced.json
    assert (unplaced.json["date"], unplaced.json["passengers"]) == (today, 3)
    rows = {row["passenger_ref"]: row for row in unplaced.json["ranked"]}
    assert set(rows) == {"NOFLIGHT-1", "NODEP-1", "NONUMBER-1"}
    assert rows["NOFLIGHT-1"]["missing"] == ["flight.carrier", "flight.number", "flight.scheduled_departure"]
    assert rows["NODEP-1"]["missing"] == ["flight.scheduled_departure"]
    assert rows["NONUMBER-1"]["missing"] == ["flight.number"]
    # Ranked and explained like a priority list, with the reasons the sharing policy shows.
    assert [r["rule_id"] for r in rows["NOFLIGHT-1"]["top_reasons"]] == ["CUS-0500"]
    assert rows["NOFLIGHT-1"]["other_agency_matches"] == 1 and rows["NOFLIGHT-1"]["band"] in ("high", "elevated")
    flights = api.get(f"/v1/flights?date={today}", "auditor").json
    assert flights["unplaced"] == 3
    # The day it was evaluated, not a departure day: another day lists nobody.
    assert api.get("/v1/flights/unplaced?date=2000-01-01", "auditor").json["passengers"] == 0
    assert api.get("/v1/flights/unplaced?date=2026-12-01", "customs_system").status_code == 403


def test_a_resubmitted_unplaced_passenger_is_listed_once(api):
    record = passenger(passenger_id="AGAIN-1", flight=None)
    for _ in range(2):
        assert api.post("/v1/evaluations", "customs_system", json={"passenger": record}).status_code == 200
    today = dt.datetime.now(dt.UTC).date().isoformat()
    listed = api.get(f"/v1/flights/unplaced?date={today}", "customs_officer").json
    assert [row["passenger_ref"] for row in listed["ranked"]] == ["AGAIN-1"]


def test_unplaced_takes_a_date_in_range(api):
    for day in ("0001-01-01", "9999-12-31", "yesterday"):
        response = api.get(f"/v1/flights/unplaced?date={day}", "customs_officer")
        assert (response.status_code, list(response.json["errors"])) == (422, ["date"]), response.json
