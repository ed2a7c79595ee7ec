"""Every endpoint x role x own/other agency, generated from the app's route table.

A ``/v1`` endpoint without a declared policy fails here, so no endpoint can be added
without deciding who may call it.
"""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import live_rule, passenger, watchlist_entry

PUBLIC = {"health.healthz", "health.readyz", "health.prometheus_metrics", "static", "docs_assets"}
ACCOUNTS = {
    # (account, role, relation to the customs target)
    ("customs_officer", "officer", "own"),
    ("mpi_officer", "officer", "other"),
    ("customs_approver", "approver", "own"),
    ("mpi_approver", "approver", "other"),
    ("customs_system", "system", "own"),
    ("mpi_system", "system", "other"),
    ("auditor", "auditor", "other"),
    ("admin", "admin", "other"),
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_endpoint_declares_a_policy(app):
    missing = []
    for rule, _ in _routes(app):
        view = app.view_functions[rule.endpoint]
        if rule.rule.startswith("/v1"):
            if getattr(view, "policy", None) is None:
                missing.append(rule.rule)
        # The console (/console) reaches data only through these /v1 endpoints with the signed-in key;
        # tests/console/test_console.py checks each of its pages sends a visitor without a session to sign in.
        elif rule.endpoint not in PUBLIC and not rule.endpoint.startswith(("api-docs.", "console.")):
            missing.append(rule.rule)
    assert missing == []


@pytest.fixture
def targets(api, services):
    live_rule(api)
    decision = api.post("/v1/evaluations", "customs_system", json={"passenger": passenger()}).json
    [hit] = services.hits.hits(None)
    from tests.api.test_lists import live_list

    live_list(api)
    return {
        "list_name": "source_countries",
        "rule_id": "CUS-0500",
        "number": "1",
        "decision_id": decision["results"][0]["decision_id"],
        "flight": "LA801",
        "day": "2026-12-01",
        "hit_id": hit.id,
        "viewer": "mpi",
        "owner": "customs",
        "journey_key": "j-" + "0" * 32,
        "agency": "customs",
    }


def _url(rule, targets, services):
    values = dict(targets)
    if "key_id" in rule.arguments:
        record, _ = services.key_store.create_key("throwaway", "customs", ["system"], _operator())
        values["key_id"] = record.id
    if "entry_id" in rule.arguments:
        # A fresh customs entry each time: an allowed DELETE must not change what the next call sees.
        values["entry_id"] = _entry(services)
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], rule.rule)


def _entry(services):
    entry = watchlist_entry("matrix test")
    return services.watchlist_store.create(entry, _operator()).id


def _operator():
    from tests.api.conftest import OPERATOR

    return OPERATOR


def test_matrix(app, api, services, targets):
    checked = 0
    for rule, method in _routes(app):
        if not rule.rule.startswith("/v1"):
            continue
        policy = app.view_functions[rule.endpoint].policy
        has_target = bool({"rule_id", "decision_id", "entry_id", "agency", "list_name"} & set(rule.arguments))
        anonymous = api.call(method, _url(rule, targets, services), json={})
        assert anonymous.status_code == 401, (rule.rule, method)
        assert anonymous.json["code"] == "unauthenticated"
        for account, role, relation in sorted(ACCOUNTS):
            response = api.call(method, _url(rule, targets, services), account, json={})
            allowed = role in policy.roles and (
                not (policy.own_agency and has_target and relation == "other")
                or (policy.auditors_cross_agency and role == "auditor")
            )
            if allowed:
                assert response.status_code not in (401, 403), (method, rule.rule, account, response.json)
            else:
                assert response.status_code == 403, (method, rule.rule, account, response.status_code)
                assert response.json["code"] in ("role_forbidden", "agency_forbidden")
            checked += 1
    assert checked >= 8 * 20


