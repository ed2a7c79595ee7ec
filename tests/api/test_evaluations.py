"""Submitting passengers: results, caching, decisions and replay, bad input."""

from __future__ import annotations

import json

from tests.api.conftest import live_rule, passenger, rule


def test_manifest_results_in_order_with_decisions(api):
    live_rule(api)
    manifest = [
        passenger(),
        passenger(booking={"payment_method": "card"}),
        passenger(flight={"departure_airport": "LAX"}),
    ]
    response = api.post("/v1/evaluations", "customs_system", json={"passengers": manifest})
    assert response.status_code == 200
    results = response.json["results"]
    assert [r["passenger_id"] for r in results] == [p["passenger_id"] for p in manifest]
    assert [len(r["matches"]) for r in results] == [1, 0, 0]
    assert [r["score"] for r in results] == [40.0, 0.0, 0.0]
    assert len({r["decision_id"] for r in results}) == 3
    why = results[0]["matches"][0]["why"]
    assert {
        "path": "when.all[0]",
        "field": "booking.payment_method",
        "operator": "eq",
        "expected": "cash",
        "actual": "cash",
    } in why


def test_resubmitted_passenger_is_answered_from_the_cache(api):
    live_rule(api)
    record = passenger()
    first = api.post("/v1/evaluations", "customs_system", json={"passenger": record}).json["results"][0]
    second = api.post("/v1/evaluations", "mpi_system", json={"passenger": record}).json["results"][0]
    assert (first["cached"], second["cached"]) == (False, True)
    # The score is shared; the customs match is not shown to MPI (default sharing policy).
    assert second["score"] == first["score"]
    assert (len(first["matches"]), first["other_agency_matches"]) == (1, 0)
    assert (second["matches"], second["other_agency_matches"]) == ([], 1)
    assert second["decision_id"] != first["decision_id"]


def test_a_new_ruleset_never_serves_an_old_result(api):
    live_rule(api)
    record = passenger()
    api.post("/v1/evaluations", "customs_system", json={"passenger": record})
    live_rule(api, rule("CUS-0501", weight=30, when={"field": "traveller.nationality", "eq": "COL"}))
    after = api.post("/v1/evaluations", "customs_system", json={"passenger": record}).json
    assert after["results"][0]["cached"] is False
    assert [m["rule_id"] for m in after["results"][0]["matches"]] == ["CUS-0500", "CUS-0501"]
    assert after["results"][0]["score"] == 58.0


def test_decision_is_recorded_without_identity_and_replays_the_same(api, services):
    live_rule(api)
    record = passenger()
    result = api.post("/v1/evaluations", "customs_system", json={"passenger": record}).json
    decision_id = result["results"][0]["decision_id"]
    decision = api.get(f"/v1/decisions/{decision_id}", "customs_system").json
    assert decision["ruleset_version"] == result["ruleset_version"]
    assert decision["agency"] == "customs"
    assert decision["matches"] == [
        {"rule_id": "CUS-0500", "version": 1, "agency": "customs", "weight": 40, "action": "refer"}
    ]
    assert decision["score"] == 40.0
    assert len(decision["identity_hash"]) == 64
    text = json.dumps(decision)
    for personal in ("Quispe", "Rosa", "AB123456", "1990-04-02"):
        assert personal not in text
    # A later change does not alter what the recorded ruleset version gives.
    api.post("/v1/rules/CUS-0500/retire", "customs_approver", json={"reason": "done"})
    replay = api.get(f"/v1/decisions/{decision_id}/replay", "auditor").json
    assert replay["same"] is True and replay["replayed"] == decision["matches"]
    assert api.get(f"/v1/decisions/{decision_id}", "mpi_system").status_code == 403
    assert api.get("/v1/decisions/unknown", "customs_system").status_code == 404


def test_identity_hash_is_stable_and_keyed(api, services):
    from api.evaluations.pipeline import identity_hash
    from engine import check_record

    record = check_record(passenger())
    assert identity_hash(record, b"one") == identity_hash(check_record(passenger()), b"one")
    assert identity_hash(record, b"one") != identity_hash(record, b"two")


def test_bad_input_gets_paths_and_codes_never_a_500(api):
    # Only passenger records wrong: invalid_passenger, the code `targeting evaluate` gives them too.
    passengers, other = "invalid_passenger", "invalid_input"
    cases = [
        (
            {"passengers": [passenger(), {"booking": {"checked_bags": "3"}}]},
            "passengers[1].booking.checked_bags",
            passengers,
        ),
        ({"passenger": {"traveller": {"nationality": "nz"}}}, "passenger.traveller.nationality", passengers),
        ({"passenger": {"surprise": 1}}, "passenger.surprise", passengers),
        ({"passenger": []}, "passenger", passengers),
        ({"passenger": passenger(), "extra": 1}, "extra", other),
        ({}, "$", other),
        ({"passenger": passenger(), "passengers": [passenger()]}, "$", other),
        ({"passengers": []}, "passengers", other),
        ({"passenger": passenger(), "at": "yesterday"}, "at", other),
        ({"passenger": {"booking": {"checked_bags": -1}}, "extra": 1}, "extra", other),
    ]
    for body, path, code in cases:
        response = api.post("/v1/evaluations", "customs_system", json=body)
        assert response.status_code == 422, (body, response.json)
        assert response.json["code"] == code, (body, response.json)
        assert path in response.json["errors"], (path, response.json)
    not_json = api.post("/v1/evaluations", "customs_system", data="{", content_type="application/json")
    assert not_json.status_code == 400 and not_json.json["code"] == "invalid_json"


def test_manifest_size_limit(api, services):
    too_many = [passenger() for _ in range(services.settings.max_manifest_size + 1)]
    response = api.post("/v1/evaluations", "customs_system", json={"passengers": too_many})
    assert (response.status_code, response.json["code"]) == (422, "manifest_too_large")


def test_validity_dates_follow_at(api):
    live_rule(api, rule(valid_from="2026-12-01", valid_until="2027-01-31"))
    record = passenger()
    before = api.post("/v1/evaluations", "customs_system", json={"passenger": record, "at": "2026-11-30T12:00:00Z"})
    during = api.post("/v1/evaluations", "customs_system", json={"passenger": record, "at": "2026-12-02T12:00:00Z"})
    assert before.json["results"][0]["matches"] == []
    assert [m["rule_id"] for m in during.json["results"][0]["matches"]] == ["CUS-0500"]


def test_thousand_passenger_manifest(api):
    live_rule(api)
    manifest = [passenger() for _ in range(1000)]
    response = api.post("/v1/evaluations", "customs_system", json={"passengers": manifest})
    assert response.status_code == 200
    assert sum(len(r["matches"]) for r in response.json["results"]) == 1000
