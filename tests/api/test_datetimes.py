"""Every date and time a request names is parsed one way, and one out of range is a 422 naming it.

``0001-01-01T00:00:00+14:00`` is before the first UTC instant Python can hold and
``9999-12-31T23:59:59-14:00`` after the last; converting either (an evaluation's ``at``, a key's
``expires_at``, a backtest's ``at``) used to raise ``OverflowError`` as a 500, and a flight
arriving at ``9999-12-31T23:59:59Z`` overflowed when its journey's expiry was added to it.
Instants are now accepted from EARLIEST to LATEST (``engine.records``), in bodies, queries and
passenger records alike.
"""

from __future__ import annotations

import pytest

from api.journeys.interface import journey_key
from engine.records import EARLIEST, LATEST
from tests.api.conftest import live_rule, passenger, rule

EXTREMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]


def _query(value: str) -> str:
    return value.replace("+", "%2B")


def _requests(value: str) -> list[tuple[str, str, str, dict | None, str]]:
    """(method, path, who, body, the field the refusal must name) for each date and time a request can carry."""
    key = journey_key("LA801", "2026-12-01", "COL", "AB123456")
    arriving = passenger(flight={"scheduled_arrival": value}, traveller={"date_of_birth": None})
    booked = passenger(booking={"booked_at": value})
    legs = passenger(itinerary=[{"airport": "PTY", "country": "PAN", "departure": value}])
    backtest = "/v1/rules/CUS-0600/versions/1/backtest"
    return [
        ("POST", "/v1/evaluations", "customs_system", {"passenger": passenger(), "at": value}, "at"),
        ("POST", "/v1/evaluations", "customs_system", {"passenger": booked}, "passenger.booking.booked_at"),
        ("POST", "/v1/evaluations", "customs_system", {"passengers": [legs]}, "passengers[0].itinerary[0].departure"),
        (
            "PUT",
            f"/v1/journeys/{key}/contributions/customs",
            "customs_system",
            {"passenger": arriving},
            "passenger.flight.scheduled_arrival",
        ),
        (
            "POST",
            "/v1/keys",
            "admin",
            {"name": "n", "agency": "mpi", "roles": ["system"], "expires_at": value},
            "expires_at",
        ),
        ("POST", backtest, "customs_officer", {"at": value}, "at"),
        ("POST", backtest, "customs_officer", {"since": value}, "since"),
        ("POST", backtest, "customs_officer", {"until": value}, "until"),
        ("GET", f"/v1/audit?since={_query(value)}", "auditor", None, "since"),
        ("GET", f"/v1/audit?until={_query(value)}", "auditor", None, "until"),
        ("GET", f"/v1/rules/CUS-0500/stats?since={_query(value)}", "customs_officer", None, "since"),
        ("GET", f"/v1/rules/CUS-0500/stats?until={_query(value)}", "customs_officer", None, "until"),
    ]


@pytest.mark.parametrize("value", EXTREMES)
def test_a_date_and_time_out_of_range_is_a_422_naming_its_field(api, value):
    live_rule(api)
    assert api.post("/v1/rules", "customs_officer", json={"rule": rule("CUS-0600"), "reason": "r"}).status_code == 201
    for method, path, who, body, field in _requests(value):
        response = api.call(method, path, who, json=body)
        code = "invalid_passenger" if field.startswith("passenger") else "invalid_input"
        assert (response.status_code, response.json["code"]) == (422, code), (path, field, response.json)
        assert list(response.json["errors"]) == [field], (path, response.json)


def test_the_first_and_last_instants_are_accepted(api):
    live_rule(api)
    for value in (EARLIEST, LATEST):
        text = value.isoformat().replace("+00:00", "Z")
        at = api.post("/v1/evaluations", "customs_system", json={"passenger": passenger(), "at": text})
        assert (at.status_code, at.json["evaluated_at"]) == (200, text)
        record = passenger(booking={"booked_at": text})
        assert api.post("/v1/evaluations", "customs_system", json={"passenger": record}).status_code == 200
        key = {"name": "n", "agency": "mpi", "roles": ["system"], "expires_at": text}
        assert api.post("/v1/keys", "admin", json=key).status_code == 201
    # an offset is kept to its instant: 2199-12-31T23:59:59Z written from Auckland
    auckland = api.post(
        "/v1/evaluations", "customs_system", json={"passenger": passenger(), "at": "2200-01-01T12:59:59+13:00"}
    )
    assert (auckland.status_code, auckland.json["evaluated_at"]) == (200, "2199-12-31T23:59:59Z")


def test_a_date_and_time_in_another_format_is_refused_naming_the_expected_one(api):
    live_rule(api)
    assert api.post("/v1/rules", "customs_officer", json={"rule": rule("CUS-0600"), "reason": "r"}).status_code == 201
    for method, path, who, body, field in _requests("01/12/2026 10:00"):
        response = api.call(method, path, who, json=body)
        assert response.status_code == 422, (path, response.json)
        [message] = response.json["errors"][field]
        assert "YYYY-MM-DDThh:mm:ss with Z or an offset" in message, (path, message)