#: Who may call the watchlist, as the README's table says. Entries are personal data (names, dates of birth,
#: documents): the officers who keep their agency's entries and auditors read them, no other role. The status
#: (list version, size, threshold) carries none, and every key may read the version its decisions name.
WATCHLIST_ROLES = {
    ("GET", "/v1/watchlist"): ({"officer", "auditor"}, False),
    ("POST", "/v1/watchlist"): ({"officer"}, False),
    ("GET", "/v1/watchlist/<entry_id>"): ({"officer", "auditor"}, True),
    ("PUT", "/v1/watchlist/<entry_id>"): ({"officer"}, True),
    ("DELETE", "/v1/watchlist/<entry_id>"): ({"officer"}, True),
    ("POST", "/v1/watchlist/import"): ({"officer"}, False),
    ("GET", "/v1/watchlist/status"): ({"officer", "approver", "auditor", "system", "admin"}, False),
}


def test_watchlist_entries_are_read_only_by_the_roles_that_need_them(app, api, services):
    declared = {
        (method, rule.rule): (set(policy.roles), policy.own_agency)
        for rule, method in _routes(app)
        if rule.rule.startswith("/v1/watchlist")
        for policy in [app.view_functions[rule.endpoint].policy]
    }
    assert declared == WATCHLIST_ROLES
    entry_id = _entry(services)
    for account in ("customs_approver", "customs_system", "admin"):
        for path in ("/v1/watchlist", f"/v1/watchlist/{entry_id}"):
            refused = api.get(path, account)
            assert (refused.status_code, refused.json["code"]) == (403, "role_forbidden"), (account, path)
            assert "Example" not in refused.get_data(as_text=True)
        assert api.get("/v1/watchlist/status", account).json["entries"] >= 0
    for account in ("customs_officer", "auditor"):
        assert api.get(f"/v1/watchlist/{entry_id}", account).json["family_name"] == "Example"


def test_the_readme_names_the_watchlist_roles_the_code_declares():
    """Each README row of watchlist endpoints names exactly the roles those endpoints allow."""
    from pathlib import Path

    roles = {"officer", "approver", "auditor", "system", "admin"}
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    rows = [line.split(" | ") for line in readme.splitlines() if line.startswith("| `") and "/v1/watchlist" in line]
    covered = set()
    for row in rows:
        paths, who = row[0], row[1]
        named = roles if who == "any key" else {role for role in roles if role in who}
        allowed = set()
        for methods, path in re.findall(r"`([A-Z/]+) (/v1/watchlist[^`]*)`", paths):
            for method in methods.split("/"):
                key = (method, re.sub(r"<\w+>", "<entry_id>", path))
                allowed |= WATCHLIST_ROLES[key][0]
                covered.add(key)
        assert named == allowed, row
    assert covered == set(WATCHLIST_ROLES)


def test_authentication_comes_before_validation(api):
    response = api.post("/v1/evaluations", json={"passengers": "not a list"})
    assert response.status_code == 401


def test_revoked_and_expired_keys_are_refused(api, services):
    import datetime as dt

    record, key = services.key_store.create_key("short-lived", "customs", ["system"], _operator())
    assert api.get("/v1/rulesets/current", headers={"X-API-Key": key}).status_code == 200
    services.key_store.revoke_key(record.id, _operator())
    assert api.get("/v1/rulesets/current", headers={"X-API-Key": key}).status_code == 401
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    _, expired = services.key_store.create_key("expired", "customs", ["system"], _operator(), past)
    assert api.get("/v1/rulesets/current", headers={"X-API-Key": expired}).status_code == 401
    bearer = api.get("/v1/rulesets/current", headers={"Authorization": f"Bearer {api.keys['auditor']}"})
    assert bearer.status_code == 200


def test_keys_are_hashed_at_rest_and_shown_once(sql_backend, api, services):
    created = api.post("/v1/keys", "admin", json={"name": "new-system", "agency": "mpi", "roles": ["system"]})
    assert created.status_code == 201
    plaintext = created.json["key"]
    listed = api.get("/v1/keys", "admin").json["keys"]
    assert all("key" not in item for item in listed)
    from sqlalchemy import text

    with services.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT secret_hash FROM api_keys WHERE id = :id"), {"id": created.json["id"]}
        ).scalar_one()
    assert plaintext not in stored and stored.startswith("$argon2")
    bad_role = api.post("/v1/keys", "admin", json={"name": "x", "agency": "mpi", "roles": ["superuser"]})
    assert (bad_role.status_code, bad_role.json["code"]) == (422, "invalid_roles")
