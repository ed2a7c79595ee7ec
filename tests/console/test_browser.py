"""The console end to end in headless Chromium: author, approve, activate, work a flight, audit.

The app runs in a thread behind werkzeug's server on a free loopback port (SQLite, the
in-process cache); ``tests/console/browser.py`` drives Debian's Chromium. The run leaves
screenshots of the pages it walks in build/screenshots/ (``bash scripts/refresh_screenshots.sh``
writes them over docs/).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.console.browser import Officer, chromium, served
from tests.console.conftest import Console, build_console, seed_flight

RULE = """\
id: CUS-0100
title: Cash or voucher fare through South America
description: Tickets paid in cash or by voucher on an itinerary through South America.
weight: 95
action: inspect
valid_until: 2027-12-31
when:
  all:
    - {field: booking.payment_methd, in: [cash, voucher]}
    - {field: itinerary.countries, contains_any: [COL, PER, BOL, CHL, ARG, BRA]}
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def live(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, str]]:
    console = build_console(tmp_path_factory.mktemp("console"))
    console.import_seeds()
    # Yesterday's traffic on the flight: what the approver's backtest runs over.
    console.api("POST", "/v1/evaluations", "system", {"passengers": seed_flight()["passengers"]})
    with served(console) as base:
        yield console, base
    console.services.engine.dispose()


