"""Rule lifecycle: versions, approval by a second person, activation, retirement, history."""

from __future__ import annotations

from api.audit.interface import AuditRecord
from tests.api.conftest import live_rule, passenger, rule


def test_author_submit_approve_activate_and_hit(api):
    activation = live_rule(api)
    assert activation["version"]["status"] == "active"
    assert activation["ruleset_seq"] >= 1
    result = api.post("/v1/evaluations", "customs_system", json={"passenger": passenger()})
    assert result.status_code == 200, result.json
    hit = result.json["results"][0]
    assert [m["rule_id"] for m in hit["matches"]] == ["CUS-0500"]
    assert hit["matches"][0]["rule_version"] == 1
    assert result.json["ruleset_version"] == activation["ruleset_version"]


def test_author_cannot_approve_own_change_even_with_an_approver_key(api):
    created = api.post("/v1/rules", "customs_officer", json={"rule": rule(), "reason": "r"})
    api.post("/v1/rules/CUS-0500/versions/1/submit", "customs_officer", json={})
    refused = api.post("/v1/rules/CUS-0500/versions/1/approve", "aroha_approver", json={})
    assert created.status_code == 201
    assert refused.status_code == 403
    assert refused.json["code"] == "self_approval"


def test_lifecycle_order_is_enforced(api):
    api.post("/v1/rules", "customs_officer", json={"rule": rule(), "reason": "r"})
    early = api.post("/v1/rules/CUS-0500/versions/1/approve", "customs_approver", json={})
    assert (early.status_code, early.json["code"]) == (409, "invalid_transition")
    not_approved = api.post("/v1/rules/CUS-0500/versions/1/activate", "customs_approver", json={})
    assert (not_approved.status_code, not_approved.json["code"]) == (409, "invalid_transition")


def test_rule_without_review_date_cannot_be_activated(api):
    content = rule()
    del content["valid_until"]
    api.post("/v1/rules", "customs_officer", json={"rule": content, "reason": "r"})
    api.post("/v1/rules/CUS-0500/versions/1/submit", "customs_officer", json={})
    api.post("/v1/rules/CUS-0500/versions/1/approve", "customs_approver", json={})
    refused = api.post("/v1/rules/CUS-0500/versions/1/activate", "customs_approver", json={})
    assert (refused.status_code, refused.json["code"]) == (422, "no_review_date")
    assert "content.valid_until" in refused.json["errors"]


def test_invalid_rule_reports_every_problem_at_its_path(api):
    bad = rule(
        weight=500,
        when={
            "all": [
                {"field": "booking.days_before_departure", "lte": "two"},
                {"field": "traveler.nationality", "eq": "COL"},
            ]
        },
    )
    response = api.post("/v1/rules", "customs_officer", json={"rule": bad, "reason": "r"})
    assert response.status_code == 422
    assert response.json["code"] == "invalid_rule"
    assert set(response.json["errors"]) == {"weight", "when.all[0].lte", "when.all[1].field"}


def test_officers_touch_only_their_agency_and_systems_cannot_author(api):
    live_rule(api)
    other = api.post("/v1/rules/CUS-0500/versions", "mpi_officer", json={"rule": rule(), "reason": "r"})
    assert (other.status_code, other.json["code"]) == (403, "agency_forbidden")
    system = api.post("/v1/rules", "customs_system", json={"rule": rule("CUS-0501"), "reason": "r"})
    assert (system.status_code, system.json["code"]) == (403, "role_forbidden")
    approver_other = api.post("/v1/rules/CUS-0500/retire", "mpi_approver", json={"reason": "r"})
    assert approver_other.status_code == 403


def test_versions_diff_rollback_and_history(api):
    live_rule(api)
    changed = rule(weight=70, title="Cash booking through Bogota (raised)")
    assert (
        api.post("/v1/rules/CUS-0500/versions", "customs_officer2", json={"rule": changed, "reason": "raise"}).json[
            "number"
        ]
        == 2
    )
    diff = api.get("/v1/rules/CUS-0500/diff?from=1&to=2", "customs_approver").json
    assert diff["changed"] == ["title", "weight"]
    assert "-weight: 40" in diff["diff"] and "+weight: 70" in diff["diff"]
    rolled = api.post("/v1/rules/CUS-0500/rollback", "customs_officer", json={"to_version": 1, "reason": "undo"})
    assert rolled.status_code == 201 and rolled.json["number"] == 3 and rolled.json["content"]["weight"] == 40
    history = api.get("/v1/rules/CUS-0500/history", "auditor").json
    first = history["versions"][0]
    assert (first["author"], first["approved_by"], first["status"]) == ("aroha@customs", "ben@customs", "active")
    assert [v["number"] for v in history["versions"]] == [1, 2, 3]
    assert history["versions"][1]["author"] == "tama@customs"


