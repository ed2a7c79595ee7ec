"""The officer's and the approver's pages with Flask's test client: worklist, priority list, next
passenger, open hits, the approval queue and the review's backtest, the auditors' identity-view log.

One app for the module (the 300-passenger NZ5 flight and the seeded rules): the tests read it
and change only what no other test here reads.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest

from api.console import ruletext
from tests.console.conftest import Console, build_console, csrf_of, seed_flight, sign_in

DAY = "2026-12-03"  # NZ5 from Los Angeles lands at 08:00 on 3 December in Auckland


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    console = build_console(tmp_path_factory.mktemp("work"))
    console.import_seeds()
    console.api("POST", "/v1/evaluations", "system", {"passengers": seed_flight()["passengers"]})
    yield console
    console.services.rulesets.stop()
    console.services.watchlists.stop()
    console.services.engine.dispose()


def _client(console: Console, who: str) -> Any:
    client = console.app.test_client()
    assert sign_in(client, console.keys[who]).status_code == 303
    return client


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _names(page: str) -> list[str]:
    """The passengers' names in a list's rows, top to bottom."""
    return re.findall(r'<a href="/console/passengers/[^"]+">([^<]+)</a>', page)


def _link(page: str, rel: str) -> str:
    """The pager's link to the next or previous page."""
    pager = page[page.index('<nav class="pager"') :]
    return html.unescape(re.search(rf'<a href="([^"]+)" rel="{rel}">', pager).group(1))


def test_the_worklist_names_each_passenger_with_why_and_pages(seeded: Console) -> None:
    officer = _client(seeded, "officer")
    expected = seeded.api("GET", f"/v1/worklist?date={DAY}&limit=25", "officer")
    first = officer.get(f"/console/worklist?date={DAY}&limit=25")
    page = _text(first)
    assert first.status_code == 200
    assert f"{expected['total']} passengers to work of 300 arriving" in page
    top = expected["rows"][0]
    assert _names(page)[0] == "BRANDAUER, Friederike" == f"{top['identity']['family_name'].upper()}, Friederike"
    assert "C8K2L7M9N" in page and "1983-03-15" in page and "JQ9BRF" in page and "LAX → AKL" in page
    assert "On the joint non-compliant list for customs" in page and "MPI 1" in page  # own reasons, others counted
    assert f"Rows 1–25 of {expected['total']}" in page and "Previous page" not in page
    second = _text(officer.get(_link(page, "next")))
    assert f"Rows 26–{expected['total']} of {expected['total']}" in second
    assert not set(_names(second)) & set(_names(page))
    assert _names(_text(officer.get(_link(second, "prev")))) == _names(page)
    assert "<title>Worklist for Thursday 3 December 2026 – Border targeting console</title>" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [("q=brandauer", ["BRANDAUER, Friederike"]), ("q=c8k2 l7m9n", ["BRANDAUER, Friederike"])],
)
def test_search_by_name_or_document(seeded: Console, query: str, expected: list[str]) -> None:
    page = _text(_client(seeded, "officer").get(f"/console/worklist?date={DAY}&{query}"))
    assert _names(page) == expected


def test_a_refused_filter_is_shown_at_its_field(seeded: Console) -> None:
    refused = _client(seeded, "officer").get(f"/console/worklist?date={DAY}&nationality=GERMANY")
    page = _text(refused)
    assert refused.status_code == 422
    assert re.search(r'id="f-nationality"[^>]*aria-invalid="true"', page)
    assert re.search(r'id="f-nationality-errors">\s*<li>', page)


def test_the_priority_list_filters_and_pages_the_whole_flight(seeded: Console) -> None:
    officer = _client(seeded, "officer")
    page = _text(officer.get("/console/flights/NZ5/2026-12-01"))
    assert "300 passengers by relative risk on this flight" in page and "Rows 1–50 of 300" in page
    germans = seeded.api("GET", "/v1/flights/NZ5/2026-12-01/priority?nationality=DEU", "officer")
    shown = _text(officer.get("/console/flights/NZ5/2026-12-01?nationality=deu&limit=100"))
    assert f"Rows 1–{germans['total']} of {germans['total']}" in shown
    assert len(_names(shown)) == germans["total"] > 1


