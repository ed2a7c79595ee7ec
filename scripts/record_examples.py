"""Record the API's examples: ``python -m scripts.record_examples`` writes ``api/contract/examples.json``.

The scenario below is a day of the service, in order: Customs authors, approves and activates a
rule, its system submits passengers and airline messages from ``seeds/``, officers work the hits,
lists and watchlist entries are kept, auditors and administrators do theirs. Each step runs on a
freshly seeded service (``testing.seeded``, the demo keys of ``seeds/accounts.yaml``) and its
answer is recorded; ``/openapi.json`` shows them as each operation's example, and
``tests/api/test_contract.py`` replays them. A step may name what an earlier answer gave:
``{name}`` in its path, query or body, captured by JSON pointer (or ``header:NAME``).
Run it again after changing an operation, and review the difference.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from api.contract.examples import PATH
from api.journeys.profiles import key_of
from engine import check_record
from testing.seeded import SEEDS, run, seeded

AT = "2026-12-01T00:00:00Z"  # 'now' for the rules' validity: the examples do not age
PASSENGERS = [json.loads(line) for line in (SEEDS / "passengers.jsonl").read_text(encoding="utf-8").splitlines()]
ONE = PASSENGERS[1]  # DEMO-0002 on LA801, a Customs match and another agency's
MANIFEST = json.loads((SEEDS / "manifest_nz5.json").read_text(encoding="utf-8"))["passengers"][:3]
JOURNEY = key_of(check_record(ONE))
RULE = {
    "id": "CUS-0100",
    "title": "Heavy baggage routed through Panama",
    "description": "Three or more checked bags on an itinerary through Panama.",
    "weight": 50,
    "action": "inspect",
    "valid_until": "2027-12-31",
    "when": {"all": [{"field": "itinerary.countries", "contains": "PAN"}, {"field": "booking.checked_bags", "gte": 3}]},
}
LIST = {
    "name": "courier_source_countries",
    "agency": "customs",
    "type": "code",
    "shared": False,
    "description": "Countries couriers start from.",
    "values": ["BOL", "COL", "PER"],
}
ENTRY = {
    "id": "CUS-WL-0100",
    "family_name": "Quintero",
    "given_names": "Hernan",
    "date_of_birth": "1971-06-30",
    "nationality": "COL",
    "category": "customs",
    "reason": "Intelligence report CI-2026-207: courier recruiter",
    "expires": "2027-12-31",
}
WATCHLIST_CSV = "\n".join(
    line for line in (SEEDS / "watchlist.csv").read_text(encoding="utf-8").splitlines() if not line.startswith("MPI")
)
WATCHLIST_CSV = "\n".join(line for line in WATCHLIST_CSV.splitlines() if not line.startswith("INZ")) + "\n"
BAD = {"passenger": {"passenger_id": "DEMO-BAD", "traveller": {"nationality": "nz"}, "booking": {"checked_bags": -1}}}
TEXT = {"content_type": "application/edifact"}


def step(operation: str, who: str | None, path: str | None = None, **request: Any) -> dict[str, Any]:
    """One request: ``operation`` ("METHOD /template"), as the demo key ``who``, to ``path`` (the template)."""
    template = operation.split(" ", 1)[1]
    return {"operation": operation, "as": who, "path": path or template, **request}


SCENARIO: list[dict[str, Any]] = [
    step("GET /healthz", None),
    step("GET /readyz", None),
    step("GET /metrics", None),
    step("GET /v1/whoami", "kcusofficer"),
    step("GET /v1/rulesets/current", "kcussystem"),
    step("GET /v1/sharing", "kcussystem"),
    # Aroha authors a rule; she may not approve it herself; Ben approves and activates it.
    step(
        "POST /v1/rules",
        "kcusofficer",
        body={"reason": "Intelligence report CI-2026-201: couriers routed through Panama", "rule": RULE},
        capture={"rule_id": "/rule_id"},
    ),
    step("GET /v1/rules/{rule_id}", "kcusofficer", "/v1/rules/{rule_id}"),
    step(
        "POST /v1/rules/{rule_id}/versions/{number}/submit",
        "kcusofficer",
        "/v1/rules/{rule_id}/versions/1/submit",
        body={"reason": "Ready for review"},
    ),
    step(
        "POST /v1/rules/{rule_id}/versions/{number}/approve",
        "kcusofficer",
        "/v1/rules/{rule_id}/versions/1/approve",
        body={"reason": "Approving my own"},
    ),
    step(
        "POST /v1/rules/{rule_id}/versions/{number}/approve",
        "kcusapprover",
        "/v1/rules/{rule_id}/versions/1/approve",
        body={"reason": "Checked against CI-2026-201"},
    ),
    step(
        "POST /v1/rules/{rule_id}/versions/{number}/activate",
        "kcusapprover",
        "/v1/rules/{rule_id}/versions/1/activate",
        body={"reason": "In service from today"},
    ),
    # A change made with the rule's ETag; a second change with the same (now stale) tag is refused.
    step(
        "GET /v1/rules/{rule_id}/history", "kcusofficer", "/v1/rules/{rule_id}/history", capture={"tag": "header:ETag"}
    ),
    step(
        "POST /v1/rules/{rule_id}/versions",
        "kcusofficer",
        "/v1/rules/{rule_id}/versions",
        headers={"If-Match": "{tag}"},
        body={"reason": "Four bags or more: three gave too many referrals", "rule": {**RULE, "weight": 60}},
    ),
    step(
        "POST /v1/rules/{rule_id}/versions",
        "kcusofficer",
        "/v1/rules/{rule_id}/versions",
        headers={"If-Match": "{tag}"},
        body={"reason": "A change made on a stale copy", "rule": {**RULE, "weight": 10}},
    ),
    step("GET /v1/rules/{rule_id}/versions/{number}", "kcusapprover", "/v1/rules/{rule_id}/versions/2"),
    step("GET /v1/rules/{rule_id}/diff", "kcusapprover", "/v1/rules/{rule_id}/diff", query={"from": 1, "to": 2}),
    step("GET /v1/rules", "kcusofficer"),
    # The Customs system submits a passenger, a manifest, and what it gets wrong.
    step(
        "POST /v1/evaluations",
        "kcussystem",
        body={"passenger": ONE, "at": AT},
        capture={"decision_id": "/results/0/decision_id"},
    ),
    step("POST /v1/evaluations", "kcussystem", body={"passengers": MANIFEST, "at": AT}),
    step("POST /v1/evaluations", "kcussystem", body=BAD),
    step("POST /v1/evaluations", "kcussystem", raw='{"passenger": {"passenger_id": "DEMO-0002",}}'),
    step("POST /v1/evaluations", "kcussystem", raw=json.dumps({"passenger": ONE}), content_type="text/plain"),
    step("GET /v1/decisions/{decision_id}", "kcussystem", "/v1/decisions/{decision_id}"),
    step("GET /v1/decisions/{decision_id}/replay", "kauditor", "/v1/decisions/{decision_id}/replay"),
    step("POST /v1/manifests/paxlst", "kcussystem", raw=(SEEDS / "paxlst_nz5.edi").read_text(), **TEXT),
    step("POST /v1/manifests/pnrgov", "kcussystem", raw=(SEEDS / "pnrgov_two_bookings.edi").read_text(), **TEXT),
    step(
        "POST /v1/rules/{rule_id}/versions/{number}/try",
        "kcusofficer",
        "/v1/rules/{rule_id}/versions/2/try",
        body={"passengers": [PASSENGERS[0], ONE], "at": AT},
    ),
    step(
        "POST /v1/rules/{rule_id}/versions/{number}/backtest",
        "kcusapprover",
        "/v1/rules/CUS-0002/versions/1/backtest",
        body={"at": AT},
    ),
    # Officers work the day: flights, priority, hits, the worklist.
    step("GET /v1/flights", "kcusofficer", query={"date": "2026-12-03"}),
    step("GET /v1/flights/{flight}/{day}/priority", "kcusofficer", "/v1/flights/LA801/2026-12-03/priority"),
    step("GET /v1/flights/unplaced", "kcusofficer", query={"date": "2026-12-04"}),
    step("GET /v1/hits", "kcusofficer", query={"flight": "LA801", "date": "2026-12-03"}, capture={"hit": "/hits/0/id"}),
    step("GET /v1/hits/{hit_id}", "kcusofficer", "/v1/hits/{hit}"),
    step(
        "POST /v1/hits/{hit_id}/disposition",
        "kcusofficer",
        "/v1/hits/{hit}/disposition",
        body={"status": "in_review", "note": "Bags to be x-rayed on arrival"},
    ),
    step("GET /v1/arrivals", "kcusofficer", query={"date": "2026-12-04"}),
    step(
        "GET /v1/worklist",
        "kcusofficer",
        query={"date": "2026-12-04", "limit": 1},
        capture={"decision": "/rows/0/decision_id"},
    ),
    step("GET /v1/passengers/{decision_id}", "kcusofficer", "/v1/passengers/{decision}"),
    step("GET /v1/approvals", "kcusapprover"),
    step("GET /v1/rules/{rule_id}/stats", "kcusofficer", "/v1/rules/CUS-0002/stats"),
    # Joint targeting: the sharing policy and a journey two agencies contribute to.
    step("PUT /v1/sharing/{viewer}/{owner}", "kadmin", "/v1/sharing/mpi/customs", body={"share": ["matches"]}),
    step(
        "PUT /v1/journeys/{journey_key}/contributions/{agency}",
        "kcussystem",
        f"/v1/journeys/{JOURNEY}/contributions/customs",
        body={"passenger": ONE},
    ),
    step("GET /v1/journeys/{journey_key}", "kauditor", f"/v1/journeys/{JOURNEY}"),
    # A reference list, approved like a rule.
    step("POST /v1/lists", "kcusofficer", body={"reason": "Intelligence report CI-2026-202", "list": LIST}),
    step("GET /v1/lists", "kcusofficer"),
    step(
        "POST /v1/lists/{list_name}/versions/{number}/submit",
        "kcusofficer",
        "/v1/lists/courier_source_countries/versions/1/submit",
        body={"reason": "Ready for review"},
    ),
    step(
        "POST /v1/lists/{list_name}/versions/{number}/approve",
        "kcusapprover",
        "/v1/lists/courier_source_countries/versions/1/approve",
        body={"reason": "Matches CI-2026-202"},
    ),
    step(
        "POST /v1/lists/{list_name}/versions/{number}/activate",
        "kcusapprover",
        "/v1/lists/courier_source_countries/versions/1/activate",
        body={"reason": "In service"},
    ),
    step(
        "GET /v1/lists/{list_name}",
        "kcusofficer",
        "/v1/lists/courier_source_countries",
        capture={"list_tag": "header:ETag"},
    ),
    step(
        "POST /v1/lists/{list_name}/versions",
        "kcusofficer",
        "/v1/lists/courier_source_countries/versions",
        headers={"If-Match": "{list_tag}"},
        body={
            "reason": "Ecuador added (CI-2026-230)",
            "list": {key: value for key, value in LIST.items() if key != "values"},
            "values_csv": "value\nBOL\nCOL\nECU\nPER\n",
        },
    ),
    step(
        "GET /v1/lists/{list_name}/versions/{number}", "kcusapprover", "/v1/lists/courier_source_countries/versions/2"
    ),
    step(
        "GET /v1/lists/{list_name}/diff",
        "kcusapprover",
        "/v1/lists/courier_source_countries/diff",
        query={"from_version": 1, "to_version": 2},
    ),
    # The agency's entries of the joint watchlist.
    step("GET /v1/watchlist/status", "kcussystem"),
    step("POST /v1/watchlist", "kcusofficer", body=ENTRY, capture={"entry_id": "/id"}),
    step("GET /v1/watchlist/{entry_id}", "kcusofficer", "/v1/watchlist/{entry_id}"),
    step(
        "PUT /v1/watchlist/{entry_id}",
        "kcusofficer",
        "/v1/watchlist/{entry_id}",
        body={**ENTRY, "reason": ENTRY["reason"] + "; confirmed by CI-2026-219"},
    ),
    step("GET /v1/watchlist", "kcusofficer", query={"limit": 2}),
    step("DELETE /v1/watchlist/{entry_id}", "kcusofficer", "/v1/watchlist/{entry_id}"),
    step("POST /v1/watchlist/import", "kcusofficer", raw=WATCHLIST_CSV, content_type="text/csv"),
    # Auditors and administrators.
    step("GET /v1/audit", "kauditor", query={"rule": "CUS-0100", "limit": 2}),
    step("GET /v1/audit/verify", "kauditor"),
    step("GET /v1/audit/identity-views", "kauditor", query={"limit": 5}),
    step("GET /v1/keys", "kadmin"),
    step(
        "POST /v1/keys",
        "kadmin",
        body={"name": "biosecurity-kiosk@mpi", "agency": "mpi", "roles": ["system"]},
        capture={"key_id": "/id"},
    ),
    step("DELETE /v1/keys/{key_id}", "kadmin", "/v1/keys/{key_id}"),
    step("POST /v1/rules/{rule_id}/rollback", "kcusofficer", "/v1/rules/{rule_id}/rollback", body={"to_version": 1}),
    step(
        "POST /v1/rules/{rule_id}/retire",
        "kcusapprover",
        "/v1/rules/{rule_id}/retire",
        body={"reason": "Replaced by CUS-0101"},
    ),
]


def main() -> None:
    with tempfile.TemporaryDirectory() as instance:
        service = seeded(Path(instance))
        steps = run(service.app.test_client(), service.keys, SCENARIO)
        service.services.rulesets.stop()
        service.services.watchlists.stop()
    for recorded in steps:
        answer = recorded.get("answer")
        if isinstance(answer, dict) and str(answer.get("key", "")).startswith("tgt_"):
            # A key is shown once; the document shows its form, not a secret (of a service long gone).
            answer["key"] = f"tgt_{answer['id']}_<the secret, shown once>"
    PATH.write_text(json.dumps({"steps": steps}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    failed = [f"{s['operation']} {s['status']}" for s in steps if s["status"] >= 500]
    print(f"{PATH}: {len(steps)} steps" + (f"; server errors: {failed}" if failed else ""))


if __name__ == "__main__":
    main()
