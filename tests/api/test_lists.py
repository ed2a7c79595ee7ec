"""Reference lists in the service: versioned and approved like rules, pinned by every ruleset."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import OPERATOR, live_rule, passenger, rule

SOURCES = ["BOL", "COL", "PER"]


def _list(values: list[Any] = SOURCES, **overrides: Any) -> dict[str, Any]:
    document = {"name": "source_countries", "agency": "customs", "description": "Cocaine source countries"}
    return {**document, "type": "code", "shared": False, "values": values, **overrides}


def live_list(api, document: dict[str, Any] | None = None, *, new: bool = True) -> dict[str, Any]:
    document = document or _list()
    path = "/v1/lists" if new else f"/v1/lists/{document['name']}/versions"
    created = api.post(path, "customs_officer", json={"list": document, "reason": "from intelligence"})
    assert created.status_code == 201, created.json
    base = f"/v1/lists/{document['name']}/versions/{created.json['number']}"
    assert api.post(f"{base}/submit", "customs_officer", json={}).status_code == 200
    assert api.post(f"{base}/approve", "customs_approver", json={}).status_code == 200
    activated = api.post(f"{base}/activate", "customs_approver", json={})
    assert activated.status_code == 200, activated.json
    return activated.json


USES_LIST = rule("CUS-0600", when={"field": "traveller.nationality", "in_list": "source_countries"})


def test_a_list_is_approved_by_someone_else_then_a_rule_uses_it(api):
    assert (
        api.post("/v1/rules", "customs_officer", json={"rule": USES_LIST, "reason": "r"}).json["code"] == "invalid_rule"
    )
    created = api.post("/v1/lists", "customs_officer", json={"list": _list(), "reason": "new"})
    assert created.status_code == 201 and created.json["status"] == "draft"
    base = "/v1/lists/source_countries/versions/1"
    assert api.post(f"{base}/submit", "customs_officer", json={}).status_code == 200
    self_approval = api.post(f"{base}/approve", "customs_officer", json={})
    assert self_approval.status_code == 403
    assert api.post(f"{base}/approve", "customs_approver", json={}).status_code == 200
    ruleset = api.get("/v1/rulesets/current", "auditor").json["seq"]
    assert api.post(f"{base}/activate", "customs_approver", json={}).json["status"] == "active"
    assert api.get("/v1/rulesets/current", "auditor").json["seq"] > ruleset
    [summary] = api.get("/v1/lists", "mpi_officer").json["lists"]
    assert summary == {
        "name": "source_countries",
        "agency": "customs",
        "description": "Cocaine source countries",
        "shared": False,
        "active_version": 1,
        "value_count": 3,
    }
    live_rule(api, USES_LIST)
    answer = api.post("/v1/evaluations", "customs_system", json={"passenger": passenger()}).json
    [match] = [m for m in answer["results"][0]["matches"] if m["rule_id"] == "CUS-0600"]
    assert match["why"][0]["operator"] == "in_list"
    assert match["why"][0]["expected"] == {"list": "source_countries", "list_size": 3, "matched": "COL"}
    actions = [entry["action"] for entry in api.get("/v1/audit?limit=1000", "auditor").json["entries"]]
    assert [a for a in actions if a.startswith("list.")] == [
        "list.create",
        "list.submit",
        "list.approve",
        "list.activate",
    ]


def test_a_new_version_changes_what_matches_and_a_replay_keeps_the_old(api):
    live_list(api)
    live_rule(api, USES_LIST)
    first = api.post("/v1/evaluations", "customs_system", json={"passenger": passenger()}).json["results"][0]
    assert "CUS-0600" in {m["rule_id"] for m in first["matches"]}
    live_list(api, _list(["BOL", "PER"]), new=False)
    diff = api.get("/v1/lists/source_countries/diff?from_version=1&to_version=2", "customs_officer").json
    assert (diff["added"], diff["removed"]) == ([], ["COL"])
    second = api.post("/v1/evaluations", "customs_system", json={"passenger": passenger()}).json["results"][0]
    assert "CUS-0600" not in {m["rule_id"] for m in second["matches"]}
    replay = api.get(f"/v1/decisions/{first['decision_id']}/replay", "auditor").json
    assert replay["same"] is True  # the decision's ruleset pinned list version 1


def test_a_list_version_no_active_rule_can_live_with_is_refused_and_nothing_changes(api):
    live_list(api)
    live_rule(api, USES_LIST)
    ruleset = api.get("/v1/rulesets/current", "auditor").json["version"]
    airports = _list(["Bogota"], type="string")  # text where the rule needs country codes
    created = api.post("/v1/lists/source_countries/versions", "customs_officer", json={"list": airports, "reason": "r"})
    base = f"/v1/lists/source_countries/versions/{created.json['number']}"
    api.post(f"{base}/submit", "customs_officer", json={})
    api.post(f"{base}/approve", "customs_approver", json={})
    refused = api.post(f"{base}/activate", "customs_approver", json={})
    assert (refused.status_code, refused.json["code"]) == (422, "ruleset_invalid")
    assert api.get(base, "customs_officer").json["status"] == "approved"
    assert api.get("/v1/lists/source_countries", "customs_officer").json["active_version"] == 1
    assert api.get("/v1/rulesets/current", "auditor").json["version"] == ruleset


def test_bad_lists_and_other_agencies_are_refused_at_their_path(api):
    bad = api.post("/v1/lists", "customs_officer", json={"list": _list(["COL", 7], name="Bad Name"), "reason": "r"})
    assert bad.status_code == 422 and set(bad.json["errors"]) >= {"name", "values[1]"}
    wrong_owner = api.post("/v1/lists", "customs_officer", json={"list": _list(agency="mpi"), "reason": "r"})
    assert wrong_owner.status_code == 422 and "agency" in wrong_owner.json["errors"]
    live_list(api)
    other = api.post("/v1/lists/source_countries/versions", "mpi_officer", json={"list": _list(), "reason": "r"})
    assert other.status_code == 403
    mpi_rule = rule("MPI-0600", when={"field": "traveller.nationality", "in_list": "source_countries"})
    refused = api.post("/v1/rules", "mpi_officer", json={"rule": mpi_rule, "reason": "r"})
    assert refused.status_code == 422 and "not shared" in str(refused.json["errors"])
    assert api.get("/v1/lists/nowhere", "customs_officer").status_code == 404


def test_importing_packs_brings_their_lists_in_as_active_versions(api, services):
    pack = {"agency": "customs", "rules": [USES_LIST]}
    info = services.rule_store.import_packs(
        [("lists/source_countries.yaml", _list()), ("customs.yaml", pack)], OPERATOR
    )
    assert api.get("/v1/lists/source_countries", "customs_officer").json["active_version"] == 1
    assert api.get("/v1/rulesets/current", "auditor").json["seq"] <= info.seq
    again = services.rule_store.import_packs(
        [("lists/source_countries.yaml", _list()), ("customs.yaml", pack)], OPERATOR
    )
    assert again.seq == info.seq  # nothing changed: no new ruleset


def test_values_come_as_csv_too_and_a_bad_one_is_named_by_position(api):
    document = {key: value for key, value in _list().items() if key != "values"}
    text = "value\r\nBOL\rCOL\n\nPER\n"  # any line ends
    created = api.post("/v1/lists", "customs_officer", json={"list": document, "values_csv": text, "reason": "upload"})
    assert created.status_code == 201, created.json
    assert api.get("/v1/lists/source_countries/versions/1", "customs_officer").json["content"]["values"] == SOURCES
    numbers = {**document, "name": "bag_counts", "type": "integer"}
    bad = api.post("/v1/lists", "customs_officer", json={"list": numbers, "values_csv": "3\n4\nfive\n", "reason": "r"})
    assert (bad.status_code, list(bad.json["errors"])) == (422, ["values_csv[2]"])
    unclosed = {"list": {**document, "name": "other_countries"}, "values_csv": 'COL\n"PER', "reason": "r"}
    assert api.post("/v1/lists", "customs_officer", json=unclosed).status_code == 201  # a quote left open at the end
    assert api.get("/v1/lists/other_countries/versions/1", "customs_officer").json["content"]["values"] == [
        "COL",
        "PER",
    ]
    both = api.post("/v1/lists", "customs_officer", json={"list": _list(), "values_csv": "COL", "reason": "r"})
    assert both.status_code == 422 and "values_csv" in both.json["errors"]
