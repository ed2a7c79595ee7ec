"""The officer's, the approver's and the auditor's work in headless Chromium, on the 300-passenger NZ5
flight (landing in Auckland at 08:00 on 3 December) with the seeded rules and one change of
CUS-0012 awaiting approval.

One app and one browser for the module; each test signs in as whom it needs. The pages walked
here are the ones docs/ shows (desktop and phone): the worklist, a passenger, the approval queue
and the identity-view log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.console.browser import PHONE, Officer, chromium, served
from tests.console.conftest import Console, build_console, seed_flight

DAY = "2026-12-03"
#: How the console draws a field in error (its --bad colour, border and background).
BAD_BORDER, BAD_PANEL = "rgb(164, 22, 26)", "rgb(253, 236, 236)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def live(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, str]]:
    console = build_console(tmp_path_factory.mktemp("work"))
    console.import_seeds()
    console.api("POST", "/v1/evaluations", "system", {"passengers": seed_flight()["passengers"]})
    # A change for the approver's queue: CUS-0012 also for whoever declares food.
    rule = console.api("GET", "/v1/rules/CUS-0012/versions/1", "officer")["content"]
    wider = {**rule, "when": {"any": [rule["when"], {"field": "declarations.food", "eq": True}]}}
    console.api("POST", "/v1/rules/CUS-0012/versions", "officer", {"rule": wider, "reason": "Food too: CI-2026-230"})
    console.api("POST", "/v1/rules/CUS-0012/versions/2/submit", "officer", {"reason": "ready"})
    with served(console) as base:
        yield console, base
    console.services.engine.dispose()


def _rows(console: Console, query: str) -> list[dict[str, Any]]:
    return console.api("GET", f"/v1/worklist?date={DAY}&{query}", "officer")["rows"]  # type: ignore[no-any-return]


def _name(row: dict[str, Any]) -> str:
    identity = row["identity"]
    return f"{identity['family_name'].upper()}, {identity['given_names']}"


def test_the_top_open_customs_passenger_on_nz5_in_three_clicks_then_the_next(live: Any, browser: Any) -> None:
    from selenium.webdriver.support.ui import Select

    console, base = live
    me = Officer(browser, base)
    me.sign_in(console.keys["officer"])
    assert me.css("h1").text.startswith("Worklist: arriving")  # an officer starts at the worklist
    me.open(f"/console/flights?date={DAY}")
    me.check_page()
    row = me.css("table.flights tbody tr")
    assert row.find_element("css selector", "th").text == "NZ5"
    assert "LAX → AKL" in row.text and "Thu 3 Dec 08:00" in row.text and "300" in row.text
    expected = _rows(console, "flight=NZ5&limit=2")

    me.go(me.css("table.flights a[href*='worklist']"))  # 1: the flight's open Customs hits
    assert me.css("h1").text == "Worklist: arriving Thursday 3 December 2026"
    assert me.css("#f-flight").get_attribute("value") == "NZ5"
    me.go(me.css("table.worklist tbody tr th a"))  # 2: the top passenger
    assert me.css("h1").text == _name(expected[0]) == "BRANDAUER, Friederike"
    identity = me.css("dl.identity").text
    assert "1983-03-15" in identity and "C8K2L7M9N" in identity and "JQ9BRF" in identity
    main = me.text()
    assert main.index("C8K2L7M9N") < main.index("Hits: 1 open of 1") < main.index("What made up the score")
    me.check_page()
    me.screenshot("console-passenger.png", max_height=1300)
    me.screenshot("console-passenger-phone.png", max_height=1500, width=PHONE[0])
    hit = expected[0]["hits"][0]["id"]
    Select(me.css(f"#status-{hit}")).select_by_visible_text("Referred")
    me.css(f"#note-{hit}").send_keys("Watchlist match confirmed: referred to the baggage hall")
    me.go(me.button("Record disposition"))  # 3: recorded
    assert "Hit on CUS-0015 recorded as Referred." in me.flash()
    assert console.api("GET", f"/v1/hits/{hit}", "officer")["status"] == "referred"

    me.go(me.css("#next-passenger"))
    assert me.css("h1").text == _name(expected[1])
    assert "open of" in me.css("#hits-title").text


def test_search_filters_and_paging(live: Any, browser: Any) -> None:
    console, base = live
    me = Officer(browser, base)
    me.sign_in(console.keys["officer"])
    me.open(f"/console/worklist?date={DAY}&status=all")
    for query in ("friederike brandauer", "C8K2 L7M9N"):  # a name, and a document as typed from the passport
        search = me.css("#f-q")
        search.clear()
        search.send_keys(query)
        me.go(me.button("Apply"))
        names = [cell.text for cell in me.all("table.worklist tbody th a")]
        assert names == ["BRANDAUER, Friederike"], query

    # The whole flight: 300 passengers, by band and nationality, 50 a page.
    me.open("/console/flights/NZ5/2026-12-01")
    assert "Rows 1–50 of 300" in me.css(".pager").text
    first_page = [row.text for row in me.all("table.priority tbody tr")]
    me.go(me.css(".pager a[rel='next']"))
    assert "Rows 51–100 of 300" in me.css(".pager").text
    assert not {row.text for row in me.all("table.priority tbody tr")} & set(first_page)
    me.go(me.css(".pager a[rel='prev']"))
    assert [row.text for row in me.all("table.priority tbody tr")] == first_page
    expected = console.api("GET", "/v1/flights/NZ5/2026-12-01/priority?band=high&nationality=USA", "officer")
    me.css("#f-nationality").send_keys("usa")
    from selenium.webdriver.support.ui import Select

    Select(me.css("#f-band")).select_by_value("high")
    me.go(me.button("Apply"))
    rows = me.all("table.priority tbody tr")
    assert len(rows) == expected["total"] > 0
    assert all("USA" in row.text and "high" in row.text for row in rows)
    me.check_page()

    # A refused filter is drawn in the error style, next to its field.
    me.open(f"/console/worklist?date={DAY}&nationality=US")
    assert me.css("#f-nationality").get_attribute("aria-invalid") == "true"
    assert me.invalid_style("#f-nationality") == [BAD_BORDER, BAD_PANEL]
    assert me.invalid_style("#f-flight") != [BAD_BORDER, BAD_PANEL]

    # The worklist on a desktop, then on a phone: rows become cards, nothing scrolls sideways.
    me.open(f"/console/worklist?date={DAY}&limit=25")
    me.check_page()
    me.screenshot("console-worklist.png", max_height=1000)
    browser.set_window_size(*PHONE)
    me.check_page()
    assert (
        browser.execute_script("return getComputedStyle(document.querySelector('table.worklist tbody tr')).display")
        == "block"
    )
    me.screenshot("console-worklist-phone.png", max_height=1600, width=PHONE[0])


def test_an_approver_works_the_approval_queue(live: Any, browser: Any) -> None:
    console, base = live
    me = Officer(browser, base)
    me.sign_in(console.keys["approver"])
    me.go(me.link("Approvals"))
    assert "1 for you to review" in me.text()
    row = me.css("table.approvals tbody tr")
    assert "CUS-0012" in row.text and "version 1 → 2" in row.text and "aroha.ngata@customs" in row.text
    me.check_page()
    me.screenshot("console-approvals.png", max_height=900)
    me.screenshot("console-approvals-phone.png", max_height=1400, width=PHONE[0])
    me.go(me.link("Review CUS-0012 v2"))
    current = console.api("POST", "/v1/rules/CUS-0012/versions/1/backtest", "approver", {})
    proposed = console.api("POST", "/v1/rules/CUS-0012/versions/2/backtest", "approver", {})
    compare = me.css("#backtest-compare").text
    before, after = current["matched"], proposed["matched"]
    assert f"Would match {before} {after} +{after - before}" in compare
    assert "In service (version 1)" in compare and "Proposed (version 2)" in compare
    assert not me.css("details.per-flight table").is_displayed()  # folded until asked for
    assert me.css("#change-title").text == "Change from version 1 (in service)"
    me.check_page()
    me.css("#approve-reason").send_keys("Backtest checked")
    me.go(me.button("Approve version 2"))
    assert "Approved CUS-0012 version 2" in me.flash()
    assert "Nothing is waiting for your approval" in me.text()


def test_an_auditor_reads_who_saw_which_passenger(live: Any, browser: Any) -> None:
    console, base = live
    shown = _rows(console, "status=all&q=brandauer")[0]["decision_id"]  # Aroha's search shows Brandauer's identity
    me = Officer(browser, base)
    me.sign_in(console.keys["auditor"])
    assert me.css("h1").text == "Audit log"  # an auditor starts at the audit log
    me.go(me.link("Identity views"))
    me.css("#f-actor").send_keys("aroha")
    me.go(me.button("Apply filters"))
    table = me.css("table.identity-views")
    newest = table.find_element("css selector", "tbody tr")
    assert "aroha.ngata@customs" in newest.text and "GET /v1/worklist" in newest.text
    assert shown in newest.text
    assert not re.search(r"brandauer|C8K2L7M9N|1983-03-15", me.text(), re.IGNORECASE)
    me.check_page()
    me.screenshot("console-identity-views.png", max_height=900)
    me.screenshot("console-identity-views-phone.png", max_height=1400, width=PHONE[0])


def test_a_retire_without_a_reason_is_refused_and_back_does_not_resubmit(live: Any, browser: Any) -> None:
    console, base = live
    me = Officer(browser, base)
    me.sign_in(console.keys["officer"])
    me.open("/console/rules/CUS-0001")
    me.button("Retire").click()  # the browser itself asks for the reason and the box first
    assert me.css("h1").text.startswith("CUS-0001")
    assert me.css("#retire-reason").get_attribute("validationMessage")
    # Past the browser's own check, the console refuses it too, and shows where.
    browser.execute_script("document.getElementById('retire-reason').form.noValidate = true")
    me.go(me.button("Retire"))
    assert "Retiring takes a reason and a confirmation." in me.css(".error-summary").text
    assert "Say why the rule is retired." in me.css("#retire-reason-errors").text
    assert me.invalid_style("#retire-reason") == [BAD_BORDER, BAD_PANEL]
    assert console.api("GET", "/v1/rules/CUS-0001", "officer")["active_version"] == 1
    me.check_page()
    with me.next_page():
        browser.back()  # the page before the form, not "Confirm form resubmission"
    assert me.css("h1").text.startswith("CUS-0001") and not me.all(".error-summary")
