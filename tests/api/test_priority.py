"""The priority list for the 300-passenger seed flight: ordered by relative risk, with reasons."""

from __future__ import annotations

import json
from pathlib import Path

from engine import read_packs
from tests.api.conftest import OPERATOR

ROOT = Path(__file__).resolve().parents[2]


def test_priority_list_for_a_300_passenger_flight(api, services):
    packs, problems = read_packs([ROOT / "rules"])
    assert problems == []
    services.rule_store.import_packs([(p.source, p.data) for p in packs], OPERATOR)
    services.rulesets.refresh()
    flight = json.loads((ROOT / "seeds" / "flight_nz5_300.json").read_text())
    submitted = api.post(
        "/v1/evaluations", "customs_system", json={"passengers": flight["passengers"], "at": "2026-12-01T00:00:00Z"}
    )
    assert submitted.status_code == 200
    scores = {r["passenger_id"]: r["score"] for r in submitted.json["results"]}

    listing = api.get("/v1/flights/NZ5/2026-12-01/priority", "auditor").json
    ranked = listing["ranked"]
    assert listing["passengers"] == 300
    assert [row["score"] for row in ranked] == sorted(scores.values(), reverse=True)
    assert [row["percentile"] for row in ranked] == sorted((row["percentile"] for row in ranked), reverse=True)
    top = ranked[0]
    assert top["band"] == "high" and top["score"] == max(scores.values())
    assert top["top_reasons"] and all(reason["title"] for reason in top["top_reasons"])
    assert [r["weight"] for r in top["top_reasons"]] == sorted((r["weight"] for r in top["top_reasons"]), reverse=True)
    assert ranked[-1]["band"] == "routine" and ranked[-1]["top_reasons"] == []

    # Other agencies' reasons are counted, not shown; the score is shared.
    mpi = api.get("/v1/flights/NZ5/2026-12-01/priority", "mpi_officer").json["ranked"]
    assert [row["score"] for row in mpi] == [row["score"] for row in ranked]
    for row in mpi:
        assert all(reason["agency"] == "mpi" for reason in row["top_reasons"])
    full = {row["decision_id"]: len(row["top_reasons"]) + row["other_agency_matches"] for row in ranked}
    assert all(len(r["top_reasons"]) + r["other_agency_matches"] <= max(full[r["decision_id"]], 3) for r in mpi)
    assert any(row["other_agency_matches"] for row in mpi)


def test_unknown_flight_and_bad_date(api):
    assert api.get("/v1/flights/NZ9/2026-12-01/priority", "customs_officer").status_code == 404
    bad = api.get("/v1/flights/NZ5/yesterday/priority", "customs_officer")
    assert (bad.status_code, bad.json["code"]) == (422, "invalid_date")
    assert api.get("/v1/flights/NZ5/2026-12-01/priority", "customs_system").status_code == 403
