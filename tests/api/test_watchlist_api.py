"""The joint watchlist through the API: entries kept per agency, CSV import, rules that screen with it."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import live_rule, passenger, rule

HEADER = (
    "id,agency,family_name,given_names,date_of_birth,nationality,document_number,document_country,"
    "category,reason,expires\n"
)


def entry(entry_id: str = "CUS-W1", **overrides: Any) -> dict[str, Any]:
    body = {
        "id": entry_id,
        "family_name": "Quispe",
        "given_names": "Rosa",
        "date_of_birth": "1990-04-02",
        "nationality": "COL",
        "category": "customs",
        "reason": "cash courier, 2025 seizure",
        "expires": "2030-01-01",
    }
    body.update(overrides)
    return body


def test_an_officer_keeps_their_agency_entries_and_every_change_is_audited(api, services):
    created = api.post("/v1/watchlist", "customs_officer", json=entry())
    assert created.status_code == 201, created.json
    assert created.json["agency"] == "customs"
    assert api.get("/v1/watchlist/CUS-W1", "customs_officer2").json["family_name"] == "Quispe"
    assert api.get("/v1/watchlist/CUS-W1", "customs_approver").status_code == 403  # not a role that keeps the list
    changed = api.call("PUT", "/v1/watchlist/CUS-W1", "customs_officer", json=entry(reason="updated"))
    assert changed.status_code == 200 and changed.json["reason"] == "updated"
    listed = api.get("/v1/watchlist", "customs_officer").json
    assert (listed["total"], [e["id"] for e in listed["entries"]]) == (1, ["CUS-W1"])
    assert api.get("/v1/watchlist", "mpi_officer").json["total"] == 0
    assert api.call("DELETE", "/v1/watchlist/CUS-W1", "customs_officer").status_code == 204
    assert api.get("/v1/watchlist/CUS-W1", "customs_officer").status_code == 404
    actions = [e.action for e in services.audit.entries(object_id="CUS-W1")]
    assert actions == ["watchlist.create", "watchlist.update", "watchlist.delete"]
    # The audit log names the entry, never the listed person.
    assert "Quispe" not in str(services.audit.entries(object_id="CUS-W1"))


def test_another_agency_cannot_change_or_read_an_entry(api):
    api.post("/v1/watchlist", "customs_officer", json=entry())
    for method in ("GET", "PUT", "DELETE"):
        response = api.call(method, "/v1/watchlist/CUS-W1", "mpi_officer", json=entry())
        assert (response.status_code, response.json["code"]) == (403, "agency_forbidden")
    foreign = api.post("/v1/watchlist", "mpi_officer", json=entry("MPI-X", agency="customs"))
    assert (foreign.status_code, foreign.json["code"]) == (403, "agency_forbidden")


def test_a_bad_entry_is_refused_with_each_field(api):
    response = api.post(
        "/v1/watchlist", "customs_officer", json=entry(date_of_birth="1990-13-01", category="tax", nationality="XX")
    )
    assert (response.status_code, response.json["code"]) == (422, "invalid_entry")
    assert set(response.json["errors"]) == {"date_of_birth", "category", "nationality"}


def test_a_csv_with_bad_rows_imports_nothing_and_names_each_row_and_field(api):
    rows = [f"CUS-{n:05d},customs,Family{n},Given,1980-01-01,NZL,,,customs,reason,2030-01-01\n" for n in range(200)]
    rows[10] = "CUS-00010,customs,,Given,1980-01-01,NZL,,,customs,reason,2030-01-01\n"  # no family name
    rows[50] = "CUS-00050,customs,Family,Given,1980-02-30,NZL,,,customs,reason,2030-01-01\n"  # no such day
    text = HEADER + "".join(rows)
    refused = api.post("/v1/watchlist/import", "customs_officer", data=text, content_type="text/csv")
    assert (refused.status_code, refused.json["code"]) == (422, "invalid_csv")
    assert set(refused.json["errors"]) == {"lines[12].family_name", "lines[52].date_of_birth"}
    assert api.get("/v1/watchlist", "customs_officer").json["total"] == 0
    accepted = api.post(
        "/v1/watchlist/import?skip_bad_rows=true", "customs_officer", data=text, content_type="text/csv"
    )
    assert accepted.status_code == 200, accepted.json
    assert (accepted.json["created"], accepted.json["skipped_rows"]) == (198, 2)
    assert [(e["line"], e["field"]) for e in accepted.json["errors"]] == [(12, "family_name"), (52, "date_of_birth")]
    assert api.get("/v1/watchlist", "customs_officer").json["total"] == 198


def test_a_row_of_another_agency_is_a_bad_row_reported_by_line_and_skipped_with_the_others(api, services):
    listed = api.post("/v1/watchlist", "mpi_officer", json=entry("MPI-W1", category="biosecurity"))
    assert listed.status_code == 201, listed.json
    rows = [f"CUS-{n:05d},customs,Family{n},Given,1980-01-01,NZL,,,customs,reason,2030-01-01\n" for n in range(10)]
    rows[3] = "MPI-00003,mpi,Family,Given,1980-01-01,NZL,,,biosecurity,reason,2030-01-01\n"  # MPI's row
    rows[6] = "CUS-00006,customs,,Given,1980-01-01,NZL,,,customs,reason,2030-01-01\n"  # no family name
    rows[8] = "MPI-W1,customs,Family,Given,1980-01-01,NZL,,,customs,reason,2030-01-01\n"  # an id MPI keeps
    text = HEADER + "".join(rows)
    refused = api.post("/v1/watchlist/import", "customs_officer", data=text, content_type="text/csv")
    assert (refused.status_code, refused.json["code"]) == (422, "invalid_csv")
    # Every problem by line and column, the other agency's rows like any other (the header is line 1).
    assert set(refused.json["errors"]) == {"lines[5].agency", "lines[8].family_name", "lines[10].id"}
    assert api.get("/v1/watchlist", "customs_officer").json["total"] == 0
    accepted = api.post(
        "/v1/watchlist/import?skip_bad_rows=true", "customs_officer", data=text, content_type="text/csv"
    )
    assert accepted.status_code == 200, accepted.json
    assert (accepted.json["created"], accepted.json["updated"], accepted.json["skipped_rows"]) == (7, 0, 3)
    assert [(e["line"], e["field"]) for e in accepted.json["errors"]] == [(5, "agency"), (8, "family_name"), (10, "id")]
    assert api.get("/v1/watchlist", "customs_officer").json["total"] == 7
    kept = api.get("/v1/watchlist/MPI-W1", "mpi_officer").json
    assert (kept["agency"], kept["family_name"], kept["category"]) == ("mpi", "Quispe", "biosecurity")
    assert api.get("/v1/watchlist", "mpi_officer").json["total"] == 1  # MPI's row was not imported for it


def test_a_watchlist_rule_matches_through_the_service_and_a_list_change_is_a_new_version(api, services):
    listed = rule("CUS-0600", weight=70, when={"watchlist": "joint", "min_score": 0.9, "category": "customs"})
    live_rule(api, listed)
    traveller = passenger(traveller={"family_name": "QUISPE", "given_names": "Rosa"})
    first = api.post("/v1/evaluations", "customs_system", json={"passenger": traveller}).json
    assert first["results"][0]["matches"] == []
    empty_version = first["watchlist_version"]
    api.post("/v1/watchlist", "customs_officer", json=entry())
    services.watchlists.refresh()
    second = api.post("/v1/evaluations", "customs_system", json={"passenger": traveller}).json
    assert second["watchlist_version"] not in (None, empty_version)
    assert second["results"][0]["cached"] is False  # the new list version is in the cache key
    [match] = second["results"][0]["matches"]
    [reason] = match["why"]
    assert reason["watchlist"][0]["entry_id"] == "CUS-W1"
    decision = api.get(f"/v1/decisions/{second['results'][0]['decision_id']}", "customs_system").json
    assert decision["watchlist_version"] == second["watchlist_version"]
    status = api.get("/v1/watchlist/status", "customs_system").json
    assert (status["version"], status["entries"]) == (second["watchlist_version"], 1)


def test_a_ruleset_without_watchlist_rules_names_no_list_version(api):
    live_rule(api)
    result = api.post("/v1/evaluations", "customs_system", json={"passenger": passenger()}).json
    assert result["watchlist_version"] is None
