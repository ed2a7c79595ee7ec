"""Information used once, outcomes shared: journey profiles and the sharing policy on every endpoint.

A passenger matches one customs rule and one MPI rule. Each endpoint that returns
passenger data is read by each agency: it must show exactly what the sharing policy
allows, under the default policy and after a grant.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.journeys.interface import journey_key
from tests.api.conftest import live_rule, passenger, rule

MPI_RULE = rule(
    "MPI-0500",
    title="Fruit declared from a fruit fly country",
    weight=60,
    action="inspect",
    when={"field": "declarations.food", "eq": True},
)
KEY = journey_key("LA801", "2026-12-01", "COL", "AB123456")
# Every endpoint that returns passenger data or matches, and how to read it.
PASSENGER_DATA = (
    "POST /v1/evaluations",
    "POST /v1/manifests/paxlst",
    "POST /v1/manifests/pnrgov",
    "GET /v1/worklist",
    "GET /v1/passengers/<decision_id>",
    "GET /v1/decisions/<decision_id>",
    "GET /v1/decisions/<decision_id>/replay",
    "GET /v1/flights/<flight>/<day>/priority",
    "GET /v1/flights/unplaced",
    "GET /v1/hits",
    "GET /v1/hits/<hit_id>",
    "POST /v1/hits/<hit_id>/disposition",
    "PUT /v1/journeys/<journey_key>/contributions/<agency>",
    "GET /v1/journeys/<journey_key>",
    "POST /v1/rules/<rule_id>/versions/<int:number>/backtest",
    "POST /v1/rules/<rule_id>/versions/<int:number>/try",
    "GET /v1/watchlist",
    "GET /v1/watchlist/<entry_id>",
    "POST /v1/watchlist",
    "PUT /v1/watchlist/<entry_id>",
)
# Endpoints that return no passenger data at all (rules, keys, audit, health, ...).
NO_PASSENGER_DATA = (
    "GET /v1/audit/identity-views",
    "GET /v1/rules",
    "POST /v1/rules",
    "GET /v1/rules/<rule_id>",
    "GET /v1/rules/<rule_id>/history",
    "POST /v1/rules/<rule_id>/versions",
    "GET /v1/rules/<rule_id>/versions/<int:number>",
    "GET /v1/rules/<rule_id>/diff",
    "POST /v1/rules/<rule_id>/versions/<int:number>/submit",
    "POST /v1/rules/<rule_id>/versions/<int:number>/approve",
    "POST /v1/rules/<rule_id>/versions/<int:number>/activate",
    "POST /v1/rules/<rule_id>/retire",
    "POST /v1/rules/<rule_id>/rollback",
    "GET /v1/rules/<rule_id>/stats",
    "GET /v1/rulesets/current",
    "GET /v1/lists",
    "POST /v1/lists",
    "GET /v1/lists/<list_name>",
    "GET /v1/lists/<list_name>/diff",
    "POST /v1/lists/<list_name>/versions",
    "GET /v1/lists/<list_name>/versions/<int:number>",
    "POST /v1/lists/<list_name>/versions/<int:number>/submit",
    "POST /v1/lists/<list_name>/versions/<int:number>/approve",
    "POST /v1/lists/<list_name>/versions/<int:number>/activate",
    "GET /v1/flights",
    "GET /v1/arrivals",
    "GET /v1/approvals",
    "GET /v1/audit",
    "GET /v1/audit/verify",
    "GET /v1/keys",
    "GET /v1/whoami",
    "POST /v1/keys",
    "DELETE /v1/keys/<key_id>",
    "GET /v1/sharing",
    "PUT /v1/sharing/<viewer>/<owner>",
    "GET /v1/watchlist/status",
    "DELETE /v1/watchlist/<entry_id>",
    "POST /v1/watchlist/import",
)


def test_every_endpoint_is_classified_for_passenger_data(app):
    routes = {
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/v1")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == set(PASSENGER_DATA) | set(NO_PASSENGER_DATA)


def customs_part() -> dict[str, Any]:
    return passenger(passenger_id="CUS-P1", declarations={"cash_over_threshold": False})


def mpi_part() -> dict[str, Any]:
    part = passenger(passenger_id="MPI-P1", declarations={"food": True}, booking=None)
    part["history"] = {"prior_biosecurity_infringements": 2}
    return part


@pytest.fixture
def journey(api):
    live_rule(api)
    live_rule(api, MPI_RULE, officer="mpi_officer", approver="mpi_approver")
    first = api.call(
        "PUT", f"/v1/journeys/{KEY}/contributions/customs", "customs_system", json={"passenger": customs_part()}
    )
    assert first.status_code == 200, first.json
    second = api.call("PUT", f"/v1/journeys/{KEY}/contributions/mpi", "mpi_system", json={"passenger": mpi_part()})
    assert second.status_code == 200, second.json
    return second.json


def rule_ids(body: Any) -> set[str]:
    """Every rule id anywhere in a response."""
    found: set[str] = set()
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "rule_id" and isinstance(value, str):
                found.add(value)
            found |= rule_ids(value)
    elif isinstance(body, list):
        for item in body:
            found |= rule_ids(item)
    return found


def test_two_agencies_contribute_and_the_passenger_is_evaluated_once_per_change(api, services, journey):
    assert journey["evaluated"] is True
    assert journey["contributed_by"] == ["customs", "mpi"]
    decisions = services.decision_store.flight_decisions("LA801", __import__("datetime").date(2026, 12, 1))
    assert len(decisions) == 1  # the same passenger journey: one profile
    # Evaluated against both agencies' rules at once: the combined score has both weights.
    assert journey["score"] == pytest.approx(100 * (1 - 0.6 * 0.4), abs=0.05)
    # The same part again changes nothing and evaluates nothing.
    again = api.call("PUT", f"/v1/journeys/{KEY}/contributions/mpi", "mpi_system", json={"passenger": mpi_part()})
    assert again.json["evaluated"] is False
    assert again.json["decision_id"] == journey["decision_id"]
    changed = mpi_part()
    changed["declarations"]["food"] = False
    third = api.call("PUT", f"/v1/journeys/{KEY}/contributions/mpi", "mpi_system", json={"passenger": changed}).json
    assert third["evaluated"] is True and third["decision_id"] != journey["decision_id"]
    assert third["matches"] == [] and third["other_agency_matches"] == 1  # MPI's rule no longer matches


def test_a_contribution_for_another_journey_or_agency_is_refused(api, journey):
    other = customs_part()
    other["document"]["number"] = "ZZ999999"
    wrong = api.call("PUT", f"/v1/journeys/{KEY}/contributions/customs", "customs_system", json={"passenger": other})
    assert (wrong.status_code, wrong.json["code"]) == (422, "journey_mismatch")
    foreign = api.call("PUT", f"/v1/journeys/{KEY}/contributions/mpi", "customs_system", json={"passenger": mpi_part()})
    assert (foreign.status_code, foreign.json["code"]) == (403, "agency_forbidden")
    assert api.get(f"/v1/journeys/j-{'1' * 32}", "customs_system").status_code == 404


def _reads(api, services, who: str) -> dict[str, Any]:
    """Every passenger-data read ``who`` can make about the journey's passenger."""
    decision_id = services.decision_store.flight_decisions("LA801", __import__("datetime").date(2026, 12, 1))[0].id
    hits = api.get("/v1/hits", who).json if who.endswith(("officer", "approver")) else {"hits": []}
    system = who.replace("officer", "system")
    reads = {
        "journey": api.get(f"/v1/journeys/{KEY}", who).json,
        "evaluation": api.post(
            "/v1/evaluations", system, json={"passenger": passenger(declarations={"food": True})}
        ).json,
        "hits": hits,
        "priority": api.get("/v1/flights/LA801/2026-12-01/priority", who).json,
        "passenger": api.get(f"/v1/passengers/{decision_id}", who).json,
    }
    decision = api.get(f"/v1/decisions/{decision_id}", system)
    if decision.status_code == 200:
        reads["decision"] = decision.json
        reads["replay"] = api.get(f"/v1/decisions/{decision_id}/replay", system).json
    for hit in services.hits.hits(None):
        response = api.get(f"/v1/hits/{hit.id}", who)
        reads[f"hit {hit.rule_id}"] = response.json if response.status_code == 200 else {}
    return reads


