"""What the console's officer pages read: flights by New Zealand arrival, one passenger, the next
passenger after one worked, a flight's priority list filtered and paged, open hits across flights
and the approval queue.

The passengers are the worklist tests' (``tests/api/test_worklist.py``): on 2026-12-03 in New
Zealand QF25 lands at 16:00 (Abbott) and LA801 at 21:00 (Quispe, Müller, Ngata, and Smith sent by MPI).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.api.conftest import rule
from tests.api.test_worklist import DAY, NEXT_DAY, PASSENGERS, PERSONAL, ids, rule_ids, seeded, worklist

__all__ = ["seeded"]  # the fixture, shared with the worklist tests


def _get(api: Any, path: str, who: str = "customs_officer", **query: Any) -> dict[str, Any]:
    response = api.get(f"{path}?{urlencode(query)}" if query else path, who)
    assert response.status_code == 200, response.json
    return response.json  # type: ignore[no-any-return]


def _decision(api: Any, passenger_id: str) -> str:
    rows = worklist(api, "auditor", status="all")["rows"]
    return next(r["decision_id"] for r in rows if r["passenger_id"] == passenger_id)


def test_flights_by_new_zealand_arrival_with_bands_and_open_hits(api, seeded):
    body = _get(api, "/v1/arrivals", date=DAY)
    assert body["date"] == DAY
    assert [(f["flight"], f["departure_date"], f["passengers"]) for f in body["flights"]] == [
        ("QF25", "2026-12-03", 1),
        ("LA801", "2026-12-01", 4),
    ]
    qf25, la801 = body["flights"]
    assert qf25["scheduled_arrival_local"] == "2026-12-03T16:00:00+13:00"
    assert la801["scheduled_arrival"] == "2026-12-03T08:00:00Z"
    assert la801["route"] == {"departure_airport": "BOG", "arrival_airport": "AKL"}
    # The bands of LA801's own priority list; Quispe (80.8) and Smith (60) are high there.
    priority = _get(api, "/v1/flights/LA801/2026-12-01/priority")
    assert la801["bands"] == {band: priority["bands"].get(band, 0) for band in ("high", "elevated", "routine")}
    assert la801["bands"]["high"] == 2
    # Open hits of the agencies the caller sees: customs' own (Quispe 2, Müller 2), MPI's own.
    assert la801["open_hits"] == {"customs": 4}
    assert _get(api, "/v1/arrivals", "mpi_officer", date=DAY)["flights"][1]["open_hits"] == {"mpi": 2}
    assert _get(api, "/v1/arrivals", "auditor", date=DAY)["flights"][1]["open_hits"] == {"customs": 4, "mpi": 2}
    assert [f["flight"] for f in _get(api, "/v1/arrivals", date=NEXT_DAY)["flights"]] == ["NZ5"]
    assert not [word for word in PERSONAL if word in json.dumps(body, ensure_ascii=False)]
    refused = api.get("/v1/arrivals?date=3-12-2026", "customs_officer")
    assert refused.status_code == 422 and "date" in refused.json["errors"]


def test_a_passenger_with_identity_standing_reasons_and_hits(api, services, seeded):
    decision_id = _decision(api, "QUISPE")
    body = _get(api, f"/v1/passengers/{decision_id}")
    assert body["identity"]["family_name"] == "Quispe" and body["identity"]["document"]["number"] == "AB123456"
    assert (body["flight"], body["departure_date"], body["passenger_id"]) == ("LA801", "2026-12-01", "QUISPE")
    assert body["scheduled_arrival_local"] == "2026-12-03T21:00:00+13:00"
    assert body["standing"] == {"rank": 1, "passengers": 4, "percentile": 87.5, "band": "high"}
    assert [(r["rule_id"], r["title"], r["weight"]) for r in body["reasons"]] == [
        ("CUS-0500", "Cash booking through Bogota", 40),
        ("CUS-0510", "Cash ticket", 20),
    ]
    assert body["other_agencies"] == {"mpi": 1} and "MPI-0500" not in rule_ids(body)
    assert {(h["rule_id"], h["status"]) for h in body["hits"]} == {("CUS-0500", "new"), ("CUS-0510", "new")}
    assert body["hits"][0]["why"][0]["field"] == "booking.payment_method"
    assert body["superseded_by"] is None
    [view] = [e for e in services.audit.entries(limit=1000) if e.action == "identity.view"][-1:]
    assert view.detail == {"endpoint": "GET /v1/passengers/<decision_id>", "decisions": [decision_id]}

    # MPI sees its own match, and whom it is on, and counts customs'.
    mpi = _get(api, f"/v1/passengers/{decision_id}", "mpi_officer")
    assert mpi["identity"]["family_name"] == "Quispe" and mpi["identity_withheld"] is False
    assert rule_ids(mpi) == {"MPI-0500"} and mpi["other_agencies"] == {"customs": 2}
    # A passenger MPI has no hits on: the record customs sent is not MPI's to see, nor any auditor's.
    muller = _decision(api, "MULLER")
    for label in ("mpi_officer", "auditor"):
        withheld = _get(api, f"/v1/passengers/{muller}", label)
        assert withheld["identity"] is None and withheld["identity_withheld"] is True
        assert not [word for word in PERSONAL if word in json.dumps(withheld, ensure_ascii=False)]

    again = api.post("/v1/evaluations", "customs_system", json={"passenger": PASSENGERS["QUISPE"]})
    newer = again.json["results"][0]["decision_id"]
    assert _get(api, f"/v1/passengers/{decision_id}")["superseded_by"] == newer
    assert len(_get(api, f"/v1/passengers/{newer}")["hits"]) == 2  # the journey's hits, from the first decision
    missing = api.get("/v1/passengers/no-such-decision", "customs_officer")
    assert (missing.status_code, missing.json["code"]) == (404, "decision_not_found")


def test_the_next_passenger_after_one_worked(api, seeded):
    quispe = _decision(api, "QUISPE")
    assert ids(worklist(api, after=quispe, limit=1)) == ["MULLER"]
    for hit in _get(api, f"/v1/passengers/{quispe}")["hits"]:
        cleared = {"status": "cleared", "note": "ok"}
        done = api.post(f"/v1/hits/{hit['id']}/disposition", "customs_officer", json=cleared)
        assert done.status_code == 200
    # Quispe is closed now, and so off the open list: the next after them is still Müller.
    assert ids(worklist(api)) == ["MULLER", "ABBOTT"]
    assert ids(worklist(api, after=quispe, limit=1)) == ["MULLER"]
    assert ids(worklist(api, after=_decision(api, "ABBOTT"))) == []
    for query, code in (("after=nobody", "invalid_after"), ("after=x&cursor=y", "invalid_input")):
        refused = api.get(f"/v1/worklist?date={DAY}&{query}", "customs_officer")
        assert refused.status_code == 422 and "after" in refused.json["errors"], refused.json
        assert refused.json["code"] == code


def test_a_priority_list_is_filtered_searched_and_paged(api, services, seeded):
    path = "/v1/flights/LA801/2026-12-01/priority"
    whole = _get(api, path)
    assert [row["passenger_ref"] for row in whole["ranked"]] == ["QUISPE", "SMITH", "MULLER", "NGATA"]
    assert [row["rank"] for row in whole["ranked"]] == [1, 2, 3, 4]
    assert (whole["passengers"], whole["total"], whole["next_cursor"]) == (4, 4, None)
    assert whole["ranked"][0]["identity"]["given_names"] == "Rosa"
    assert whole["ranked"][1]["identity"] is None  # Smith's record is MPI's contribution
    assert [h["rule_id"] for h in whole["ranked"][0]["hits"]] == ["CUS-0500", "CUS-0510"]

    first = _get(api, path, limit=2)
    assert [row["rank"] for row in first["ranked"]] == [1, 2] and first["total"] == 4
    rest = _get(api, path, limit=2, cursor=first["next_cursor"])
    assert [row["passenger_ref"] for row in rest["ranked"]] == ["MULLER", "NGATA"] and rest["next_cursor"] is None
    searched = _get(api, path, q="jurgen")
    assert [(row["passenger_ref"], row["rank"]) for row in searched["ranked"]] == [("MULLER", 3)]
    assert [row["passenger_ref"] for row in _get(api, path, q="LM 445566")["ranked"]] == ["NGATA"]
    assert [row["passenger_ref"] for row in _get(api, path, status="open")["ranked"]] == ["QUISPE", "MULLER"]
    assert [row["passenger_ref"] for row in _get(api, path, sort="name")["ranked"]][:3] == ["MULLER", "NGATA", "QUISPE"]
    assert _get(api, path, band="high")["total"] == 2
    shown = [e for e in services.audit.entries(limit=1000) if e.action == "identity.view"]
    assert shown[0].detail["endpoint"] == "GET /v1/flights/<flight>/<day>/priority"
    assert len(shown[0].detail["decisions"]) == 3  # every row shown but Smith's
    # An auditor is never shown an identity, so no search by name or document finds anyone for them.
    audited = _get(api, path, "auditor")
    assert audited["total"] == 4 and [row["identity"] for row in audited["ranked"]] == [None] * 4
    assert _get(api, path, "auditor", q="jurgen")["ranked"] == []
    other_flight = api.get(f"/v1/flights/QF25/2026-12-03/priority?cursor={first['next_cursor']}", "customs_officer")
    assert other_flight.status_code == 422 and "cursor" in other_flight.json["errors"]


def test_open_hits_across_flights(api, seeded):
    every = _get(api, "/v1/hits", status="open")["hits"]
    assert {(h["passenger_id"], h["flight"]) for h in every} == {
        ("QUISPE", "LA801"),
        ("MULLER", "LA801"),
        ("ABBOTT", "QF25"),
        ("CARLOS", "NZ5"),
        ("LEE", "NZ5"),
    }
    hit = every[0]["id"]
    api.post(f"/v1/hits/{hit}/disposition", "customs_officer", json={"status": "in_review"})
    assert hit in {h["id"] for h in _get(api, "/v1/hits", status="open")["hits"]}
    api.post(f"/v1/hits/{hit}/disposition", "customs_officer", json={"status": "referred", "note": "at the gate"})
    assert hit not in {h["id"] for h in _get(api, "/v1/hits", status="open")["hits"]}


def test_the_approval_queue(api):
    api.post("/v1/rules", "customs_officer", json={"rule": rule("CUS-0700"), "reason": "a pattern"})
    api.post("/v1/rules/CUS-0700/versions/1/submit", "customs_officer", json={"reason": "ready"})
    api.post("/v1/rules", "customs_officer", json={"rule": rule("CUS-0701"), "reason": "still a draft"})
    api.post("/v1/rules", "mpi_officer", json={"rule": rule("MPI-0700"), "reason": "mpi's"})
    api.post("/v1/rules/MPI-0700/versions/1/submit", "mpi_officer", json={})
    queue = _get(api, "/v1/approvals", "customs_approver")["versions"]
    assert [(v["rule_id"], v["number"], v["may_approve"]) for v in queue] == [("CUS-0700", 1, True)]
    assert queue[0]["title"] == "Cash booking through Bogota" and queue[0]["in_service"] is None
    assert queue[0]["author"].startswith("aroha@customs") and queue[0]["submitted_at"].endswith("Z")
    # The author holds no approver role: the queue says they may not approve their own change.
    assert _get(api, "/v1/approvals")["versions"][0]["may_approve"] is False
    assert {v["rule_id"] for v in _get(api, "/v1/approvals", "auditor")["versions"]} == {"CUS-0700", "MPI-0700"}
    approved = api.post("/v1/rules/CUS-0700/versions/1/approve", "customs_approver", json={})
    assert approved.status_code == 200
    assert _get(api, "/v1/approvals", "customs_approver")["versions"] == []
    assert api.get("/v1/approvals", "customs_system").status_code == 403


@pytest.mark.parametrize("path", ["/v1/arrivals", "/v1/passengers/x", "/v1/flights/LA801/2026-12-01/priority"])
def test_systems_are_refused(api, path):
    assert api.get(path, "customs_system").status_code == 403
