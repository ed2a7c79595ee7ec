"""Trying a draft rule on sample passengers: the matches and reasons it would give, nothing recorded."""

from __future__ import annotations

from tests.api.conftest import passenger, rule

TRY = "/v1/rules/CUS-0500/versions/1/try"


def _draft(api) -> None:
    created = api.post("/v1/rules", "customs_officer", json={"rule": rule(), "reason": "new pattern"})
    assert created.status_code == 201, created.json


def _counts(api, services) -> tuple[int, int]:
    hits = len(services.hits.hits(None))
    audit = api.get("/v1/audit", "auditor").json
    return hits, audit["total"] if "total" in audit else len(audit["entries"])


def test_a_draft_is_tried_on_given_passengers_and_nothing_is_recorded(api, services):
    _draft(api)
    before = _counts(api, services)
    cash = passenger(passenger_id="TRY-1")
    card = passenger(passenger_id="TRY-2", booking={"payment_method": "card"})
    answer = api.post(TRY, "customs_officer", json={"passengers": [cash, card]})
    assert answer.status_code == 200, answer.json
    results = {result["passenger_id"]: result for result in answer.json["results"]}
    assert results["TRY-1"]["matched"] is True
    assert {reason["field"] for reason in results["TRY-1"]["why"]} == {
        "booking.payment_method",
        "flight.departure_airport",
    }
    assert results["TRY-2"] == {"passenger_id": "TRY-2", "matched": False, "why": []}
    assert _counts(api, services) == before  # no decision, no hit, no audit entry


def test_a_draft_is_tried_on_decisions_of_the_callers_agency_only(api, services):
    _draft(api)
    mine = api.post("/v1/evaluations", "customs_system", json={"passenger": passenger(passenger_id="TRY-3")})
    theirs = api.post("/v1/evaluations", "mpi_system", json={"passenger": passenger(passenger_id="TRY-4")})
    mine_id, theirs_id = (r.json["results"][0]["decision_id"] for r in (mine, theirs))
    answer = api.post(TRY, "customs_approver", json={"decision_ids": [mine_id]})
    assert answer.status_code == 200, answer.json
    assert answer.json["results"][0]["passenger_id"] == "TRY-3" and answer.json["results"][0]["matched"]
    refused = api.post(TRY, "customs_officer", json={"decision_ids": [theirs_id]})
    assert (refused.status_code, refused.json["code"]) == (404, "decision_not_found")


def test_bad_samples_are_refused_at_their_path(api):
    _draft(api)
    bad_passenger = {"passenger_id": "x", "booking": {"checked_bags": -1}}
    bad = api.post(TRY, "customs_officer", json={"passengers": [passenger(), bad_passenger]})
    assert bad.status_code == 422
    assert list(bad.json["errors"]) == ["passengers[1].booking.checked_bags"]
    assert api.post(TRY, "customs_officer", json={}).status_code == 422
    assert api.post(TRY, "mpi_officer", json={"passengers": [passenger()]}).status_code == 403
