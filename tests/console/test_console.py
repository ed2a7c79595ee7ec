"""The console with Flask's test client: sessions, CSRF, and the API's answers shown on the page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.config import Settings
from api.console import ruletext
from tests.api.conftest import OPERATOR
from tests.api.conftest import rule as api_rule
from tests.console.conftest import WATCHLISTED, Console, csrf_of, seed_flight, sign_in, sign_in_token

RULE_WITH_TYPO = """\
id: CUS-0100
title: Heavy baggage routed through Panama
description: Three or more checked bags on an itinerary through Panama.
weight: 50
action: inspect
valid_until: 2027-12-31
when:
  all:
    - {field: itinerary.countries, contains: PAN}
    - {field: booking.checked_bagz, gte: 3}
"""


def _rule(rule_id: str = "CUS-0100", **overrides: Any) -> dict[str, Any]:
    # The API tests' rule with one condition: the console's pages show every condition it has.
    return api_rule(rule_id, **{"when": {"all": [{"field": "booking.payment_method", "eq": "cash"}]}, **overrides})


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _signed_in(console: Console, who: str) -> Any:
    client = console.app.test_client()
    assert sign_in(client, console.keys[who]).status_code == 303
    return client


def test_pages_send_a_visitor_without_a_session_to_sign_in(console: Console) -> None:
    client = console.app.test_client()
    checked = 0
    for rule in console.app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or rule.endpoint in ("console.sign_in", "console.static"):
            continue
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "1" if m.group(1) == "number" else "x", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 303, (method, url)
            assert response.location.startswith("/console/sign-in"), (method, url)
            checked += 1
    assert checked >= 12
    assert client.get("/console/static/console.css").status_code == 200


def test_sign_in_keeps_the_key_in_a_strict_http_only_cookie_and_sign_out_drops_it(console: Console) -> None:
    client = console.app.test_client()
    first = client.get("/console/rules")
    assert first.status_code == 303 and first.location == "/console/sign-in?next=/console/rules"
    token = sign_in_token(client)

    data = {"api_key": "tgt_kcusofficer_wrong", "csrf_token": token}
    assert client.post("/console/sign-in", data=data).status_code == 303  # shown by the page it redirects to
    refused = client.get("/console/sign-in")
    assert refused.status_code == 422
    assert "The service refused this key" in _text(refused)
    assert 'aria-invalid="true"' in _text(refused) and "tgt_kcusofficer_wrong" not in _text(refused)

    accepted = client.post(
        "/console/sign-in", data={"api_key": console.keys["officer"], "csrf_token": token, "next": "/console/rules"}
    )
    assert accepted.status_code == 303 and accepted.location == "/console/rules"
    cookie = accepted.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert csrf_of(client) != token  # a fresh session on sign-in

    rules = client.get("/console/rules")
    assert rules.status_code == 200
    assert "aroha.ngata@customs" in _text(rules)
    assert rules.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in rules.headers["Content-Security-Policy"]

    out = client.post("/console/sign-out", data={"csrf_token": csrf_of(client)})
    assert out.status_code == 303
    assert client.get("/console/rules").status_code == 303


def test_sign_in_only_returns_to_console_pages(console: Console) -> None:
    client = console.app.test_client()
    token = sign_in_token(client)
    response = client.post(
        "/console/sign-in",
        data={"api_key": console.keys["officer"], "csrf_token": token, "next": "https://elsewhere.example/x"},
    )
    assert response.location == "/console/worklist"  # an officer's start page
    client = console.app.test_client()
    response = client.post(
        "/console/sign-in",
        data={
            "api_key": console.keys["officer"],
            "csrf_token": sign_in_token(client),
            "next": "/console/../v1",
        },
    )
    assert response.location == "/console/worklist"
    auditor = console.app.test_client()
    assert sign_in(auditor, console.keys["auditor"]).location == "/console/audit"


def test_console_urls_cannot_reach_other_api_endpoints(console: Console) -> None:
    console.live_rule(_rule())
    officer = _signed_in(console, "officer")
    # "CUS-0100?agency=mpi" is one path segment to the API, not a query: no such rule.
    response = officer.get("/console/rules/CUS-0100%3Fagency=mpi")
    assert response.status_code == 404 and "rule_not_found" in _text(response)


def test_forms_without_the_session_csrf_token_are_refused(console: Console) -> None:
    client = console.app.test_client()
    assert client.post("/console/sign-in", data={"api_key": console.keys["officer"]}).status_code == 400
    assert sign_in(client, console.keys["officer"]).status_code == 303
    for token in (None, "forged"):
        data = {"rule_yaml": "id: CUS-0100\n", "reason": "x"}
        if token:
            data["csrf_token"] = token
        response = client.post("/console/rules/new", data=data)
        assert response.status_code == 400
        assert "csrf_refused" in _text(response)
    assert console.api("GET", "/v1/rules", "officer")["rules"] == []
    assert client.post("/console/sign-out").status_code == 400  # signing out is a form too


def test_a_rule_error_is_shown_at_its_path_next_to_the_text(console: Console) -> None:
    client = _signed_in(console, "officer")
    response = client.post(
        "/console/rules/new",
        data={"rule_yaml": RULE_WITH_TYPO, "reason": "", "csrf_token": csrf_of(client)},
        follow_redirects=True,
    )
    assert response.status_code == 422
    page = _text(response)
    # The request's own validation (an empty reason) sits next to the reason field ...
    reason_errors = re.search(r'<ul class="field-errors" id="reason-errors">(.*?)</ul>', page, re.S)
    assert reason_errors and "Length must be between 1 and 2000" in reason_errors.group(1)
    # ... and once the reason is given, the rule's problem sits at its path and line.
    response = client.post(
        "/console/rules/new",
        data={"rule_yaml": RULE_WITH_TYPO, "reason": "CI-2026-201", "csrf_token": csrf_of(client)},
        follow_redirects=True,
    )
    assert response.status_code == 422
    page = _text(response)
    item = re.search(r'<li data-path="when.all\[1\].field">(.*?)</li>\s*</ul>', page, re.S)
    assert item, page
    assert 'data-line="10"' in item.group(1)
    assert "did you mean &#39;booking.checked_bags&#39;?" in item.group(1)
    assert "invalid_rule" in page
    assert 'aria-invalid="true"' in page and "booking.checked_bagz" in page  # the text is kept for fixing

    fixed = RULE_WITH_TYPO.replace("checked_bagz", "checked_bags")
    saved = client.post(
        "/console/rules/new", data={"rule_yaml": fixed, "reason": "CI-2026-201", "csrf_token": csrf_of(client)}
    )
    assert saved.status_code == 303 and saved.location == "/console/rules/CUS-0100"
    version = console.api("GET", "/v1/rules/CUS-0100/versions/1", "officer")
    assert version["content"]["valid_until"] == "2027-12-31" and version["status"] == "draft"


def test_text_that_is_not_yaml_is_reported_with_its_line(console: Console) -> None:
    client = _signed_in(console, "officer")
    response = client.post(
        "/console/rules/new",
        data={"rule_yaml": "id: CUS-0100\nwhen: [unclosed\n", "reason": "x", "csrf_token": csrf_of(client)},
        follow_redirects=True,
    )
    assert response.status_code == 422
    assert "not valid YAML: line 3" in _text(response)


def test_refusals_show_the_api_code(console: Console) -> None:
    officer = _signed_in(console, "officer")
    officer.post(
        "/console/rules/new",
        data={"rule_yaml": ruletext.dump(_rule()), "reason": "pattern", "csrf_token": csrf_of(officer)},
    )
    submitted = officer.post("/console/rules/CUS-0100/versions/1/submit", data={"csrf_token": csrf_of(officer)})
    assert submitted.status_code == 303
    # Aroha also holds the approver role, but may not approve her own change: the API says so.
    own = officer.post(
        "/console/rules/CUS-0100/versions/1/approve", data={"csrf_token": csrf_of(officer)}, follow_redirects=True
    )
    assert own.status_code == 403
    assert "self_approval" in _text(own)

    auditor = _signed_in(console, "auditor")
    refused = auditor.post(
        "/console/rules/new",
        data={"rule_yaml": ruletext.dump(_rule("CUS-0101")), "reason": "x", "csrf_token": csrf_of(auditor)},
        follow_redirects=True,
    )
    assert refused.status_code == 403 and "role_forbidden" in _text(refused)
    other = _signed_in(console, "mpi_officer")
    assert other.get("/console/rules/CUS-0100").status_code == 403  # agency_forbidden, from the API
    assert officer.get("/console/audit").status_code == 403


def test_review_page_shows_the_backtest_and_approves(console: Console) -> None:
    console.live_rule(_rule("CUS-0200", when={"all": [{"field": "booking.payment_method", "eq": "card"}]}))
    console.api("POST", "/v1/evaluations", "system", {"passengers": seed_flight()["passengers"][:50]})
    officer = _signed_in(console, "officer")
    officer.post(
        "/console/rules/new",
        data={"rule_yaml": ruletext.dump(_rule()), "reason": "pattern", "csrf_token": csrf_of(officer)},
    )
    officer.post("/console/rules/CUS-0100/versions/1/submit", data={"csrf_token": csrf_of(officer)})
    approver = _signed_in(console, "approver")
    review = approver.get("/console/rules/CUS-0100/versions/1/review")
    assert review.status_code == 200
    expected = console.api("POST", "/v1/rules/CUS-0100/versions/1/backtest", "approver", {})
    assert expected["evaluated"] == 50
    assert f"<strong>{expected['matched']}</strong> of <strong>50</strong>" in _text(review)
    bad_window = approver.get("/console/rules/CUS-0100/versions/1/review?since=yesterday")
    assert 'id="since-errors"' in _text(bad_window)
    approved = approver.post(
        "/console/rules/CUS-0100/versions/1/approve", data={"reason": "checked", "csrf_token": csrf_of(approver)}
    )
    assert approved.status_code == 303
    assert console.api("GET", "/v1/rules/CUS-0100", "approver")["versions"][0]["approved_by"] == "ben.walker@customs"


def test_the_try_it_panel_shows_what_a_draft_says_of_sample_passengers(console: Console) -> None:
    officer = _signed_in(console, "officer")
    officer.post(
        "/console/rules/new",
        data={"rule_yaml": ruletext.dump(_rule()), "reason": "pattern", "csrf_token": csrf_of(officer)},
    )
    samples = '[{"passenger_id": "TRY-A", "booking": {"payment_method": "cash"}}, {"passenger_id": "TRY-B"}]'
    tried = officer.post(
        "/console/rules/CUS-0100/versions/1/try", data={"passengers": samples, "csrf_token": csrf_of(officer)}
    )
    page = _text(tried)
    assert tried.status_code == 200 and 'id="try-result"' in page
    rows = re.findall(r'<th scope="row">(TRY-[AB])</th>\s*<td>(yes|no)</td>', page)
    assert rows == [("TRY-A", "yes"), ("TRY-B", "no")]
    assert "<code>booking.payment_method</code> eq" in page
    not_json = officer.post(
        "/console/rules/CUS-0100/versions/1/try",
        data={"passengers": "{cash", "csrf_token": csrf_of(officer)},
        follow_redirects=True,
    )
    assert not_json.status_code == 422 and 'id="try-passengers-errors"' in _text(not_json)
    bad_record = officer.post(
        "/console/rules/CUS-0100/versions/1/try",
        data={"passengers": '{"passenger_id": "x", "booking": {"checked_bags": -1}}', "csrf_token": csrf_of(officer)},
        follow_redirects=True,
    )
    assert bad_record.status_code == 422
    assert "passengers[0].booking.checked_bags" in _text(bad_record)


def test_passenger_hits_with_explanations_watchlist_and_dispositions(console: Console) -> None:
    console.import_seeds()
    console.api("POST", "/v1/evaluations", "system", {"passenger": WATCHLISTED})
    officer = _signed_in(console, "officer")
    listing = officer.get("/console/flights/NZ5/2026-12-01?q=brandauer")
    assert listing.status_code == 200
    link = re.search(r'href="(/console/passengers/[^"]+)">BRANDAUER, Friederike<', _text(listing)).group(1)
    page = _text(officer.get(link))
    # Identity first, then the hits, then what made up the score.
    assert page.index("C8K2L7M9N") < page.index('id="hits-title"') < page.index('id="contributions-title"')
    assert "CUS-0015" in page and "CUS-WL-0001" in page
    assert "date of birth: exact" in page and "watchlist.customs_score" in page
    hit_id = re.search(r'id="hit-([0-9a-f-]{36})"', page).group(1)
    assert "<title>Passenger WALK-2 on NZ5" in page and "BRANDAUER" not in page.split("</title>")[0]

    refused = officer.post(
        f"{link}/hits/{hit_id}/disposition", data={"status": "cleared", "note": " ", "csrf_token": csrf_of(officer)}
    )
    assert refused.status_code == 303 and refused.location.endswith(f"#hit-{hit_id}")
    shown = officer.get(refused.location)
    assert shown.status_code == 422
    note_errors = re.search(rf'id="note-{hit_id}-errors">(.*?)</ul>', _text(shown), re.S)
    assert note_errors and "required for a disposition" in note_errors.group(1)

    recorded = officer.post(
        f"{link}/hits/{hit_id}/disposition",
        data={"status": "referred", "note": "Referred to the baggage team", "csrf_token": csrf_of(officer)},
    )
    assert recorded.status_code == 303
    after = _text(officer.get(link))
    assert "Referred to the baggage team" in after and "aroha.ngata@customs" in after
    assert console.api("GET", f"/v1/hits/{hit_id}", "officer")["status"] == "referred"


def test_flights_page_lists_the_day_and_opens_a_flight(console: Console) -> None:
    console.live_rule(_rule())
    console.api("POST", "/v1/evaluations", "system", {"passenger": WATCHLISTED})
    officer = _signed_in(console, "officer")
    day = _text(officer.get("/console/flights?date=2026-12-03"))  # NZ5 lands on the 3rd in New Zealand
    assert 'href="/console/flights/NZ5/2026-12-01"' in day
    assert "LAX → AKL" in day and "Thu 3 Dec 08:00" in day
    assert 'href="/console/flights?date=2026-12-02" rel="prev"' in day
    located = officer.get("/console/flights?date=2026-12-03&flight=nz 5")
    assert located.location == "/console/flights/NZ5/2026-12-01"
    elsewhere = officer.get("/console/flights?date=2026-12-04&flight=NZ5")
    assert elsewhere.status_code == 422 and "No flight NZ5 arrives on 2026-12-04" in _text(elsewhere)
    bad = _text(officer.get("/console/flights?date=1-2-3"))
    assert 'id="date-errors"' in bad
    missing = officer.get("/console/flights/NZ9/2026-12-01")
    assert missing.status_code == 404 and "flight_not_found" in _text(missing)


def test_history_diff_and_audit_for_auditors(console: Console) -> None:
    console.live_rule(_rule())
    console.api("POST", "/v1/rules/CUS-0100/versions", "officer", {"rule": _rule(weight=55), "reason": "heavier"})
    auditor = _signed_in(console, "auditor")
    page = _text(auditor.get("/console/rules/CUS-0100/history"))
    assert "aroha.ngata@customs" in page and "ben.walker@customs" in page
    assert "Audit chain verified" in page
    assert "<code>weight</code>" in page  # what changed, from the API's diff
    assert '<span class="visually-hidden">removed: </span><code>weight: 40</code>' in page
    assert '<span class="visually-hidden">added: </span><code>weight: 55</code>' in page

    audit = auditor.get("/console/audit?rule=CUS-0100")
    assert audit.status_code == 200 and "rule.approve" in _text(audit)
    bad = auditor.get("/console/audit?from=not-a-date")
    assert bad.status_code == 422
    assert re.search(r'id="f-from-errors">\s*<li>', _text(bad))


def test_a_revoked_key_signs_the_officer_out(console: Console) -> None:
    client = _signed_in(console, "officer")
    console.services.key_store.revoke_key("kcusofficer", OPERATOR)
    response = client.get("/console/rules")
    assert response.status_code == 303 and response.location == "/console/sign-in?next=/console/rules"
    assert "Please sign in again" in _text(client.get("/console/sign-in"))


def test_console_secret_key_is_generated_once_into_the_instance_folder(tmp_path: Any) -> None:
    settings = Settings(instance_path=str(tmp_path))
    first = settings.resolved_console_secret_key()
    assert first == Settings(instance_path=str(tmp_path)).resolved_console_secret_key()
    assert oct((tmp_path / "console.key").stat().st_mode & 0o777) == "0o600"
    assert Settings(instance_path=str(tmp_path), console_secret_key="fixed").resolved_console_secret_key() == b"fixed"
    assert Settings.from_env({"CONSOLE_SECRET_KEY": "from-env"}).console_secret_key == "from-env"


@pytest.mark.parametrize(
    ("path", "line"),
    [("weight", 4), ("when.all[1].field", 10), ("when.all[1]", 10), ("when.all[7]", 8), ("nothing", None)],
)
def test_locate_finds_an_error_path_in_the_text(path: str, line: int | None) -> None:
    assert ruletext.locate(RULE_WITH_TYPO, path) == line


def test_side_by_side_aligns_changes() -> None:
    rows = ruletext.side_by_side("a\nb\nc\n", "a\nB\nc\nd\n")
    assert [(r.kind, r.old_number, r.new_number) for r in rows] == [
        ("equal", 1, 1),
        ("replace", 2, 2),
        ("equal", 3, 3),
        ("insert", None, 4),
    ]


def test_a_key_with_no_console_role_is_refused_at_sign_in(console: Console) -> None:
    client = console.app.test_client()
    assert sign_in(client, console.keys["system"]).status_code == 303
    refused = client.get("/console/sign-in")
    assert refused.status_code == 422
    assert "has no console role" in _text(refused)
    assert client.get("/console/flights").status_code == 303  # still signed out: sent to sign in


def test_an_unknown_console_page_is_an_html_404_and_the_api_keeps_json(console: Console) -> None:
    officer = _signed_in(console, "officer")
    page = officer.get("/console/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "There is no such page in the console." in _text(page)
    api = console.app.test_client().get("/v1/no-such-endpoint")
    assert api.status_code == 404 and api.get_json()["code"] == "not_found"


def test_retiring_takes_a_reason_and_a_confirmation(console: Console) -> None:
    console.live_rule(_rule())
    officer = _signed_in(console, "officer")
    bare = officer.post(
        "/console/rules/CUS-0100/retire", data={"reason": "", "csrf_token": csrf_of(officer)}, follow_redirects=True
    )
    assert bare.status_code == 422
    assert 'id="retire-reason-errors"' in _text(bare) and 'id="retire-confirm-errors"' in _text(bare)
    assert console.api("GET", "/v1/rules/CUS-0100", "officer")["active_version"] == 1
    retired = officer.post(
        "/console/rules/CUS-0100/retire",
        data={"reason": "pattern no longer seen", "confirm": "yes", "csrf_token": csrf_of(officer)},
    )
    assert retired.status_code == 303
    assert console.api("GET", "/v1/rules/CUS-0100", "officer")["active_version"] is None


def test_pages_carry_a_favicon(console: Console) -> None:
    page = _text(console.app.test_client().get("/console/sign-in"))
    [href] = re.findall(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)"', page)
    icon = console.app.test_client().get(href)
    assert icon.status_code == 200 and b"<svg" in icon.data


def test_the_audit_page_opens_newest_first_and_pages_both_ways(console: Console) -> None:
    for number in range(4):
        console.api("POST", "/v1/rules", "officer", {"rule": _rule(f"CUS-01{number + 10}"), "reason": "paging"})
    newest = [entry["seq"] for entry in console.api("GET", "/v1/audit?order=newest&limit=4", "auditor")["entries"]]

    def shown(page: str) -> list[int]:
        return [int(seq) for seq in re.findall(r'<th scope="row" class="num">(\d+)</th>', page)]

    auditor = _signed_in(console, "auditor")
    first = _text(auditor.get("/console/audit?limit=2"))
    assert "newest first" in first and shown(first) == newest[:2]
    assert "Newer entries" not in first
    older = re.search(r'href="([^"]+)" rel="next">Older entries', first).group(1).replace("&amp;", "&")
    second = _text(auditor.get(older))
    assert shown(second) == newest[2:4]
    newer = re.search(r'href="([^"]+)" rel="prev">Newer entries', second).group(1).replace("&amp;", "&")
    assert shown(_text(auditor.get(newer))) == newest[:2]