@pytest.mark.parametrize(("who", "agency"), [("customs_officer", "customs"), ("mpi_officer", "mpi")])
def test_by_default_each_agency_sees_only_its_own_matches_and_contributions(api, services, journey, who, agency):
    own = {"customs": "CUS-0500", "mpi": "MPI-0500"}[agency]
    reads = _reads(api, services, who)
    for name, body in reads.items():
        assert rule_ids(body) <= {own}, (name, body)
    profile = reads["journey"]["profile"]
    if agency == "customs":
        assert "history" not in profile and "food" not in profile.get("declarations", {})
        assert profile["booking"]["payment_method"] == "cash"
    else:
        assert "booking" not in profile and "cash_over_threshold" not in profile.get("declarations", {})
        assert profile["history"] == {"prior_biosecurity_infringements": 2}
    # The combined score is shared with every agency.
    assert reads["journey"]["score"] == journey["score"]
    assert reads["journey"]["other_agency_matches"] == 1


def test_a_grant_shares_exactly_what_it_names_and_is_audited(api, services, journey):
    granted = api.call("PUT", "/v1/sharing/mpi/customs", "admin", json={"share": ["matches"]})
    assert granted.status_code == 200, granted.json
    assert {"viewer": "mpi", "owner": "customs", "what": "matches"} in granted.json["grants"]
    mpi = _reads(api, services, "mpi_officer")
    assert rule_ids(mpi["journey"]) == {"CUS-0500", "MPI-0500"}
    assert "CUS-0500" in rule_ids(mpi["hits"]) and "CUS-0500" in rule_ids(mpi["priority"])
    assert "booking" not in mpi["journey"]["profile"]  # matches shared, contributed fields not
    customs = _reads(api, services, "customs_officer")
    for name, body in customs.items():
        assert rule_ids(body) <= {"CUS-0500"}, (name, body)  # a grant is one way
    api.call("PUT", "/v1/sharing/mpi/customs", "admin", json={"share": ["contributions"]})
    assert api.get(f"/v1/journeys/{KEY}", "mpi_officer").json["profile"]["booking"]["payment_method"] == "cash"
    assert rule_ids(api.get(f"/v1/journeys/{KEY}", "mpi_officer").json) == {"MPI-0500"}
    actions = [e.action for e in services.audit.entries(object_id="mpi<-customs")]
    assert actions == ["sharing.set", "sharing.set"]
    refused = api.call("PUT", "/v1/sharing/mpi/customs", "customs_officer", json={"share": ["matches"]})
    assert refused.status_code == 403
    bad = api.call("PUT", "/v1/sharing/mpi/mpi", "admin", json={"share": ["matches"]})
    assert (bad.status_code, bad.json["code"]) == (422, "invalid_grant")


