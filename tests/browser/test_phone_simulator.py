"""The development phone simulator in headless Chromium, texting the running stack's SMS endpoint.

It goes the whole way a text from Twilio goes: the page, the simulator's signed POST over HTTP,
the SMS endpoint, Rasa and back as TwiML, one bubble per <Message>.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import WAIT_SECONDS, assert_no_alert, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.stack]

MENU_LINE = re.compile(r"^(\d{1,2}) (.+)$")


class PhonePage:
    """The simulator page, used as a developer would: type, press Send, read the bubbles."""

    def __init__(self, driver: webdriver.Chrome, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    def wait(self) -> WebDriverWait:
        return WebDriverWait(self.driver, WAIT_SECONDS)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def open(self) -> "PhonePage":
        """Load the page and wait until its script has picked a number."""
        self.driver.get(f"{self.base_url}/dev/phone")
        self.wait().until(
            lambda d: (
                d.execute_script("return document.readyState") == "complete"
                and self.find("#address").text.startswith("+1555")
            ),
            "the simulator page did not load (or its script did not run)",
        )
        return self

    @property
    def status(self) -> str:
        return self.find("#status").text

    def bubbles(self, who: str) -> List[str]:
        """The words of the "user" or "bot" bubbles, in order (read in one step)."""
        return self.driver.execute_script(
            "return Array.from(document.querySelectorAll('#thread > li.msg.' + arguments[0]),"
            " function (li) { var t = li.querySelector('.text'); return t ? t.innerText : ''; })",
            who,
        )

    def replies_after(self, before: int) -> List[str]:
        """Wait until Puente's bubbles come (or the page shows a problem); return the new ones."""

        def answered(_driver) -> bool:
            if len(self.bubbles("bot")) > before:
                return True
            return bool(self.status) and self.status != "Sending…"

        self.wait().until(answered, f"no reply within {WAIT_SECONDS} s")
        replies = self.bubbles("bot")[before:]
        assert replies, f"Puente did not answer; the page says: {self.status!r}"
        return replies

    def text(self, words: str) -> List[str]:
        """Type a text, press Send, and return Puente's new bubbles."""
        before = len(self.bubbles("bot"))
        box = self.find("#body")
        box.clear()
        box.send_keys(words)
        self.find("#send").click()
        return self.replies_after(before)

    def send_photo(self) -> List[str]:
        """Press "Send a photo (no text)" and return Puente's new bubbles."""
        before = len(self.bubbles("bot"))
        self.find("#photo").click()
        return self.replies_after(before)

    def screenshot(self, name: str) -> Path:
        """Save what the screen shows now, for a person to look at."""
        return screenshot(self.driver, name)


@pytest.fixture
def phone_page(browser: webdriver.Chrome, stack) -> PhonePage:
    return PhonePage(browser, stack.web_url).open()


def menu(replies: List[str]) -> List[str]:
    """The titles of the numbered menu in Puente's replies ("Reply with a number:", "1 ...")."""
    for reply in replies:
        # Short texts may be joined into one SMS, so the menu can follow other words.
        lines = [line.strip() for line in reply.splitlines() if line.strip()]
        if "Reply with a number:" in lines:
            found = [
                MENU_LINE.match(line) for line in lines[lines.index("Reply with a number:") + 1 :]
            ]
            assert all(found), f"a menu line is not '<number> <title>': {lines}"
            assert [int(m.group(1)) for m in found] == list(range(1, len(found) + 1)), lines
            return [m.group(2) for m in found]
    return []


def test_texting_puente_from_the_simulator(phone_page: PhonePage):
    page = phone_page
    assert "Development simulator: not for real conversations" in page.find(".dev-banner").text
    assert page.driver.execute_script("return window.innerWidth") <= 390, "not a phone-sized window"

    replies = page.text("hi")
    assert page.bubbles("user") == ["hi"]
    assert any("Puente" in reply for reply in replies), f"no greeting from Puente: {replies}"
    titles = menu(replies)
    assert len(titles) >= 2, f"no numbered menu in Puente's replies: {replies}"

    # The second item ("My passport"): the first, danger, hands the conversation to a person, and
    # the bot then stays silent (tests/test_handoff_stack.py).
    replies = page.text("2")
    # The answer is about the item: it uses one of the item's own words ("passport").
    words = set(re.findall(r"[a-z]{4,}", titles[1].lower()))
    said = " ".join(replies).lower()
    assert words and any(word in said for word in words), (
        f"the answer to 2 ({titles[1]!r}) is not about it: {replies}"
    )
    assert menu(replies) != titles, f"the same menu came back: {replies}"

    replies = page.send_photo()
    assert any("cannot see photos" in reply for reply in replies), replies
    sent = page.driver.find_elements(By.CSS_SELECTOR, "#thread > li.msg.user")
    assert sent[-1].find_element(By.CSS_SELECTOR, ".note").text == "[photo attached]"

    attack = "<img src=x onerror=alert(1)>"
    page.text(attack)
    assert_no_alert(page.driver)
    assert page.bubbles("user")[-1] == attack, "the text is not shown as typed"
    assert page.driver.find_elements(By.CSS_SELECTOR, "img") == [], "the text became HTML"
    assert page.find("#outbox-title").text == "Outbound texts (outbox)"
    page.screenshot("phone-simulator")


def test_no_serious_accessibility_violations(phone_page: PhonePage, axe_source: str):
    page = phone_page
    page.text("hi")
    driver = page.driver
    driver.execute_script(axe_source)
    result = driver.execute_async_script(
        """
        var done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(function (r) {
          done({violations: r.violations.map(function (v) {
            return {id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(function (n) { return n.html; })};
          })});
        }).catch(function (e) { done({error: String(e)}); });
        """
    )
    assert "error" not in result, f"axe failed: {result.get('error')}"
    blocking = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not blocking, f"serious or critical accessibility violations: {blocking}"