def test_next_passenger_goes_to_the_next_open_row(seeded: Console) -> None:
    officer = _client(seeded, "officer")
    rows = seeded.api("GET", f"/v1/worklist?date={DAY}&flight=NZ5&limit=3", "officer")["rows"]
    context = f"date%3D{DAY}%26flight%3DNZ5"
    moved = officer.get(f"/console/passengers/{rows[0]['decision_id']}/next?list={context}")
    assert moved.status_code == 303
    assert moved.location == f"/console/passengers/{rows[1]['decision_id']}?list={context}"
    last = seeded.api("GET", f"/v1/worklist?date={DAY}&limit=200", "officer")["rows"][-1]["decision_id"]
    done = officer.get(f"/console/passengers/{last}/next?list=date%3D{DAY}")
    assert done.location == f"/console/worklist?date={DAY}"
    assert "No more open passengers" in _text(officer.get(done.location))


def test_open_hits_across_flights(seeded: Console) -> None:
    page = _text(_client(seeded, "officer").get("/console/queue"))
    open_hits = seeded.api("GET", "/v1/hits?status=open&limit=51", "officer")["hits"]
    assert page.count('<th scope="row" data-label="Passenger">') == min(50, len(open_hits))
    assert f"#hit-{open_hits[0]['id']}" in page and "NZ5" in page
    assert ("Older hits" in page) == (len(open_hits) > 50)