def test_auditors_see_every_agency(api, services, journey):
    body = api.get(f"/v1/journeys/{KEY}", "auditor").json
    assert rule_ids(body) == {"CUS-0500", "MPI-0500"}
    assert {"booking", "history"} <= set(body["profile"])


def test_without_redis_journey_parts_live_in_the_database_for_every_worker(sql_backend, services):
    from api.db import make_sessions
    from api.journeys.store import SqlJourneys

    one, other = SqlJourneys(make_sessions(services.engine)), SqlJourneys(make_sessions(services.engine))
    one.put(KEY, "customs", {"at": "1", "passenger": {"a": 1}}, 3600)
    assert other.put(KEY, "mpi", {"at": "2", "passenger": {"b": 2}}, 3600) == {
        "customs": {"at": "1", "passenger": {"a": 1}},
        "mpi": {"at": "2", "passenger": {"b": 2}},
    }
    one.put(KEY, "mpi", {"at": "3", "passenger": {"b": 3}}, 0)  # expired at once, like the whole journey
    assert other.get(KEY) == {}


def test_a_paxlst_manifest_shows_each_agency_only_its_matches(api):
    from tests.api.test_paxlst_api import DATA

    exists = {"field": "document.issuing_country", "exists": True}
    live_rule(api, rule("CUS-0501", when=exists))
    live_rule(api, rule("MPI-0501", when=exists), officer="mpi_officer", approver="mpi_approver")
    text = (DATA / "nz5_passengers_d05b.edi").read_text().encode()
    for who, own in (("customs_system", "CUS-0501"), ("mpi_system", "MPI-0501")):
        body = api.post("/v1/manifests/paxlst", who, data=text, content_type="application/edifact").json
        assert rule_ids(body) == {own}
        # Both rules test the same thing: each passenger matches both or neither, and sees one.
        assert all(result["other_agency_matches"] == len(result["matches"]) for result in body["results"])
        assert any(result["matches"] for result in body["results"])