def test_author_approve_activate_work_a_flight_and_audit(live: tuple[Console, str], browser: Any) -> None:
    from selenium.webdriver.support.ui import Select

    console, base = live
    me = Officer(browser, base)

    # 1. Aroha authors the rule with a typo, sees the problem at its path and line, fixes it and submits.
    me.sign_in(console.keys["officer"])
    me.go(me.link("Rules"))
    me.check_page()
    me.go(me.link("New rule"))
    me.css("#rule_yaml").send_keys(RULE)
    me.css("#reason").send_keys("Intelligence report CI-2026-207: cash fares through South America")
    me.go(me.button("Save draft"))
    error = me.css('li[data-path="when.all[0].field"]')
    assert "unknown field 'booking.payment_methd' (did you mean 'booking.payment_method'?)" in error.text
    assert "Line 9" in error.text
    assert me.css("#rule_yaml").get_attribute("aria-invalid") == "true"
    me.check_page()
    me.screenshot("console-rules.png", max_height=1100)
    me.link("Line 9").click()  # puts the caret on the line at fault; no page load
    selected = browser.execute_script(
        "const a = document.activeElement; return a.value.substring(a.selectionStart, a.selectionEnd);"
    )
    assert "booking.payment_methd" in selected
    area = me.css("#rule_yaml")
    area.clear()
    area.send_keys(RULE.replace("payment_methd", "payment_method"))
    me.go(me.button("Save draft"))
    assert "Saved CUS-0100 version 1 as a draft." in me.flash()
    me.go(me.button("Submit for approval"))
    assert "Submitted CUS-0100 version 1." in me.flash()
    me.sign_out()

    # 2. Ben, an approver, finds it in his queue, reads the backtest over the flight already evaluated,
    #    approves, and activates it.
    me.sign_in(console.keys["approver"])
    me.go(me.link("Approvals"))
    me.go(me.link("Review CUS-0100 v1"))
    me.check_page()
    expected = console.api("POST", "/v1/rules/CUS-0100/versions/1/backtest", "approver", {})
    assert expected["matched"] == 7 and expected["evaluated"] >= 300
    shown = f"{expected['matched']} of {expected['evaluated']} passengers evaluated"
    assert shown in me.css("#backtest-result").text and "the rule is not in service" in me.css("#backtest-result").text
    me.css("details.per-flight summary").click()  # the per-flight detail is folded
    assert "NZ5" in me.css("details.per-flight table").text
    me.css("#approve-reason").send_keys(f"Backtest: {shown}")
    me.go(me.button("Approve version 1"))
    assert "Approved CUS-0100 version 1" in me.flash()
    assert "Nothing is waiting for your approval" in me.text()
    me.open("/console/rules/CUS-0100")
    me.go(me.button("Activate"))
    assert "Activated CUS-0100 version 1." in me.flash()
    me.check_page()
    me.sign_out()

    # 3. The Customs system submits the flight again, now evaluated with the new rule.
    request = urllib.request.Request(
        f"{base}/v1/evaluations",
        data=json.dumps({"passengers": seed_flight()["passengers"]}).encode(),
        headers={"X-API-Key": console.keys["system"], "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.status == 200

    # 4. Aroha opens the flights arriving that day, NZ5's priority list narrowed to the new rule, the top
    #    passenger, and records a disposition.
    me.sign_in(console.keys["officer"])
    me.go(me.link("Flights"))
    browser.execute_script("document.getElementById('date').value = '2026-12-03'")
    me.go(me.button("Show"))
    me.go(me.link("NZ5"))
    assert "NZ5 departing 2026-12-01: priority list" in me.css("h1").text
    assert "300 passengers by relative risk" in me.text() and "Rows 1–50 of 300" in me.text()
    me.css("#f-rule").send_keys("CUS-0100")
    me.go(me.button("Apply"))
    rows = me.all("table.priority tbody tr")
    assert len(rows) == 7 and all("CUS-0100" in row.text for row in rows)
    me.check_page()
    me.screenshot("console-priority.png", max_height=900)
    browser.set_window_size(820, 1180)  # a tablet held upright: the table scrolls, the page does not
    me.check_page()
    browser.set_window_size(1280, 900)
    top = me.all("table.priority tbody tr")[0].find_element("css selector", "th a")
    top_name = top.text
    me.go(top)
    assert me.css("h1").text == top_name
    me.check_page()
    why = me.css("table.why")
    assert "Expected" in why.text and "Passenger's value" in why.text
    form = me.css("form.disposition")
    hit_id = form.find_element("css selector", "select").get_attribute("id").removeprefix("status-")
    Select(form.find_element("css selector", "select")).select_by_visible_text("Cleared")
    me.go(form.find_element("css selector", "button"))  # a disposition without a note: the API refuses
    assert "required for a disposition" in me.css(f"#note-{hit_id}-errors").text
    Select(me.css(f"#status-{hit_id}")).select_by_visible_text("Referred")
    me.css(f"#note-{hit_id}").send_keys("Referred to the baggage team at arrival")
    me.go(me.css(f"#hit-{hit_id} form.disposition button"))
    assert "recorded as Referred" in me.flash()
    hit = me.css(f"#hit-{hit_id}")
    assert "Referred" in hit.text and "aroha.ngata@customs" in hit.text
    assert console.api("GET", f"/v1/hits/{hit_id}", "officer")["status"] == "referred"

    # Aroha changes the rule: a second version, for the history's side-by-side difference.
    me.open("/console/rules/CUS-0100")
    me.go(me.link("Change (new draft version)"))
    area = me.css("#rule_yaml")
    changed = area.get_attribute("value").replace("weight: 95", "weight: 90")
    area.clear()
    area.send_keys(changed)
    me.css("#reason").send_keys("Less weight: most referrals so far were cleared")
    me.go(me.button("Save draft"))
    assert "Saved CUS-0100 version 2 as a draft." in me.flash()
    me.sign_out()

    # 5. Hana, an auditor, reads the rule's history with both names, the difference and the verified chain.
    me.sign_in(console.keys["auditor"])
    me.go(me.link("Rules"))
    me.go(me.link("CUS-0100"))
    me.go(me.link("History and differences"))
    me.check_page()
    first = me.all("table.history tbody tr")[0]
    assert "aroha.ngata@customs" in first.find_element("css selector", ".who-author").text
    assert "ben.walker@customs" in first.find_element("css selector", ".who-approver").text
    diff = me.css("table.diff")
    assert "weight: 95" in diff.text and "weight: 90" in diff.text
    assert "Audit chain verified" in me.css("#chain-status").text
    me.screenshot("console-history.png", max_height=1000)
    me.go(me.link("Audit log"))
    me.css("#f-rule").send_keys("CUS-0100")
    me.go(me.button("Apply filters"))
    me.check_page()
    assert "Audit chain verified" in me.css("#chain-status").text
    entries = me.css("table.audit").text
    assert "rule.approve" in entries and "ben.walker@customs" in entries
    me.sign_out()