def test_activating_a_new_version_supersedes_the_old_and_changes_the_ruleset(api):
    first = live_rule(api)
    changed = rule(weight=70)
    api.post("/v1/rules/CUS-0500/versions", "customs_officer", json={"rule": changed, "reason": "raise"})
    api.post("/v1/rules/CUS-0500/versions/2/submit", "customs_officer", json={})
    api.post("/v1/rules/CUS-0500/versions/2/approve", "customs_approver", json={})
    second = api.post("/v1/rules/CUS-0500/versions/2/activate", "customs_officer", json={}).json
    assert second["ruleset_version"] != first["ruleset_version"]
    versions = api.get("/v1/rules/CUS-0500", "customs_officer").json["versions"]
    assert [v["status"] for v in versions] == ["retired", "active"]
    hit = api.post("/v1/evaluations", "customs_system", json={"passenger": passenger()}).json["results"][0]
    assert hit["matches"][0]["rule_version"] == 2 and hit["score"] == 70.0


def test_retire_takes_a_rule_out_of_service(api):
    live_rule(api)
    retired = api.post("/v1/rules/CUS-0500/retire", "customs_approver", json={"reason": "noise"})
    assert retired.status_code == 200
    result = api.post("/v1/evaluations", "customs_system", json={"passenger": passenger()}).json
    assert result["results"][0]["matches"] == []
    again = api.post("/v1/rules/CUS-0500/retire", "customs_approver", json={"reason": "noise"})
    assert (again.status_code, again.json["code"]) == (409, "invalid_transition")


def test_rules_listing_is_agency_scoped(api):
    live_rule(api)
    live_rule(api, rule("MPI-0500", when={"field": "declarations.food", "eq": True}), "mpi_officer", "mpi_approver")
    assert [r["id"] for r in api.get("/v1/rules", "customs_officer").json["rules"]] == ["CUS-0500"]
    assert [r["id"] for r in api.get("/v1/rules", "auditor").json["rules"]] == ["CUS-0500", "MPI-0500"]
    assert [r["id"] for r in api.get("/v1/rules?agency=mpi", "auditor").json["rules"]] == ["MPI-0500"]
    assert api.get("/v1/rules/MPI-0500", "customs_officer").status_code == 403
    assert api.get("/v1/rules/NOPE-0001", "customs_officer").status_code == 404


def test_duplicate_rule_and_unknown_version(api):
    api.post("/v1/rules", "customs_officer", json={"rule": rule(), "reason": "r"})
    again = api.post("/v1/rules", "customs_officer", json={"rule": rule(), "reason": "r"})
    assert (again.status_code, again.json["code"]) == (409, "rule_exists")
    missing = api.post("/v1/rules/CUS-0500/versions/9/submit", "customs_officer", json={})
    assert (missing.status_code, missing.json["code"]) == (404, "version_not_found")


def test_an_activation_compiles_the_new_ruleset_once(api, monkeypatch):
    from collections import OrderedDict

    from engine import compiler

    compiled = []
    real = compiler._compile
    monkeypatch.setattr(compiler, "_RECENT", OrderedDict())
    monkeypatch.setattr(compiler, "_compile", lambda packs: compiled.append(packs) or real(packs))
    content = rule()
    created = api.post("/v1/rules", "customs_officer", json={"rule": content, "reason": "r"})
    api.post(f"/v1/rules/{content['id']}/versions/1/submit", "customs_officer", json={})
    api.post(f"/v1/rules/{content['id']}/versions/1/approve", "customs_approver", json={})
    compiled.clear()
    activated = api.post(f"/v1/rules/{content['id']}/versions/1/activate", "customs_approver", json={})
    assert (created.status_code, activated.status_code) == (201, 200)
    # Stored (compiled to check it and name its version), then loaded by this process from that result.
    assert len(compiled) == 1
    assert api.get("/v1/rulesets/current", "customs_system").json["version"] == activated.json["ruleset_version"]


def test_importing_packs_versions_each_changed_rule_once_with_a_chained_audit_entry(services):
    from tests.api.conftest import OPERATOR

    def pack(weight: int) -> list[tuple[str, dict]]:
        rules = [{**rule(), "id": f"CUS-07{n:02d}", "weight": weight if n == 0 else 10} for n in range(3)]
        return [("pack.yaml", {"agency": "customs", "rules": rules})]

    def imports() -> list[AuditRecord]:
        return [e for e in services.audit.entries(limit=1000) if e.action == "rule.import"]

    first = services.rule_store.import_packs(pack(10), OPERATOR)
    assert [e.object_id for e in imports()] == ["CUS-0700@1", "CUS-0701@1", "CUS-0702@1"]
    # The same content again changes nothing: no version, no entry, the same ruleset.
    assert services.rule_store.import_packs(pack(10), OPERATOR).seq == first.seq
    assert len(imports()) == 3

    changed = services.rule_store.import_packs(pack(20), OPERATOR)
    assert changed.seq > first.seq
    assert [e.object_id for e in imports()][3:] == ["CUS-0700@2"]
    assert imports()[-1].before_hash == imports()[0].after_hash
    versions = {(v.number, v.status) for v in services.rule_store.rule("CUS-0700").versions}
    assert versions == {(1, "retired"), (2, "active")}
    assert dict(changed.rule_versions)["CUS-0700"] == 2
    report = services.audit.verify()
    assert report.ok and report.entries == len(services.audit.entries(limit=1000))