def test_the_approval_queue_and_the_backtest_in_service_against_proposed(seeded: Console) -> None:
    rule = seeded.api("GET", "/v1/rules/CUS-0012/versions/1", "officer")["content"]
    # Wider: also whoever declares food.
    wider = {**rule, "when": {"any": [rule["when"], {"field": "declarations.food", "eq": True}]}}
    seeded.api("POST", "/v1/rules/CUS-0012/versions", "officer", {"rule": wider, "reason": "food too"})
    seeded.api("POST", "/v1/rules/CUS-0012/versions/2/submit", "officer", {})
    approver = _client(seeded, "approver")
    queue = _text(approver.get("/console/approvals"))
    assert "1 for you to review" in queue and "version 1 → 2" in queue and "aroha.ngata@customs" in queue
    assert "Nothing is waiting for your approval" in _text(_client(seeded, "officer").get("/console/approvals"))

    review = _text(approver.get(_review_link(queue)))
    current = seeded.api("POST", "/v1/rules/CUS-0012/versions/1/backtest", "approver", {})
    proposed = seeded.api("POST", "/v1/rules/CUS-0012/versions/2/backtest", "approver", {})
    compare = re.search(r'<table class="compare" id="backtest-compare">(.*?)</table>', review, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', compare)
    assert proposed["matched"] > current["matched"]
    change = f"{proposed['matched'] - current['matched']:+d}"
    assert cells[:3] == [str(current["matched"]), str(proposed["matched"]), change]
    assert "Change from version 1 (in service)" in review
    assert re.search(r'<details class="per-flight">\s*<summary>Per flight \(1 flight\)</summary>', review)

    approved = approver.post(
        "/console/rules/CUS-0012/versions/2/approve", data={"reason": "checked", "csrf_token": csrf_of(approver)}
    )
    assert approved.status_code == 303 and approved.location == "/console/approvals"
    assert "Nothing is waiting for your approval" in _text(approver.get("/console/approvals"))


def _review_link(page: str) -> str:
    return html.unescape(re.search(r'href="(/console/rules/[^"]+/review)"', page).group(1))


def test_rollback_takes_a_reason_and_a_confirmation(seeded: Console) -> None:
    officer = _client(seeded, "officer")
    officer.post(
        "/console/rules/new",
        data={"rule_yaml": ruletext.dump(_rule()), "reason": "first", "csrf_token": csrf_of(officer)},
    )
    seeded.api("POST", "/v1/rules/CUS-0990/versions", "officer", {"rule": _rule(weight=30), "reason": "second"})
    bare = officer.post("/console/rules/CUS-0990/rollback", data={"to_version": "1", "csrf_token": csrf_of(officer)})
    assert bare.status_code == 303
    page = officer.get("/console/rules/CUS-0990")
    assert page.status_code == 422
    assert 'id="rollback-reason-errors"' in _text(page) and 'id="rollback-confirm-errors"' in _text(page)
    assert len(seeded.api("GET", "/v1/rules/CUS-0990", "officer")["versions"]) == 2
    done = officer.post(
        "/console/rules/CUS-0990/rollback",
        data={"to_version": "1", "reason": "back to 20", "confirm": "yes", "csrf_token": csrf_of(officer)},
    )
    assert done.status_code == 303
    versions = seeded.api("GET", "/v1/rules/CUS-0990", "officer")["versions"]
    assert versions[-1]["number"] == 3 and versions[-1]["content"]["weight"] == 20
    assert versions[-1]["status"] == "draft" and versions[-1]["reason"] == "back to 20"


def _rule(**overrides: Any) -> dict[str, Any]:
    return {
        "id": "CUS-0990",
        "title": "Rollback test",
        "description": "Cash tickets.",
        "weight": 20,
        "action": "refer",
        "valid_until": "2027-12-31",
        "when": {"field": "booking.payment_method", "eq": "cash"},
        **overrides,
    }


def test_the_identity_view_log_shows_who_saw_whom_never_the_identity(seeded: Console) -> None:
    officer = _client(seeded, "officer")
    officer.get(f"/console/worklist?date={DAY}&q=brandauer")
    brandauer = seeded.api("GET", f"/v1/worklist?date={DAY}&q=brandauer", "officer")["rows"][0]["decision_id"]
    auditor = _client(seeded, "auditor")
    page = _text(auditor.get("/console/audit/identity-views?actor=aroha"))
    assert "<code>GET /v1/worklist</code>" in page and "aroha.ngata@customs" in page
    assert f"<code>{brandauer}</code>" in page
    assert "Brandauer" not in page and "BRANDAUER" not in page and "C8K2L7M9N" not in page
    assert "No identity views match" in _text(auditor.get("/console/audit/identity-views?from=2100-01-01"))
    bad = auditor.get("/console/audit/identity-views?from=2026-12-05&to=2026-12-01")
    assert bad.status_code == 422 and 'id="f-to-errors"' in _text(bad)
    assert officer.get("/console/audit/identity-views").status_code == 403


def test_the_audit_log_filters_by_date_range(seeded: Console) -> None:
    auditor = _client(seeded, "auditor")
    today = seeded.api("GET", "/v1/audit?order=newest&limit=1", "auditor")["entries"][0]["at"][:10]
    within = _text(auditor.get(f"/console/audit?from={today}&to={today}&limit=5"))
    assert "5 entries, newest first" in within
    assert "0 entries" in _text(auditor.get("/console/audit?from=2000-01-01&to=2000-01-02"))
    assert f'value="{today}"' in within  # the range stays in the form


def test_pages_have_human_titles(seeded: Console) -> None:
    officer = _client(seeded, "officer")
    for url, title in [
        (f"/console/flights?date={DAY}", "Flights arriving Thursday 3 December 2026"),
        ("/console/flights/NZ5/2026-12-01", "NZ5 priority list"),
        ("/console/rules/CUS-0015", "Rule CUS-0015: On the joint non-compliant list for customs"),
        ("/console/queue", "Open hits across flights"),
        ("/console/no-such-page", "Page not found"),
    ]:
        assert f"<title>{title} – Border targeting console</title>" in _text(officer.get(url)), url


def test_the_old_passenger_address_still_leads_to_the_passenger(seeded: Console) -> None:
    decision = seeded.api("GET", f"/v1/worklist?date={DAY}&limit=1", "officer")["rows"][0]["decision_id"]
    moved = _client(seeded, "officer").get(f"/console/flights/NZ5/2026-12-01/passengers/{decision}")
    assert moved.status_code == 301 and moved.location == f"/console/passengers/{decision}"
