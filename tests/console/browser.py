"""Driving the console in headless Chromium: the browser, the app behind a local server, and one
person at the browser (``Officer``) with the checks every page passes.

The browser is Debian's Chromium and chromedriver (.ci/run installs them); nothing is downloaded
at run time. Without them a browser test is skipped, except in CI (``CI=true``, as .ci/run sets)
or when refreshing screenshots, where that is a failure.

Screenshots go to build/screenshots/ (ignored by git) on every run; ``bash
scripts/refresh_screenshots.sh`` (``REFRESH_DOCS=1``) also writes them over docs/.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.console.conftest import ROOT, Console

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DOCS = ROOT / "docs"
SCREENSHOTS = ROOT / "build" / "screenshots"
REFRESH_DOCS = os.environ.get("REFRESH_DOCS", "") == "1"
#: In CI a missing browser must fail the run: skipped browser tests would leave it green.
BROWSER_REQUIRED = REFRESH_DOCS or os.environ.get("CI", "").lower() in ("1", "true", "yes")
DESKTOP = (1280, 900)
PHONE = (360, 780)


def require_chromium() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        reason = (
            f"needs Debian's chromium and chromium-driver; missing {', '.join(missing)} "
            "(.ci/run installs them: apt-get install chromium chromium-driver)"
        )
        if BROWSER_REQUIRED:
            pytest.fail(f"{reason}; CI=true or REFRESH_DOCS=1, so this is a failure, not a skip", pytrace=False)
        pytest.skip(reason)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    options.add_argument(f"--window-size={DESKTOP[0]},{DESKTOP[1]}")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(2)
    try:
        yield driver
    finally:
        driver.quit()


@contextlib.contextmanager
def served(console: Console) -> Iterator[str]:
    """The console's app behind werkzeug's server on a free loopback port: its base URL."""
    server = make_server("127.0.0.1", 0, console.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


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


INVALID_STYLE = """
const style = getComputedStyle(arguments[0]);
return [style.borderTopColor, style.backgroundColor];
"""


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

    def open(self, path: str) -> None:
        """Load a console page by its address (what a bookmark or a typed address does)."""
        self.driver.get(f"{self.base}{path}")

    def screenshot(self, name: str, max_height: int = 1400, width: int = DESKTOP[0]) -> None:
        """The page at ``width`` (the phone's, or the desktop's), cut at ``max_height``; the window is
        put back to the desktop's size after."""
        self.driver.set_window_size(width, DESKTOP[1])
        height, chrome = self.driver.execute_script(
            "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]"
        )
        self.driver.set_window_size(width, min(max(height, 600), max_height) + chrome)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        assert self.driver.save_screenshot(str(SCREENSHOTS / name)), name
        if REFRESH_DOCS:
            shutil.copyfile(SCREENSHOTS / name, DOCS / name)
        self.driver.set_window_size(*DESKTOP)

    def invalid_style(self, selector: str) -> list[str]:
        """The border colour and background a control is drawn with."""
        return list(self.driver.execute_script(INVALID_STYLE, self.css(selector)))
