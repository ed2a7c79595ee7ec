"""The console end to end in headless Chromium: author, approve, activate, work a flight, audit.

The app runs in a thread behind werkzeug's server on a free loopback port (SQLite, the
in-process cache). The browser is Debian's Chromium and chromedriver (.ci/run installs
them); nothing is downloaded at run time. Without them the test is skipped, except in CI
(``CI=true``, as .ci/run sets) or when refreshing screenshots, where that is a failure.

The run leaves screenshots of the three main pages in build/screenshots/ (ignored by git);
``bash scripts/refresh_screenshots.sh`` (``REFRESH_DOCS=1``) also writes them over docs/.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.console.conftest import ROOT, Console, build_console, seed_flight

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DOCS = ROOT / "docs"
SCREENSHOTS = ROOT / "build" / "screenshots"
REFRESH_DOCS = os.environ.get("REFRESH_DOCS", "") == "1"
#: In CI a missing browser must fail the run: skipped browser tests would leave it green.
BROWSER_REQUIRED = REFRESH_DOCS or os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module", autouse=True)
def _chromium() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        reason = (
            f"needs Debian's chromium and chromium-driver; missing {', '.join(missing)} "
            "(.ci/run installs them: apt-get install chromium chromium-driver)"
        )
        if BROWSER_REQUIRED:
            pytest.fail(f"{reason}; CI=true or REFRESH_DOCS=1, so this is a failure, not a skip", pytrace=False)
        pytest.skip(reason)


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

# Checks run on every page the scenario visits: labelled controls, one h1, a skip link to
# <main>, tables with captions and header cells, and no sideways scrolling of the page.
PAGE_CHECKS = """
const problems = [];
for (const el of document.querySelectorAll('input, select, textarea')) {
  if (el.type === 'hidden') continue;
  if (!el.labels || el.labels.length === 0) problems.push('unlabelled ' + el.outerHTML.slice(0, 80));
}
if (document.querySelectorAll('h1').length !== 1) problems.push('expected one h1');
const skip = document.querySelector('a.skip-link');
if (!skip || skip.getAttribute('href') !== '#main' || !document.getElementById('main')) problems.push('skip link');
for (const table of document.querySelectorAll('table')) {
  if (!table.querySelector('caption')) problems.push('table without caption');
  if (!table.querySelector('th')) problems.push('table without header cells');
}
if (document.documentElement.scrollWidth > window.innerWidth + 1) problems.push('page scrolls sideways');
return problems;
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, str]]:
    console = build_console(tmp_path_factory.mktemp("console"))
    console.import_seeds()
    # Yesterday's traffic on the flight: what the approver's backtest runs over.
    console.api("POST", "/v1/evaluations", "system", {"passengers": seed_flight()["passengers"]})
    server = make_server("127.0.0.1", 0, console.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield console, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)
    console.services.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,900")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(2)
    yield driver
    driver.quit()


