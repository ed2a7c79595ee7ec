"""Text no store can keep (NUL characters, unpaired surrogates) is a 422 naming the field, never a 500.

Found by the OpenAPI fuzz test: a disposition note with a NUL in it failed the PostgreSQL write.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.api.conftest import live_rule, passenger, rule

BAD_TEXT = ["A\x00B", "A\ud800B"]


def _raw_json(api, method, path, who, body):
    # json.dumps escapes both as \\uXXXX, as any JSON client would send them.
    return api.call(method, path, who, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("bad", BAD_TEXT, ids=["nul", "surrogate"])
def test_bad_text_in_a_body_is_refused_with_its_path(api, services, bad):
    live_rule(api)
    api.post("/v1/evaluations", "customs_system", json={"passenger": passenger()})
    [hit] = services.hits.hits(None)
    cases = [
        ("POST", f"/v1/hits/{hit.id}/disposition", "customs_officer", {"status": "in_review", "note": bad}, "note"),
        ("POST", "/v1/rules", "customs_officer", {"rule": rule("CUS-0600", title=bad), "reason": "r"}, "rule.title"),
        (
            "POST",
            "/v1/evaluations",
            "customs_system",
            {"passengers": [passenger(), passenger(traveller={"family_name": bad})]},
            "passengers[1].traveller.family_name",
        ),
        ("POST", "/v1/keys", "admin", {"name": bad, "agency": "mpi", "roles": ["system"]}, "name"),
    ]
    for method, path, who, body, field in cases:
        response = _raw_json(api, method, path, who, body)
        assert response.status_code == 422, (path, response.status_code, response.json)
        assert response.json["code"] == "invalid_input"  # refused as text no store keeps, before any schema
        assert list(response.json["errors"]) == [field], path


@pytest.mark.parametrize("bad", ["A%00B", "A%ED%A0%80B"], ids=["nul", "surrogate"])
def test_bad_text_in_a_path_or_query_is_refused(api, bad):
    live_rule(api)
    by_path = api.get(f"/v1/rules/CUS{bad}0500", "customs_officer")
    assert by_path.status_code in (404, 422), by_path.json
    by_query = api.get(f"/v1/audit?actor={bad}", "auditor")
    assert by_query.status_code in (200, 422), by_query.json
    if "%00" in bad:
        assert (by_path.status_code, list(by_path.json["errors"])) == (422, ["rule_id"])
        assert (by_query.status_code, list(by_query.json["errors"])) == (422, ["actor"])


def test_csv_and_paxlst_bodies_are_left_to_their_readers(api):
    csv = "id,agency,family_name,category,reason,expires\nCUS-1,customs,Ex\x00ample,customs,r,2030-01-01\n"
    imported = api.post("/v1/watchlist/import", "customs_officer", data=csv.encode(), content_type="text/csv")
    assert (imported.status_code, list(imported.json["errors"])) == (422, ["lines[2].family_name"])
    message = (Path(__file__).parents[1] / "data" / "paxlst" / "nz5_passengers_d05b.edi").read_bytes()
    name = message.index(b"NAD+FL") + 12
    screened = api.post(
        "/v1/manifests/paxlst",
        "customs_system",
        data=message[:name] + b"\x00" + message[name:],
        content_type="application/edifact",
    )
    assert screened.status_code == 200
    assert "NAD family name left out: contains a control character" in [p["message"] for p in screened.json["problems"]]


def test_a_key_with_a_nul_is_refused_not_looked_up(api, services):
    for key in ("tgt_k\x00x_secret", "tgt_kcustomsofficer\x00_x", "tgt_k\u00e9_x"):
        response = api.get("/v1/rules", headers={"X-API-Key": key})
        assert (response.status_code, response.json["code"]) == (401, "unauthenticated")
    assert [e.object_id for e in services.audit.entries() if e.action == "auth.failed"] == ["malformed"] * 3


def test_the_check_comes_after_authentication(api):
    assert _raw_json(api, "POST", "/v1/keys", None, {"name": "A\x00B"}).status_code == 401
    assert api.get("/v1/rules/CUS%000500").status_code == 401


#: Bidirectional controls and marks: each reorders how the text around it is shown.
BIDI = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
]


@pytest.mark.parametrize("mark", BIDI, ids=[f"U+{ord(m):04X}" for m in BIDI])
def test_bidirectional_controls_are_refused_in_free_text(api, mark):
    # "Smith" with a right-to-left override shows as "htimS" followed by what comes after it.
    record = passenger(
        passenger_id=f"P-1{mark}2",
        traveller={"family_name": f"Sm{mark}ith", "given_names": f"{mark}Ana"},
        booking={"travel_agency": f"Agency {mark}42"},
    )
    response = api.post("/v1/evaluations", "customs_system", json={"passenger": record})
    assert (response.status_code, response.json["code"]) == (422, "invalid_passenger"), response.json
    assert sorted(response.json["errors"]) == [
        "passenger.booking.travel_agency",
        "passenger.passenger_id",
        "passenger.traveller.family_name",
        "passenger.traveller.given_names",
    ]
    assert all("bidirectional" in m for [m] in response.json["errors"].values()), response.json
    entry = {"id": "W-1", "family_name": f"Sm{mark}ith", "category": "customs", "reason": "r", "expires": "2030-01-01"}
    listed = api.post("/v1/watchlist", "customs_officer", json=entry)
    assert (listed.status_code, list(listed.json["errors"])) == (422, ["family_name"]), listed.json


def test_names_in_right_to_left_scripts_are_accepted(api):
    # Hebrew and Arabic letters carry their own direction; only the invisible controls are refused.
    record = passenger(traveller={"family_name": "\u05db\u05d4\u05df", "given_names": "\u0645\u062d\u0645\u062f"})
    response = api.post("/v1/evaluations", "customs_system", json={"passenger": record})
    assert response.status_code == 200, response.json
