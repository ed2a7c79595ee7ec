"""``POST /v1/manifests/paxlst``: a flight screened from the airline's own message."""

from __future__ import annotations

from pathlib import Path

from testing.synthetic import synthetic_paxlst
from tests.api.conftest import live_rule, rule

DATA = Path(__file__).resolve().parents[1] / "data" / "paxlst"


def _post(api, text: str, who: str = "customs_system"):
    return api.post("/v1/manifests/paxlst", who, data=text.encode(), content_type="application/edifact")


def test_message_is_screened_and_decisions_recorded(api):
    live_rule(api, rule("INZ-0500", when={"field": "document.issuing_country", "exists": True}), "customs_officer")
    response = _post(api, (DATA / "nz5_passengers_d05b.edi").read_text())
    assert response.status_code == 200, response.json
    body = response.json
    assert body["message_type"] == "passenger"
    assert body["results"] and all(r["decision_id"] for r in body["results"])
    assert any(r["matches"] for r in body["results"])
    decision = api.get(f"/v1/decisions/{body['results'][0]['decision_id']}", "customs_system")
    assert decision.status_code == 200
    for problem in body["problems"]:
        assert "segment" not in problem  # the segment text can hold names; never echoed


def test_shared_samples_all_screen(api):
    answers = {}
    for name in ("airline2.edi", "crew_list_no_una.txt", "multiple_flight_leg_apis.txt"):
        response = _post(api, (DATA / name).read_text())
        assert response.status_code == 200, (name, response.json)
        assert response.json["results"], name
        answers[name] = response.json
    crew = answers["crew_list_no_una.txt"]
    assert crew["message_type"] == "crew" and len(crew["results"]) == 8
    # Sent again, it changes no one's journey: no one is evaluated again, each is named with their decision.
    again = _post(api, (DATA / "crew_list_no_una.txt").read_text()).json
    assert again["results"] == []
    assert sorted(u["decision_id"] for u in again["unchanged"]) == sorted(r["decision_id"] for r in crew["results"])


def test_unreadable_message_is_a_clear_422(api):
    for text in ("", "hello", "UNA:+.? 'UNB+UNOA:4+X+Y+200101:1200+1'UNZ+1+1'"):
        response = _post(api, text)
        assert response.status_code == 422, text
        assert response.json["code"] == "invalid_paxlst"
        assert all(key.startswith("segment ") for key in response.json["errors"])


def test_access_control(api):
    text = (DATA / "nz5_passengers_d05b.edi").read_text()
    assert _post(api, text, "customs_officer").status_code == 403
    assert api.post("/v1/manifests/paxlst", data=text.encode(), content_type="application/edifact").status_code == 401


def test_300_passenger_message(api):
    response = _post(api, synthetic_paxlst(300))
    assert response.status_code == 200
    assert len(response.json["results"]) == 300