class Officer:
    """One person at the browser."""

    def __init__(self, driver: Any, base: str) -> None:
        self.driver = driver
        self.base = base

    def css(self, selector: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def link(self, text: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.LINK_TEXT, text)

    def button(self, text: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.XPATH, f"//button[normalize-space()='{text}']")

    def go(self, element: Any) -> None:
        """Click something that loads a page, and wait until the next page has replaced this one."""
        with self.next_page():
            element.click()

    @contextlib.contextmanager
    def next_page(self) -> Iterator[None]:
        """Wait, after the block, until a new page has replaced the current one and finished loading."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        page = self.css("html")
        yield

        def replaced(driver: Any) -> bool:
            try:
                return bool(expected_conditions.staleness_of(page)(driver))
            except WebDriverException as exc:
                # Chromium sometimes reports the old node this way while the next page loads.
                if "does not belong to the document" in str(exc):
                    return True
                raise

        WebDriverWait(self.driver, 30).until(replaced)
        WebDriverWait(self.driver, 30).until(
            lambda driver: driver.execute_script("return document.readyState") == "complete"
        )

    def text(self) -> str:
        return str(self.css("main").text)

    def check_page(self) -> None:
        assert self.driver.execute_script(PAGE_CHECKS) == [], self.driver.current_url

    def sign_in(self, key: str) -> None:
        from selenium.webdriver.common.keys import Keys

        self.driver.delete_all_cookies()
        self.driver.get(f"{self.base}/console/sign-in")
        self.check_page()
        # Keyboard only: the first Tab reaches the skip link; the key is typed and Enter submits.
        self.css("body").send_keys(Keys.TAB)
        assert self.driver.switch_to.active_element.get_attribute("class") == "skip-link"
        with self.next_page():
            self.css("#api_key").send_keys(key + Keys.ENTER)
        assert "Signed in as" in self.css("header").text

    def sign_out(self) -> None:
        self.go(self.button("Sign out"))
        assert "Signed out." in self.text()

    def flash(self) -> str:
        return " ".join(element.text for element in self.all(".notice"))

    def screenshot(self, name: str, max_height: int = 2000) -> None:
        width = self.driver.get_window_size()["width"]
        height, chrome = self.driver.execute_script(
            "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]"
        )
        self.driver.set_window_size(width, min(max(height, 700), max_height) + chrome)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        assert self.driver.save_screenshot(str(SCREENSHOTS / name)), name
        if REFRESH_DOCS:
            shutil.copyfile(SCREENSHOTS / name, DOCS / name)
        self.driver.set_window_size(width, 900)


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
    me.screenshot("console-rules.png")
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

    # 2. Ben, an approver, reads the backtest over the flight already evaluated, approves and activates.
    me.sign_in(console.keys["approver"])
    browser.get(f"{base}/console/rules/CUS-0100")
    me.go(me.link("Review and approve"))
    me.check_page()
    expected = console.api("POST", "/v1/rules/CUS-0100/versions/1/backtest", "approver", {})
    assert expected["matched"] == 7 and expected["evaluated"] >= 300
    shown = f"{expected['matched']} of {expected['evaluated']} passengers evaluated"
    assert shown in me.css("#backtest-result").text
    assert "NZ5" in me.css("table").text  # per flight
    me.css("#approve-reason").send_keys(f"Backtest: {shown}")
    me.go(me.button("Approve version 1"))
    assert "Approved CUS-0100 version 1." in me.flash()
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

    # 4. Aroha opens the day's flights, the priority list, the top passenger, and records a disposition.
    me.sign_in(console.keys["officer"])
    me.go(me.link("Flights"))
    browser.execute_script("document.getElementById('date').value = '2026-12-01'")
    me.go(me.button("Show"))
    me.go(me.link("NZ5"))
    assert "NZ5 on 2026-12-01: priority list" in me.css("h1").text
    rows = me.all("table.priority tbody tr")
    assert len(rows) == 300
    assert "CUS-0100" in " ".join(row.text for row in rows)
    me.check_page()
    me.screenshot("console-priority.png", max_height=1500)
    browser.set_window_size(820, 1180)  # a tablet held upright: the table scrolls, the page does not
    me.check_page()
    browser.set_window_size(1280, 900)
    top = rows[0].find_element("css selector", "th a")
    top_name = top.text
    me.go(top)
    assert f"Passenger {top_name} on NZ5 2026-12-01" in me.css("h1").text
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
    browser.get(f"{base}/console/rules/CUS-0100")
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
    me.screenshot("console-history.png")
    me.go(me.link("Audit log"))
    me.css("#f-rule").send_keys("CUS-0100")
    me.go(me.button("Apply filters"))
    me.check_page()
    assert "Audit chain verified" in me.css("#chain-status").text
    entries = me.css("table.audit").text
    assert "rule.approve" in entries and "ben.walker@customs" in entries
    me.sign_out()
