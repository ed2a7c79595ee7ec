"""Hits worked to dispositions, rule statistics, the runaway flag and backtests."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import live_rule, passenger, rule


def manifest(count: int, cash_every: int = 1) -> list[dict[str, Any]]:
    """``count`` passengers on LA801; every ``cash_every``-th one pays cash (the test rule's trigger)."""
    return [
        passenger(
            passenger_id=f"P{n:03d}",
            traveller={"family_name": f"Family{n}", "date_of_birth": f"19{50 + n % 40}-01-01"},
            document={"number": f"DOC{n:05d}"},
            booking={"payment_method": "cash" if n % cash_every == 0 else "card"},
        )
        for n in range(count)
    ]


def test_each_match_is_one_hit_per_journey_worked_to_a_disposition(api, services):
    live_rule(api)
    traveller = passenger()
    api.post("/v1/evaluations", "customs_system", json={"passenger": traveller})
    api.post("/v1/evaluations", "customs_system", json={"passenger": traveller})  # resubmitted: same hit
    hits = api.get("/v1/hits?flight=LA801&date=2026-12-01", "customs_officer").json["hits"]
    assert len(hits) == 1
    mine = api.get(f"/v1/hits?passenger_id={traveller['passenger_id']}", "customs_officer").json["hits"]
    assert mine == hits
    assert api.get("/v1/hits?passenger_id=nobody", "customs_officer").json["hits"] == []
    hit = hits[0]
    assert (hit["rule_id"], hit["rule_version"], hit["status"]) == ("CUS-0500", 1, "new")
    assert hit["why"][0]["field"] == "booking.payment_method"
    url = f"/v1/hits/{hit['id']}/disposition"
    no_note = api.post(url, "customs_officer", json={"status": "offence_found"})
    assert (no_note.status_code, no_note.json["code"]) == (422, "note_required")
    assert api.post(url, "customs_officer", json={"status": "in_review"}).json["status"] == "in_review"
    done = api.post(url, "customs_officer", json={"status": "offence_found", "note": "undeclared cash"}).json
    assert (done["status"], done["disposition"], done["note"], done["updated_by"]) == (
        "offence_found",
        "offence_found",
        "undeclared cash",
        "aroha@customs",
    )
    again = api.post(url, "customs_officer", json={"status": "cleared", "note": "changed my mind"})
    assert (again.status_code, again.json["code"]) == (409, "invalid_transition")
    actions = [e.action for e in services.audit.entries(object_id=hit["id"])]
    assert actions == ["hit.in_review", "hit.offence_found"]


def test_a_grant_to_see_hits_does_not_let_another_agency_work_them(api, services):
    import pytest

    from api.common import Actor, Forbidden

    live_rule(api)
    api.post("/v1/evaluations", "customs_system", json={"passenger": passenger()})
    [hit] = api.get("/v1/hits", "customs_officer").json["hits"]
    url = f"/v1/hits/{hit['id']}/disposition"
    unseen = api.post(url, "mpi_officer", json={"status": "in_review"})
    assert (unseen.status_code, unseen.json["code"]) == (404, "hit_not_found")  # not even confirmed to exist
    assert api.call("PUT", "/v1/sharing/mpi/customs", "admin", json={"share": ["matches"]}).status_code == 200
    assert api.get(f"/v1/hits/{hit['id']}", "mpi_officer").status_code == 200  # seeing is granted ...
    for who in ("mpi_officer", "mpi_approver"):
        for status in ("in_review", "offence_found", "false_match"):
            refused = api.post(url, who, json={"status": status, "note": "seen from MPI"})
            # ... working it is not: only Customs' dispositions count towards Customs' rule precision.
            assert (refused.status_code, refused.json["code"]) == (403, "agency_forbidden"), (who, status)
    mere = Actor("kmpiofficer", "mere@mpi", "mpi", frozenset({"officer"}))
    with pytest.raises(Forbidden):
        services.hits.set_status(hit["id"], "offence_found", "seen from MPI", mere)
    assert services.hits.hit(hit["id"]).status == "new"
    assert services.audit.entries(object_id=hit["id"]) == []
    [version] = api.get("/v1/rules/CUS-0500/stats", "customs_officer").json["versions"]
    assert (version["reviewed"], version["precision"]) == (0, None)
    worked = api.post(url, "customs_officer", json={"status": "in_review"})
    assert (worked.status_code, worked.json["status"]) == (200, "in_review")


def test_rule_stats_count_hits_dispositions_and_precision_per_version(api):
    live_rule(api)
    api.post("/v1/evaluations", "customs_system", json={"passengers": manifest(4)})
    hits = api.get("/v1/hits", "customs_officer").json["hits"]
    outcomes = ["offence_found", "false_match", "cleared"]
    for hit, outcome in zip(hits, outcomes, strict=False):
        api.post(f"/v1/hits/{hit['id']}/disposition", "customs_officer", json={"status": outcome, "note": "checked"})
    stats = api.get("/v1/rules/CUS-0500/stats", "customs_approver").json
    [version] = stats["versions"]
    assert (version["version"], version["hits"], version["reviewed"]) == (1, 4, 3)
    assert version["statuses"]["new"] == 1 and version["statuses"]["offence_found"] == 1
    assert version["precision"] == round(1 / 3, 4)
    assert api.get("/v1/rules/CUS-0500/stats", "mpi_approver").status_code == 403


def test_a_rule_matching_most_of_a_flight_is_flagged_runaway(api):
    live_rule(api)
    flagged = api.post("/v1/evaluations", "customs_system", json={"passengers": manifest(30, cash_every=1)}).json
    assert flagged["runaway_rules"] == [
        {"rule_id": "CUS-0500", "agency": "customs", "matched": 30, "passengers": 30, "share": 1.0}
    ]
    stats = api.get("/v1/rules/CUS-0500/stats", "customs_officer").json
    assert [(f["flight"], f["matched"], f["passengers"]) for f in stats["runaway_flights"]] == [("LA801", 30, 30)]
    # Other agencies neither see the flag nor the rule behind it.
    hidden = api.post("/v1/evaluations", "mpi_system", json={"passengers": manifest(30)}).json
    assert hidden["runaway_rules"] == []


def test_a_selective_rule_is_not_flagged(api):
    live_rule(api)
    result = api.post("/v1/evaluations", "customs_system", json={"passengers": manifest(30, cash_every=5)}).json
    assert result["runaway_rules"] == []


def test_a_backtest_counts_what_activation_and_re_evaluation_would_without_recording(api, services):
    live_rule(api)
    passengers = manifest(40)
    api.post("/v1/evaluations", "customs_system", json={"passengers": passengers})
    draft = rule(
        "CUS-0700",
        weight=30,
        when={"field": "traveller.date_of_birth", "lt": "1970-01-01"},
    )
    api.post("/v1/rules", "customs_officer", json={"rule": draft, "reason": "older cash travellers"})
    api.post("/v1/rules/CUS-0700/versions/1/submit", "customs_officer", json={})
    hits_before = len(services.hits.hits(None, limit=1000))
    tested = api.post("/v1/rules/CUS-0700/versions/1/backtest", "customs_approver", json={})
    assert tested.status_code == 200, tested.json
    report = tested.json
    assert report["evaluated"] == 40
    assert report["flights"] == [
        {"flight": "LA801", "date": "2026-12-01", "evaluated": 40, "matched": report["matched"]}
    ]
    assert 0 < report["matched"] < 40
    assert len(report["sample"]) == 5 and report["sample"][0]["why"][0]["field"] == "traveller.date_of_birth"
    assert len(services.hits.hits(None, limit=1000)) == hits_before  # nothing recorded
    # Now activate it and evaluate the same passengers again: the same count matches.
    api.post("/v1/rules/CUS-0700/versions/1/approve", "customs_approver", json={})
    api.post("/v1/rules/CUS-0700/versions/1/activate", "customs_officer", json={})
    again = api.post("/v1/evaluations", "customs_system", json={"passengers": passengers}).json
    matched = sum(any(m["rule_id"] == "CUS-0700" for m in r["matches"]) for r in again["results"])
    assert matched == report["matched"]
    assert api.post("/v1/rules/CUS-0700/versions/1/backtest", "mpi_approver", json={}).status_code == 403


def test_the_day_s_flights_are_listed_with_passenger_counts(api):
    live_rule(api)
    api.post("/v1/evaluations", "customs_system", json={"passengers": manifest(3)})
    flights = api.get("/v1/flights?date=2026-12-01", "mpi_officer").json["flights"]
    assert flights == [{"flight": "LA801", "date": "2026-12-01", "passengers": 3}]
    assert api.get("/v1/flights?date=2026-12-02", "mpi_officer").json["flights"] == []
    bad = api.get("/v1/flights?date=tomorrow", "mpi_officer")
    assert bad.status_code == 422