# A value only MPI contributes, and a Customs rule that matches on it.
MPI_AGENCY = "Southern Cross Tours 4471"
AGENCY_KEY = journey_key("LA801", "2026-12-01", "COL", "TA000001")
AGENCY_RULE = rule(
    "CUS-0510", title="Booked through a travel agency", when={"field": "booking.travel_agency", "exists": True}
)
AGE_RULE = rule("CUS-0511", title="Adult traveller", when={"field": "traveller.age", "gte": 18})


def _reasons(body: Any, rule_id: str) -> list[dict[str, Any]]:
    """Every reason (``why`` item) of ``rule_id``'s matches and hits anywhere in a response."""
    found: list[dict[str, Any]] = []
    if isinstance(body, dict):
        if body.get("rule_id") == rule_id and isinstance(body.get("why"), list):
            found.extend(body["why"])
        for value in body.values():
            found.extend(_reasons(value, rule_id))
    elif isinstance(body, list):
        for item in body:
            found.extend(_reasons(item, rule_id))
    return found


def _customs_reads(api, services, customs_part: dict[str, Any]) -> dict[str, Any]:
    """What Customs' officer, approver and system read about the passenger once Customs sends a changed part:
    the evaluation answer, the journey, hits and the priority list."""
    reads: dict[str, Any] = {}
    answer = api.call(
        "PUT", f"/v1/journeys/{AGENCY_KEY}/contributions/customs", "customs_system", json={"passenger": customs_part}
    )
    assert answer.status_code == 200 and answer.json["evaluated"] is True, answer.json
    reads["evaluation answer"] = answer.json
    for who in ("customs_officer", "customs_approver", "customs_system"):
        reads[f"journey {who}"] = api.get(f"/v1/journeys/{AGENCY_KEY}", who).json
    for who in ("customs_officer", "customs_approver"):
        reads[f"hits {who}"] = api.get("/v1/hits?flight=LA801", who).json
        reads[f"priority {who}"] = api.get("/v1/flights/LA801/2026-12-01/priority", who).json
        for hit in services.hits.hits(["customs"]):
            reads[f"hit {hit.rule_id} {who}"] = api.get(f"/v1/hits/{hit.id}", who).json
    return reads


def test_a_match_shows_another_agencys_contributed_value_only_under_a_grant(api, services):
    live_rule(api)  # cash through Bogota: fields both agencies gave, or Customs alone
    live_rule(api, AGENCY_RULE)
    live_rule(api, AGE_RULE)
    customs = passenger(passenger_id="CUS-P2", document={"number": "TA000001"}, traveller=None)
    customs["declarations"] = {"cash_over_threshold": False}
    mpi = passenger(passenger_id="MPI-P2", document={"number": "TA000001"}, booking=None)
    mpi["booking"] = {"travel_agency": MPI_AGENCY}  # and the date of birth Customs did not give
    put = f"/v1/journeys/{AGENCY_KEY}/contributions"
    assert api.call("PUT", f"{put}/customs", "customs_system", json={"passenger": customs}).status_code == 200
    assert api.call("PUT", f"{put}/mpi", "mpi_system", json={"passenger": mpi}).status_code == 200

    customs["declarations"] = {"cash_over_threshold": True}
    reads = _customs_reads(api, services, customs)
    for name, body in reads.items():
        assert MPI_AGENCY not in str(body), name
        # Customs sees its own matches, each condition and expected value ...
        if name.startswith("hit "):
            assert rule_ids(body) == {name.split()[1]}, name
        else:
            assert {"CUS-0500", "CUS-0510", "CUS-0511"} <= rule_ids(body), name
    for name, body in reads.items():
        if name.startswith("priority"):
            continue  # reasons there carry no values
        for rule_id in ("CUS-0510", "CUS-0511"):
            for reason in _reasons(body, rule_id):
                # ... but not the value MPI contributed (the age is derived from MPI's date of birth).
                assert reason["withheld"] is True and reason["actual"] is None, (name, reason)
                assert reason["expected"] is not None
        for reason in _reasons(body, "CUS-0500"):
            # Values Customs gave itself (the flight both gave, the payment only Customs) stay visible.
            assert "withheld" not in reason and reason["actual"] in ("cash", "BOG"), (name, reason)

    granted = api.call("PUT", "/v1/sharing/customs/mpi", "admin", json={"share": ["contributions"]})
    assert granted.status_code == 200, granted.json
    customs["declarations"] = {"cash_over_threshold": False}
    reads = _customs_reads(api, services, customs)
    for name, body in reads.items():
        for rule_id, value in (("CUS-0510", MPI_AGENCY), ("CUS-0511", 36)):
            if name.startswith("priority") or (name.startswith("hit ") and rule_id not in name):
                continue
            [reason] = _reasons(body, rule_id)
            assert (reason["actual"], "withheld" in reason) == (value, False), name
    assert MPI_AGENCY in str(api.get(f"/v1/journeys/{AGENCY_KEY}", "auditor").json)


