"""Browser test fixtures: Debian's headless Chromium, and the chat page as a person sees it.

Chromium and chromedriver come from Debian (/usr/bin); Selenium Manager is never used, so nothing
is downloaded. When either binary is missing the tests fail (they never skip): a missing browser
must not turn into a green run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator, List

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from scripts.model import REPO

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PHONE_WIDTH, PHONE_HEIGHT = 390, 844  # a small phone, in CSS pixels
DESK_WIDTH, DESK_HEIGHT = 1280, 900  # an advocate's laptop
WAIT_SECONDS = 30
SCREENSHOTS = REPO / "results" / "screenshots"
AXE_SCRIPT = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"

CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)


def require_executable(path: str, what: str) -> None:
    """Fail (not skip) with a clear message when a binary the tests need is missing."""
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            f"{what} is missing: {path} does not exist or is not executable. The browser tests "
            f"need Debian's chromium and chromium-driver packages "
            f"(apt-get install chromium chromium-driver).",
            pytrace=False,
        )


def start_chromium(profile_dir: Path, width: int, height: int) -> webdriver.Chrome:
    """A fresh headless Chromium of this window size, with its own empty profile."""
    require_executable(CHROMIUM, "Chromium")
    require_executable(CHROMEDRIVER, "chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in CHROMIUM_ARGS:
        options.add_argument(argument)
    options.add_argument(f"--window-size={width},{height}")
    profile_dir.mkdir(parents=True)
    options.add_argument(f"--user-data-dir={profile_dir}")
    # The page picks its language from Accept-Language: make "English first" explicit.
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
    # Leave any alert open, so a test can see it (instead of Selenium dismissing it silently).
    options.unhandled_prompt_behavior = "ignore"
    log = profile_dir.parent / f"{profile_dir.name}-chromedriver.log"
    service = Service(executable_path=CHROMEDRIVER, log_output=str(log))
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except WebDriverException as error:
        pytest.fail(f"Chromium did not start through {CHROMEDRIVER}: {error.msg}", pytrace=False)
    driver.set_window_size(width, height)
    driver.set_script_timeout(WAIT_SECONDS)
    driver.set_page_load_timeout(WAIT_SECONDS)
    return driver


def running_chromium(profile_dir: Path, width: int, height: int) -> Iterator[webdriver.Chrome]:
    """A fixture's Chromium: started, handed over, always quit."""
    driver = start_chromium(profile_dir, width, height)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium the size of a small phone: the survivor's."""
    yield from running_chromium(tmp_path / "phone-profile", PHONE_WIDTH, PHONE_HEIGHT)


@pytest.fixture
def desk_browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium the size of a laptop screen: the advocate's."""
    yield from running_chromium(tmp_path / "desk-profile", DESK_WIDTH, DESK_HEIGHT)


