"""``POST /v1/manifests/pnrgov``: every traveller of an airline's PNR push screened."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from tests.api.conftest import live_rule, rule

DATA = Path(__file__).resolve().parents[1] / "messages" / "data" / "pnrgov"


def _post(api, text: str | bytes, who: str = "customs_system"):
    body = text.encode() if isinstance(text, str) else text
    return api.post("/v1/manifests/pnrgov", who, data=body, content_type="application/edifact")


def test_message_is_screened_and_decisions_recorded(api):
    live_rule(api, rule("CUS-0600", when={"field": "booking.payment_method", "eq": "card"}), "customs_officer")
    response = _post(api, (DATA / "loader_2_pnrs_basic.edi").read_bytes())
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["version"], body["bookings"]) == ("10.1", 2)
    assert [r["passenger_id"] for r in body["results"]] == ["MFN4TI-1", "MFN4TI-2", "23456-1", "23456-2"]
    assert all(r["decision_id"] and r["flight"] == "DL324" for r in body["results"])
    assert all(r["matches"][0]["rule_id"] == "CUS-0600" for r in body["results"])
    assert [p["code"] for p in body["problems"]] == ["segment_count_mismatch"]
    for problem in body["problems"]:
        assert "segment" not in problem  # the segment text can hold names; never echoed
    decision = api.get(f"/v1/decisions/{body['results'][0]['decision_id']}", "customs_system")
    assert decision.status_code == 200


def test_contacts_and_cards_are_hashed_with_the_service_key(api, services):
    live_rule(api, rule("CUS-0601", when={"field": "contact.email_hash", "exists": True}), "customs_officer")
    response = _post(api, (DATA / "parsers_pnrEdge.txt").read_text())
    assert response.status_code == 200, response.json
    [result] = response.json["results"]
    [match] = result["matches"]
    expected = hmac.new(services.identity_key, b"email:molly_louunt+50bb@gmail.com", hashlib.sha256).hexdigest()
    assert match["why"][0]["actual"] == expected
    assert "GMAIL" not in response.get_data(as_text=True).upper()


def test_every_shared_sample_screens(api):
    for path in sorted(DATA.iterdir()):
        if path.name == "README.md" or path.name == "parsers_pnrWithBags.txt":
            continue  # the 268-traveller push is read in tests/messages; here it would only be slow
        response = _post(api, path.read_bytes())
        assert response.status_code == 200, (path.name, response.json)
        # Some samples push PNRs an earlier one pushed for the same flight: those are not evaluated again.
        assert response.json["results"] or response.json["unchanged"], path.name


def test_unreadable_message_is_a_clear_422(api):
    for text in ("", "hello", "UNB+IATA:1+DL++101209:2100+1'UNZ+0+1'", "UNA:+"):
        response = _post(api, text)
        assert response.status_code == 422, text
        assert response.json["code"] == "invalid_pnrgov"
        assert response.json["errors"] and all(key.startswith("segment ") for key in response.json["errors"])


def test_access_control_and_limits(api, services, monkeypatch):
    text = (DATA / "loader_pnr1.txt").read_bytes()
    assert _post(api, text, "customs_officer").status_code == 403
    assert api.post("/v1/manifests/pnrgov", data=text, content_type="application/edifact").status_code == 401
    big = (DATA / "parsers_pnrWithBags.txt").read_bytes()  # 268 travellers
    monkeypatch.setattr(services, "settings", services.settings.with_overrides({"max_manifest_size": 100}))
    response = _post(api, big)
    assert (response.status_code, response.json["code"]) == (422, "manifest_too_large")