def test_a_match_on_a_record_another_agency_submitted_withholds_its_values(api, services):
    live_rule(api, MPI_RULE, officer="mpi_officer", approver="mpi_approver")
    submitted = api.post(
        "/v1/evaluations", "customs_system", json={"passenger": passenger(declarations={"food": True})}
    )
    assert submitted.status_code == 200 and submitted.json["results"][0]["other_agency_matches"] == 1
    [hit] = api.get("/v1/hits", "mpi_officer").json["hits"]
    [reason] = hit["why"]
    # MPI's rule matched Customs' record: MPI sees that it matched and on what, not Customs' value.
    assert (hit["rule_id"], reason["field"], reason["actual"], reason["withheld"]) == (
        "MPI-0500",
        "declarations.food",
        None,
        True,
    )
    assert "sources" not in reason
    api.call("PUT", "/v1/sharing/mpi/customs", "admin", json={"share": ["contributions"]})
    [reason] = api.get(f"/v1/hits/{hit['id']}", "mpi_officer").json["why"]
    assert (reason["actual"], "withheld" in reason) == (True, False)
    [reason] = api.get(f"/v1/hits/{hit['id']}", "auditor").json["why"]
    assert reason["actual"] is True


def test_values_shown_by_comparisons_and_leg_conditions_follow_the_contribution_grants(api, services):
    # MPI's rules compare two of the passenger's fields and test one leg: both values and the
    # leg's are Customs' contribution when Customs submitted the record.
    compared = rule(
        "MPI-0501",
        title="Document of another state",
        weight=10,
        action="notify",
        when={"field": "document.issuing_country", "ne_field": "traveller.nationality"},
    )
    leg = rule(
        "MPI-0502",
        title="Through Bogota",
        weight=10,
        action="notify",
        when={"any_leg": {"field": "leg.airport", "eq": "BOG"}},
    )
    for content in (compared, leg):
        live_rule(api, content, officer="mpi_officer", approver="mpi_approver")
    record = passenger(document={"number": "AB123456", "issuing_country": "USA"})
    record["itinerary"] = [{"airport": "BOG", "country": "COL"}, {"airport": "PTY", "country": "PAN"}]
    submitted = api.post("/v1/evaluations", "customs_system", json={"passenger": record})
    assert submitted.status_code == 200, submitted.json

    def reasons(who: str) -> dict[str, dict[str, Any]]:
        hits = api.get("/v1/hits", who).json["hits"]
        return {hit["rule_id"]: hit["why"][0] for hit in hits if hit["rule_id"] in ("MPI-0501", "MPI-0502")}

    withheld = reasons("mpi_officer")
    assert set(withheld) == {"MPI-0501", "MPI-0502"}
    assert withheld["MPI-0501"]["actual"] is None and withheld["MPI-0501"]["withheld"] is True
    assert withheld["MPI-0501"]["expected"] == {"field": "traveller.nationality", "value": None}
    assert withheld["MPI-0502"]["actual"] is None and withheld["MPI-0502"]["leg"] == 0
    # The passenger's values are nowhere in what MPI reads (the rule's own "BOG" is its content).
    assert "USA" not in str(withheld) and "COL" not in str(withheld)

    api.call("PUT", "/v1/sharing/mpi/customs", "admin", json={"share": ["contributions"]})
    shown = reasons("mpi_officer")
    assert shown["MPI-0501"]["actual"] == "USA" and shown["MPI-0501"]["expected"]["value"] == "COL"
    assert (shown["MPI-0502"]["actual"], "withheld" in shown["MPI-0502"]) == ("BOG", False)


def test_every_derived_field_names_the_contributed_fields_it_comes_from():
    from api.sharing.policy import DERIVED_FROM
    from engine.catalogue import CATALOGUE

    # A new derived field must say what it is computed from, or its value would show without its inputs' grants.
    assert set(DERIVED_FROM) == {name for name, field in CATALOGUE.items() if field.derived}
    inputs = {name for names in DERIVED_FROM.values() for name in names}
    assert all(name == "itinerary" or not CATALOGUE[name].derived for name in inputs)