class ChatPage:
    """The web chat, driven the way a person uses it: type, press Send, read the replies."""

    def __init__(self, driver: webdriver.Chrome, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    # --- looking ------------------------------------------------------------------------------

    def wait(self, timeout: float = WAIT_SECONDS) -> WebDriverWait:
        return WebDriverWait(self.driver, timeout)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    @property
    def textarea(self) -> WebElement:
        return self.find("#text")

    @property
    def send_button(self) -> WebElement:
        return self.find("#send")

    @property
    def html_lang(self) -> str:
        return self.driver.execute_script("return document.documentElement.lang")

    @property
    def status(self) -> str:
        return self.find("#status").text

    def messages(self, who: str) -> List[WebElement]:
        """The message bubbles of "user" or "bot", in order."""
        return self.driver.find_elements(By.CSS_SELECTOR, f"#log > li.msg.{who}")

    @staticmethod
    def text_of(message: WebElement) -> str:
        """A bubble's words, without its "You"/"Puente" label."""
        return message.find_element(By.CSS_SELECTOR, ".text").text

    @staticmethod
    def buttons_of(message: WebElement) -> List[WebElement]:
        return message.find_elements(By.CSS_SELECTOR, ".choices button")

    def all_texts(self) -> List[str]:
        """Every bubble's words, read in one step (safe while the page rewrites the log)."""
        return self.driver.execute_script(
            "return Array.from(document.querySelectorAll('#log > li .text'),"
            " function (el) { return el.innerText; })"
        )

    # --- doing --------------------------------------------------------------------------------

    def open(self, query: str = "") -> "ChatPage":
        """Load the chat page and wait until its script is ready."""
        self.driver.get(f"{self.base_url}/{query}")
        self.wait().until(
            lambda d: (
                d.execute_script("return document.readyState") == "complete"
                and d.find_elements(By.CSS_SELECTOR, "#composer #send")
            )
        )
        return self

    def say(self, text: str) -> List[WebElement]:
        """Type a message, press Send, and return Puente's new reply bubbles."""
        before = len(self.messages("bot"))
        self.textarea.clear()
        self.textarea.send_keys(text)
        self.send_button.click()
        return self.wait_for_replies(before)

    def choose(self, message: WebElement, title: str) -> List[WebElement]:
        """Tap the quick-reply button with this title; return Puente's new reply bubbles."""
        matching = [b for b in self.buttons_of(message) if b.text == title]
        titles = [b.text for b in self.buttons_of(message)]
        assert matching, f"no quick-reply button {title!r}; buttons: {titles}"
        before = len(self.messages("bot"))
        matching[0].click()  # fails if the button is covered (e.g. by the sticky message box)
        return self.wait_for_replies(before)

    def wait_for_replies(self, before: int) -> List[WebElement]:
        """Wait until Puente answers (or the page shows an error), then return the new bubbles."""
        writing = {"Puente is writing…", "Puente está escribiendo…"}

        def answered(_driver) -> bool:
            if len(self.messages("bot")) > before:
                return True
            status = self.status
            return bool(status) and status not in writing

        self.wait().until(answered, f"no reply from Puente within {WAIT_SECONDS} s")
        replies = self.messages("bot")[before:]
        assert replies, f"Puente did not answer; the page says: {self.status!r}"
        return replies

    def hidden_by(self, element: WebElement) -> str:
        """What covers the element's centre, or is it off screen; empty when a person can see it."""
        return self.driver.execute_script(
            """
            var el = arguments[0], r = el.getBoundingClientRect();
            var x = r.left + r.width / 2, y = r.top + r.height / 2;
            if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) { return "off screen"; }
            var hit = document.elementFromPoint(x, y);
            if (hit && (hit === el || el.contains(hit))) { return ""; }
            if (!hit) { return "nothing"; }
            return hit.tagName.toLowerCase() + (hit.id ? "#" + hit.id : "")
                + (hit.className ? "." + String(hit.className).split(" ").join(".") : "");
            """,
            element,
        )

    def screenshot(self, name: str) -> Path:
        """Save what the phone's screen shows now, for a person to look at."""
        return screenshot(self.driver, name)


def screenshot(driver: webdriver.Chrome, name: str, full_page: bool = False) -> Path:
    """Save what the browser shows now (or the whole page) to results/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = driver.get_window_size()
    if full_page:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(size["width"], max(size["height"], height + 200))
    try:
        assert driver.save_screenshot(str(path)), f"could not save {path}"
    finally:
        if full_page:
            driver.set_window_size(size["width"], size["height"])
    return path


def assert_no_alert(driver: webdriver.Chrome) -> None:
    """Fail if the page opened an alert: typed text ran as script."""
    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return
    text = alert.text
    alert.dismiss()
    pytest.fail(f"the text ran as script: an alert opened ({text!r})")


@pytest.fixture
def chat_page(browser: webdriver.Chrome, stack) -> ChatPage:
    """The chat page in the browser, against the running stack (not loaded yet)."""
    return ChatPage(browser, stack.web_url)


BLOCKING_IMPACTS = {"serious", "critical"}
AXE_RUN = """
var done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(function (r) {
  done({violations: r.violations.map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map(function (n) {
              return {target: n.target, html: n.html, summary: n.failureSummary};
            })};
  })});
}).catch(function (e) { done({error: String(e)}); });
"""


def assert_accessible(driver: webdriver.Chrome, axe_source: str, report: Path) -> None:
    """Run axe-core on the page as it is; fail on any serious or critical violation."""
    driver.execute_script(axe_source)
    assert driver.execute_script("return typeof window.axe") == "object", "axe-core did not load"
    result = driver.execute_async_script(AXE_RUN)
    assert "error" not in result, f"axe failed: {result.get('error')}"
    violations = result["violations"]
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(violations, indent=2, ensure_ascii=False), encoding="utf-8")
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, (
        f"{len(blocking)} serious or critical accessibility violation(s); all violations:\n"
        + json.dumps(violations, indent=2, ensure_ascii=False)
    )


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's source (installed by `npm ci` in tests/browser)."""
    if not AXE_SCRIPT.is_file():
        pytest.fail(
            f"axe-core is missing: {AXE_SCRIPT} (run `npm ci` in tests/browser)", pytrace=False
        )
    return AXE_SCRIPT.read_text(encoding="utf-8")
