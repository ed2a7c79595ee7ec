"""The audit log: what is recorded, filters, and tamper evidence (API and command line)."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import delete, text, update

from api.db.models import AuditRow
from tests.api.conftest import live_rule, rule


def _actions(api, **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return [(e["action"], e["object_id"]) for e in api.get(f"/v1/audit?{qs}", "auditor").json["entries"]]


def test_changes_are_logged_and_chain_verifies(api):
    live_rule(api)
    actions = _actions(api)
    assert ("rule.create", "CUS-0500@1") in actions
    assert [a for a, _ in actions] == [
        "rule.create",
        "rule.submit",
        "rule.approve",
        "rule.activate",
        "ruleset.activate",
    ]
    verify = api.get("/v1/audit/verify", "auditor").json
    assert verify == {"ok": True, "entries": 5, "first_broken": None, "reason": ""}


def test_filters_and_pagination(api):
    live_rule(api)
    live_rule(api, rule("MPI-0500", when={"field": "declarations.food", "eq": True}), "mpi_officer", "mpi_approver")
    assert {o for _, o in _actions(api, rule="MPI-0500")} == {"MPI-0500@1"}
    mpi = api.get("/v1/audit?agency=mpi", "auditor").json["entries"]
    assert len(mpi) == 5 and {e["agency"] for e in mpi} == {"mpi"}
    assert {a for a, _ in _actions(api, actor="ben@customs")} == {"rule.approve", "rule.activate", "ruleset.activate"}
    page = api.get("/v1/audit?limit=3", "auditor").json
    rest = api.get(f"/v1/audit?limit=100&after={page['next_after']}", "auditor").json
    assert len(page["entries"]) == 3 and page["next_after"] == 3
    assert [e["seq"] for e in rest["entries"]] == list(range(4, 11))
    assert api.get("/v1/audit?since=2000-01-01T00:00:00Z", "auditor").json["entries"]
    assert not api.get("/v1/audit?until=2000-01-01T00:00:00Z", "auditor").json["entries"]


def test_failed_authentication_is_logged(api):
    assert api.get("/v1/rules", headers={"X-API-Key": "tgt_kcustomsofficer_wrong"}).status_code == 401
    assert api.get("/v1/rules").status_code == 401
    assert ("auth.failed", "kcustomsofficer") in _actions(api)


def _verify_cli(settings) -> subprocess.CompletedProcess:
    env = {"DATABASE_URL": settings.database_url, "INSTANCE_PATH": settings.instance_path, "PATH": ""}
    return subprocess.run(
        [sys.executable, "-m", "targeting", "audit", "verify"], capture_output=True, text=True, env=env, timeout=60
    )


def test_editing_a_row_is_detected_and_named(sql_backend, api, services, settings):
    live_rule(api)
    with services.engine.begin() as connection:
        connection.execute(update(AuditRow).where(AuditRow.seq == 3).values(actor="someone else"))
    report = api.get("/v1/audit/verify", "auditor").json
    assert (report["ok"], report["first_broken"]) == (False, 3)
    done = _verify_cli(settings)
    assert done.returncode == 1
    assert "BROKEN at entry 3" in done.stdout


def test_deleting_or_reordering_rows_is_detected(sql_backend, api, services, settings):
    live_rule(api)
    with services.engine.begin() as connection:
        connection.execute(delete(AuditRow).where(AuditRow.seq == 2))
    assert api.get("/v1/audit/verify", "auditor").json["first_broken"] == 2
    assert "BROKEN at entry 2" in _verify_cli(settings).stdout


def test_swapping_two_rows_is_detected(sql_backend, api, services):
    live_rule(api)
    with services.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET seq = -1 WHERE seq = 2"))
        connection.execute(text("UPDATE audit_log SET seq = 2 WHERE seq = 3"))
        connection.execute(text("UPDATE audit_log SET seq = 3 WHERE seq = -1"))
    assert api.get("/v1/audit/verify", "auditor").json["first_broken"] == 2


def test_truncating_the_tail_is_detected(sql_backend, api, services, settings):
    live_rule(api)
    with services.engine.begin() as connection:
        connection.execute(delete(AuditRow).where(AuditRow.seq == 5))
    report = api.get("/v1/audit/verify", "auditor").json
    assert (report["ok"], report["first_broken"]) == (False, 5)
    assert _verify_cli(settings).returncode == 1


def test_intact_chain_verifies_on_the_command_line(sql_backend, api, settings):
    live_rule(api)
    done = _verify_cli(settings)
    assert done.returncode == 0, done.stderr
    assert "verified: 5 entries" in done.stdout


def test_the_log_reads_newest_first_and_pages_back_with_before(api, services):
    for number in range(5):
        api.post("/v1/rules", "customs_officer", json={"rule": rule(f"CUS-07{number:02d}"), "reason": "paging"})
    oldest = api.get("/v1/audit?limit=1000", "auditor").json["entries"]
    newest = api.get("/v1/audit?order=newest&limit=3", "auditor").json
    assert [e["seq"] for e in newest["entries"]] == [e["seq"] for e in reversed(oldest)][:3]
    assert newest["next_after"] is None and newest["next_before"] == newest["entries"][-1]["seq"]
    older = api.get(f"/v1/audit?order=newest&limit=3&before={newest['next_before']}", "auditor").json
    assert [e["seq"] for e in older["entries"]] == [e["seq"] for e in reversed(oldest)][3:6]
    assert api.get("/v1/audit?order=sideways", "auditor").status_code == 422
