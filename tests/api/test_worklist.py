"""The worklist: passengers arriving on a New Zealand day with the caller's agency's hits, filtered,
searched, sorted and paged; what the sharing policy shows of them; identities shown are audited.

Customs rules CUS-0500 (cash via Bogota, 40) and CUS-0510 (cash, 20), MPI rule MPI-0500 (food, 60).
Arriving 2026-12-03 in New Zealand: Quispe (LA801 from Bogota: all three rules, 80.8), Müller (LA801:
both customs rules, 52), Ngata (LA801: nothing), Smith (LA801, sent by MPI: MPI's rule, 60) and
Abbott (QF25 from Sydney, earlier that day: CUS-0510, 20). Arriving 2026-12-04 in New Zealand, though
on 2026-12-03 in UTC: Quispe Carlos (NZ5: CUS-0510) and Lee (NZ5: CUS-0510 and MPI-0500).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from tests.api.conftest import OPERATOR, live_rule, passenger, rule

DAY, NEXT_DAY = "2026-12-03", "2026-12-04"
LA801 = {"carrier": "LA", "number": "801", "departure_airport": "BOG", "arrival_airport": "AKL"}
NZ5 = {
    "carrier": "NZ",
    "number": "5",
    "departure_airport": "LAX",
    "arrival_airport": "AKL",
    "scheduled_departure": "2026-12-02T04:00:00Z",
    "scheduled_arrival": "2026-12-03T14:00:00Z",  # 03:00 on 4 December in Auckland
}
QF25 = {
    "carrier": "QF",
    "number": "25",
    "departure_airport": "SYD",
    "arrival_airport": "AKL",
    "scheduled_departure": "2026-12-03T00:00:00Z",
    "scheduled_arrival": "2026-12-03T03:00:00+00:00",
}
CASH = rule("CUS-0510", title="Cash ticket", weight=20, when={"field": "booking.payment_method", "eq": "cash"})
FOOD = rule(
    "MPI-0500", title="Food declared", weight=60, action="inspect", when={"field": "declarations.food", "eq": True}
)


def _traveller(family: str, given: str, born: str, nationality: str) -> dict[str, str]:
    return {"family_name": family, "given_names": given, "date_of_birth": born, "nationality": nationality}


def _document(number: str, country: str) -> dict[str, str]:
    return {"type": "P", "number": number, "issuing_country": country, "expiry_date": "2030-01-01"}


PASSENGERS = {
    "QUISPE": passenger(
        passenger_id="QUISPE",
        booking={"reference": "ABC123"},
        declarations={"food": True},
    ),
    "MULLER": passenger(
        passenger_id="MULLER",
        traveller=_traveller("Müller", "Jürgen", "1975-06-30", "DEU"),
        document=_document("DE998877", "DEU"),
    ),
    "NGATA": passenger(
        passenger_id="NGATA",
        traveller=_traveller("Ngata", "Aroha", "1988-01-15", "NZL"),
        document=_document("LM445566", "NZL"),
        booking={"payment_method": "card"},
    ),
    "ABBOTT": passenger(
        passenger_id="ABBOTT",
        flight=QF25,
        traveller=_traveller("Abbott", "Jane", "1969-11-11", "AUS"),
        document=_document("PA777111", "AUS"),
    ),
    "CARLOS": passenger(
        passenger_id="CARLOS",
        flight=NZ5,
        traveller=_traveller("Quispe", "Carlos", "1992-02-29", "PER"),
        document=_document("PE555000", "PER"),
    ),
    "LEE": passenger(
        passenger_id="LEE",
        flight=NZ5,
        traveller=_traveller("Lee", "Min", "1980-08-08", "KOR"),
        document=_document("KR123987", "KOR"),
        declarations={"food": True},
    ),
}
#: Sent by MPI's system, not customs': its record is MPI's contribution.
SMITH = passenger(
    passenger_id="SMITH",
    traveller=_traveller("Smith", "Ann", "1955-03-03", "GBR"),
    document=_document("GB000111", "GBR"),
    booking={"payment_method": "card"},
    declarations={"food": True},
)
PERSONAL = ("Quispe", "Rosa", "Müller", "Muller", "Jürgen", "AB123456", "DE998877", "1990-04-02", "1975-06-30")


@pytest.fixture
def seeded(api: Any) -> None:
    live_rule(api)
    live_rule(api, CASH)
    live_rule(api, FOOD, officer="mpi_officer", approver="mpi_approver")
    sent = api.post("/v1/evaluations", "customs_system", json={"passengers": list(PASSENGERS.values())})
    assert sent.status_code == 200, sent.json
    assert api.post("/v1/evaluations", "mpi_system", json={"passenger": SMITH}).status_code == 200


def worklist(api: Any, who: str = "customs_officer", **query: Any) -> dict[str, Any]:
    response = api.get(f"/v1/worklist?{urlencode({'date': DAY, **query})}", who)
    assert response.status_code == 200, response.json
    return response.json  # type: ignore[no-any-return]


def ids(body: dict[str, Any]) -> list[str]:
    return [row["passenger_id"] for row in body["rows"]]


def row(body: dict[str, Any], passenger_id: str) -> dict[str, Any]:
    [found] = [r for r in body["rows"] if r["passenger_id"] == passenger_id]
    return found


def rule_ids(body: Any) -> set[str]:
    if isinstance(body, dict):
        return {v for k, v in body.items() if k == "rule_id"} | {r for v in body.values() for r in rule_ids(v)}
    if isinstance(body, list):
        return {r for item in body for r in rule_ids(item)}
    return set()


def test_a_row_shows_identity_arrival_risk_reasons_and_hits(api, seeded):
    body = worklist(api)
    assert (body["date"], body["sort"], body["arriving"], body["total"]) == (DAY, "risk", 5, 3)
    assert ids(body) == ["QUISPE", "MULLER", "ABBOTT"]
    quispe = row(body, "QUISPE")
    assert quispe["identity"] == {
        "family_name": "Quispe",
        "given_names": "Rosa",
        "date_of_birth": "1990-04-02",
        "nationality": "COL",
        "document": {"number": "AB123456", "issuing_country": "COL"},
        "booking_reference": "ABC123",
        "seat": None,
    }
    assert quispe["identity_withheld"] is False and quispe["flight"] == "LA801"
    assert quispe["scheduled_arrival"] == "2026-12-03T08:00:00Z"
    assert quispe["scheduled_arrival_local"] == "2026-12-03T21:00:00+13:00"
    assert quispe["route"] == {"departure_airport": "BOG", "arrival_airport": "AKL"}
    # Relative risk among the five arriving that day (Ngata and Smith are no customs work, but count).
    assert (quispe["score"], quispe["band"], quispe["percentile"]) == (80.8, "high", 90.0)
    assert (row(body, "MULLER")["band"], row(body, "MULLER")["percentile"]) == ("elevated", 50.0)
    assert row(body, "ABBOTT")["band"] == "routine"
    reasons = quispe["reasons"]
    assert [(r["rule_id"], r["title"], r["weight"]) for r in reasons] == [
        ("CUS-0500", "Cash booking through Bogota", 40),
        ("CUS-0510", "Cash ticket", 20),
    ]
    assert {"field": "booking.payment_method", "actual": "cash"}.items() <= reasons[1]["why"][0].items()
    assert quispe["other_agencies"] == {"mpi": 1} and "MPI-0500" not in rule_ids(body)
    assert {(h["rule_id"], h["agency"], h["status"]) for h in quispe["hits"]} == {
        ("CUS-0500", "customs", "new"),
        ("CUS-0510", "customs", "new"),
    }
    assert body["next_cursor"] is None


def test_the_day_is_the_new_zealand_arrival_date(api, seeded):
    # NZ5 arrives at 14:00 UTC on the 3rd: the 4th in Auckland.
    assert ids(worklist(api, date=NEXT_DAY)) == ["LEE", "CARLOS"]
    assert worklist(api, date="2026-12-02")["rows"] == []
    today = dt.datetime.now(ZoneInfo("Pacific/Auckland")).date().isoformat()
    response = api.get("/v1/worklist", "customs_officer")
    assert response.status_code == 200 and response.json["date"] == today


def test_each_filter_narrows(api, seeded):
    assert ids(worklist(api, flight="la801")) == ["QUISPE", "MULLER"]
    assert ids(worklist(api, flight="QF25")) == ["ABBOTT"]
    assert ids(worklist(api, flight="NZ5")) == []
    assert ids(worklist(api, band="high")) == ["QUISPE"]
    assert ids(worklist(api, band="elevated")) == ["MULLER"]
    assert ids(worklist(api, rule="CUS-0500")) == ["QUISPE", "MULLER"]
    assert ids(worklist(api, rule="CUS-0510", date=NEXT_DAY)) == ["LEE", "CARLOS"]
    assert ids(worklist(api, rule="MPI-0500")) == []  # not a rule whose matches customs sees
    assert ids(worklist(api, nationality="deu")) == ["MULLER"]
    assert ids(worklist(api, nationality="NZL")) == []  # Ngata is nobody's customs work
    assert worklist(api, band="high", flight="LA801")["total"] == 1


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("muller", ["MULLER"]),
        ("MÜLLER", ["MULLER"]),
        ("jurgen", ["MULLER"]),
        ("Jürgen Müller", ["MULLER"]),
        ("quispe", ["QUISPE"]),
        ("rosa quispe", ["QUISPE"]),
        ("ab123456", ["QUISPE"]),
        ("DE99", ["MULLER"]),
        ("nobody", []),
    ],
)
def test_search_by_name_or_document(api, seeded, q, expected):
    assert ids(worklist(api, q=q)) == expected


def test_sorting(api, seeded):
    assert ids(worklist(api, sort="risk")) == ["QUISPE", "MULLER", "ABBOTT"]
    assert ids(worklist(api, sort="arrival")) == ["ABBOTT", "QUISPE", "MULLER"]
    assert ids(worklist(api, sort="name")) == ["ABBOTT", "MULLER", "QUISPE"]


@pytest.mark.parametrize("sort", ["risk", "arrival", "name"])
@pytest.mark.parametrize("limit", [1, 2])
def test_cursor_paging_walks_every_row_once(api, seeded, sort, limit):
    everything = ids(worklist(api, sort=sort, status="all"))
    walked, cursor, pages = [], None, 0
    while True:
        query = {"sort": sort, "status": "all", "limit": limit, **({"cursor": cursor} if cursor else {})}
        body = worklist(api, **query)
        assert body["total"] == 3 and len(body["rows"]) <= limit
        walked += ids(body)
        cursor, pages = body["next_cursor"], pages + 1
        if cursor is None:
            break
    assert walked == everything and len(set(walked)) == 3
    assert pages == -(-3 // limit)


def test_a_cursor_is_for_its_own_sort_and_filters(api, seeded):
    cursor = worklist(api, limit=1)["next_cursor"]
    assert cursor
    for query in ({"sort": "name"}, {"band": "high"}, {"date": NEXT_DAY}):
        refused = api.get(
            f"/v1/worklist?{urlencode({'date': DAY, 'limit': 1, 'cursor': cursor, **query})}", "customs_officer"
        )
        assert (refused.status_code, refused.json["code"], list(refused.json["errors"])) == (
            422,
            "invalid_cursor",
            ["cursor"],
        )
    for bad in ("garbage", "e30", "W10", "eyJzIjoicmlzayJ9", "%00"):
        refused = api.get(f"/v1/worklist?date={DAY}&cursor={bad}", "customs_officer")
        assert refused.status_code == 422 and "cursor" in refused.json["errors"], bad


def test_status_follows_dispositions(api, seeded):
    muller = row(worklist(api), "MULLER")
    first, second = muller["hits"]
    review = api.post(f"/v1/hits/{first['id']}/disposition", "customs_officer", json={"status": "in_review"})
    assert review.status_code == 200, review.json
    assert "MULLER" in ids(worklist(api))  # in review is still open
    for hit in (first, second):
        done = api.post(
            f"/v1/hits/{hit['id']}/disposition", "customs_officer", json={"status": "cleared", "note": "ok"}
        )
        assert done.status_code == 200, done.json
    assert ids(worklist(api)) == ["QUISPE", "ABBOTT"]
    closed = worklist(api, status="closed")
    assert ids(closed) == ["MULLER"] and {h["status"] for h in row(closed, "MULLER")["hits"]} == {"cleared"}
    assert ids(worklist(api, status="all")) == ["QUISPE", "MULLER", "ABBOTT"]


def test_other_agencies_are_counted_until_a_grant_shows_their_reasons(api, seeded):
    before = row(worklist(api), "QUISPE")
    assert before["other_agencies"] == {"mpi": 1} and "MPI-0500" not in rule_ids(before)
    granted = api.call("PUT", "/v1/sharing/customs/mpi", "admin", json={"share": ["matches"]})
    assert granted.status_code == 200, granted.json
    after = row(worklist(api), "QUISPE")
    assert [r["rule_id"] for r in after["reasons"]] == ["CUS-0500", "CUS-0510", "MPI-0500"]
    food = after["reasons"][2]
    assert food["agency"] == "mpi" and food["why"][0]["field"] == "declarations.food"
    assert food["why"][0]["actual"] is True  # customs sent the record: its own value
    assert after["other_agencies"] == {"mpi": 1}
    assert {h["agency"] for h in after["hits"]} == {"customs"}  # shown, not customs' to work
    assert ids(worklist(api, rule="MPI-0500")) == ["QUISPE"]


def test_another_agency_sees_whom_its_hits_are_on_and_not_the_values_it_is_not_granted(api, seeded):
    body = worklist(api, "mpi_officer")
    assert ids(body) == ["QUISPE", "SMITH"]
    quispe, smith = row(body, "QUISPE"), row(body, "SMITH")
    assert smith["identity"]["family_name"] == "Smith"  # sent by MPI's system
    # Sent by customs', but MPI's own rule hit them: whom to stop is MPI's to know.
    assert quispe["identity"]["family_name"] == "Quispe" and quispe["identity_withheld"] is False
    [food] = quispe["reasons"]
    # The values customs sent stay customs' (no contributions grant): the reason is shown, not the value.
    assert food["rule_id"] == "MPI-0500" and food["why"][0]["actual"] is None and food["why"][0]["withheld"]
    assert quispe["other_agencies"] == {"customs": 2}
    assert ids(worklist(api, "mpi_officer", q="quispe")) == ["QUISPE"]
    assert ids(worklist(api, "mpi_officer", nationality="COL")) == ["QUISPE"]
    assert ids(worklist(api, "mpi_officer", sort="name")) == ["QUISPE", "SMITH"]


def test_auditors_see_every_agency(api, seeded):
    body = worklist(api, "auditor")
    assert ids(body) == ["QUISPE", "SMITH", "MULLER", "ABBOTT"]
    quispe = row(body, "QUISPE")
    assert {h["agency"] for h in quispe["hits"]} == {"customs", "mpi"}
    assert rule_ids(quispe["reasons"]) == {"CUS-0500", "CUS-0510", "MPI-0500"}
    # Auditors read who saw identities (GET /v1/audit/identity-views), not the identities.
    assert all(r["identity"] is None and r["identity_withheld"] for r in body["rows"])
    assert ids(worklist(api, "auditor", q="quispe")) == []


def test_the_newest_retained_decision_of_each_journey(api, services, seeded):
    again = api.post("/v1/evaluations", "customs_system", json={"passenger": PASSENGERS["QUISPE"]})
    assert again.status_code == 200
    body = worklist(api)
    assert ids(body) == ["QUISPE", "MULLER", "ABBOTT"]
    assert row(body, "QUISPE")["decision_id"] == again.json["results"][0]["decision_id"]
    services.decision_store.purge_records(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1), OPERATOR)
    assert worklist(api)["rows"] == []


def _identity_views(api: Any, **query: Any) -> dict[str, Any]:
    response = api.get(f"/v1/audit/identity-views?{urlencode(query)}", "auditor")
    assert response.status_code == 200, response.json
    return response.json  # type: ignore[no-any-return]


def test_identities_shown_are_audited_without_personal_data(api, services, seeded):
    body = worklist(api)
    worklist(api, "mpi_officer", flight="LA801")  # Smith and Quispe: MPI's hits are on both
    worklist(api, "auditor")  # shows no identity: nothing to record
    worklist(api, q="nobody")  # shows nobody: nothing to record
    searched = worklist(api, q="Jürgen Müller")  # the search text is not recorded either
    entries = [e for e in services.audit.entries(limit=1000) if e.action == "identity.view"]
    assert [(e.actor, e.object_type, e.object_id, e.detail["endpoint"]) for e in entries] == [
        ("aroha@customs (kcustomsofficer)", "passenger_identity", "GET /v1/worklist", "GET /v1/worklist"),
        ("mere@mpi (kmpiofficer)", "passenger_identity", "GET /v1/worklist", "GET /v1/worklist"),
        ("aroha@customs (kcustomsofficer)", "passenger_identity", "GET /v1/worklist", "GET /v1/worklist"),
    ]
    assert entries[0].detail["decisions"] == [r["decision_id"] for r in body["rows"]]
    mpi = worklist(api, "mpi_officer")
    assert entries[1].detail["decisions"] == [row(mpi, name)["decision_id"] for name in ("QUISPE", "SMITH")]
    assert entries[2].detail == {"endpoint": "GET /v1/worklist", "decisions": [searched["rows"][0]["decision_id"]]}
    logged = api.get("/v1/audit?limit=1000", "auditor").get_data(as_text=True)
    report = json.dumps(_identity_views(api))
    for text in (logged, report):
        assert not [word for word in PERSONAL if word in text or json.dumps(word)[1:-1] in text]
    assert "identity.view" in logged


def test_the_auditors_report(api, services, seeded):
    shown = [r["decision_id"] for r in worklist(api)["rows"]]
    worklist(api, "mpi_officer")
    worklist(api, "auditor")  # an auditor is shown no identity, so nothing is recorded
    worklist(api, "customs_approver", flight="QF25")
    report = _identity_views(api)["entries"]
    assert [(e["actor"].split(" ")[0], e["agency"], e["passengers"]) for e in report] == [
        ("ben@customs", "customs", 1),
        ("mere@mpi", "mpi", 2),
        ("aroha@customs", "customs", 3),
    ]
    assert report[2]["decisions"] == shown and report[2]["endpoint"] == "GET /v1/worklist"
    assert report[0]["seq"] > report[1]["seq"] > report[2]["seq"] and report[0]["at"].endswith("Z")
    assert [e["agency"] for e in _identity_views(api, actor="mere@mpi")["entries"]] == ["mpi"]
    assert _identity_views(api, since="2100-01-01T00:00:00Z")["entries"] == []
    assert _identity_views(api, until="2000-01-01T00:00:00Z")["entries"] == []
    first = _identity_views(api, limit=2)
    assert len(first["entries"]) == 2 and first["next_before"] == first["entries"][-1]["seq"]
    rest = _identity_views(api, limit=2, before=first["next_before"])
    assert [e["seq"] for e in rest["entries"]] == [report[2]["seq"]] and rest["next_before"] is None


@pytest.mark.parametrize("who", ["customs_system", "mpi_system", "admin"])
def test_roles_refused(api, seeded, who):
    refused = api.get(f"/v1/worklist?date={DAY}", who)
    assert (refused.status_code, refused.json["code"]) == (403, "role_forbidden")
    assert "Quispe" not in refused.get_data(as_text=True)


@pytest.mark.parametrize("who", ["customs_officer", "customs_approver", "customs_system", "admin"])
def test_only_auditors_read_the_report(api, who):
    refused = api.get("/v1/audit/identity-views", who)
    assert (refused.status_code, refused.json["code"]) == (403, "role_forbidden")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=many", "limit"),
        ("date=2026-13-01", "date"),
        ("date=1800-01-01", "date"),
        ("status=pending", "status"),
        ("sort=height", "sort"),
        ("band=severe", "band"),
        ("flight=N!5", "flight"),
        ("nationality=CO", "nationality"),
        ("q=%20%20", "q"),
        (f"q={'x' * 101}", "q"),
        (f"cursor={'x' * 513}", "cursor"),
        ("colour=red", "colour"),
    ],
)
def test_bad_query_parameters_are_422_with_the_field(api, query, field):
    refused = api.get(f"/v1/worklist?{query}", "customs_officer")
    assert refused.status_code == 422, refused.json
    assert field in refused.json["errors"], refused.json


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("before=0", "before"), ("since=yesterday", "since"), ("colour=red", "colour")],
)
def test_bad_report_parameters_are_422_with_the_field(api, query, field):
    refused = api.get(f"/v1/audit/identity-views?{query}", "auditor")
    assert refused.status_code == 422 and field in refused.json["errors"], refused.json
