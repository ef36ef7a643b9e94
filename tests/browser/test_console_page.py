"""The advocate console in a real headless Chromium, with a survivor's chat page open beside it.

The whole loop through the running stack: a survivor asks for a person on the web, an advocate
signs in, claims, replies; the survivor reads it and answers; the console shows it live; the
advocate closes and the bot answers again. Screenshots go to results/screenshots/.
"""

from __future__ import annotations

import uuid

import pytest
import redis
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.conftest import (
    REPO,
    WAIT_SECONDS,
    ChatPage,
    assert_accessible,
    assert_no_alert,
    screenshot,
)
from tests.conftest import CONSOLE_PASSWORD, SEALER, make_account
from webhook.handoff import Handoffs

pytestmark = [pytest.mark.browser, pytest.mark.stack]

CONVERSATION_KEY = "puente.conversation"
AXE_REPORTS = REPO / "results" / "axe"
HOSTILE = "<script>alert(1)</script> my boss has my passport"
REPLY = "Hi, I am Ana, an advocate. Is it safe to talk now?"
ANSWER = "yes it is safe, I am alone"


class ConsolePage:
    """The console, driven the way an advocate uses it."""

    def __init__(self, driver: webdriver.Chrome, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    def wait(self) -> WebDriverWait:
        return WebDriverWait(self.driver, WAIT_SECONDS)

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def sign_in(self, username: str) -> "ConsolePage":
        self.driver.get(f"{self.base_url}/console/")
        self.wait().until(lambda d: d.find_elements(By.ID, "sign-in"), "no sign-in form")
        self.find("#username").send_keys(username)
        self.find("#password").send_keys(CONSOLE_PASSWORD)
        self.find("#sign-in").click()
        self.wait().until(lambda d: d.find_elements(By.ID, "queue-live"), "the queue did not open")
        return self

    def sign_out(self) -> None:
        self.find(".sign-out button").click()
        self.wait().until(lambda d: d.find_elements(By.ID, "sign-in"), "not signed out")

    def history(self, who: str) -> list:
        """The words of each line of the conversation from `who` (survivor, advocate...)."""
        return self.driver.execute_script(
            "return Array.from(document.querySelectorAll('#history li.' + arguments[0] + ' .text'),"
            " function (el) { return el.textContent; })",
            who,
        )


def conversation_of(page: ChatPage) -> str:
    return page.driver.execute_script(
        "return sessionStorage.getItem(arguments[0])", CONVERSATION_KEY
    )


def ask_for_a_person(page: ChatPage) -> None:
    """From the chat page: ask, say yes, skip the contact questions; the handoff opens."""
    offer = page.say("i want to talk to somebody from the staff please")
    asked = page.choose(offer[-1], "Yes, a person")
    consent = page.choose(asked[-1], "No")
    opened = page.choose(consent[-1], "No")
    assert "An advocate is working now" in ChatPage.text_of(opened[-1])


def send_to_person(page: ChatPage, text: str) -> None:
    """Send while a person has the chat: the page says it went to them; the bot says nothing."""
    bubbles = len(page.messages("bot"))
    page.textarea.clear()
    page.textarea.send_keys(text)
    page.send_button.click()
    page.wait().until(lambda d: "A person will read it" in page.status, "not said to be sent")
    assert len(page.messages("bot")) == bubbles, "the bot answered during the handoff"


def test_an_advocate_and_a_survivor_talk_through_the_console_live(
    chat_page: ChatPage, desk_browser, stack, axe_source
):
    suffix = uuid.uuid4().hex[:6]
    ana = make_account(stack.redis_url, f"ana-{suffix}", languages=("en", "es"))
    sam = make_account(stack.redis_url, f"sam-{suffix}", role="supervisor")
    page = chat_page.open()
    ask_for_a_person(page)
    send_to_person(page, HOSTILE)
    handoffs = Handoffs(redis.Redis.from_url(stack.redis_url), 3600, SEALER)
    ticket_id = handoffs.active(conversation_of(page))
    assert ticket_id, "no ticket was opened"

    console = ConsolePage(desk_browser, stack.web_url).sign_in(ana.username)
    row = console.find(f'#waiting tr[data-ticket="{ticket_id}"]')
    assert "Web chat" in row.text and "English" in row.text and "(you read it)" in row.text
    screenshot(desk_browser, "console-queue")
    assert_accessible(desk_browser, axe_source, AXE_REPORTS / "console-queue.json")
    row.find_element(By.TAG_NAME, "a").click()
    console.wait().until(lambda d: d.find_elements(By.ID, "claim"), "no claim button")
    console.find("#claim").click()
    console.wait().until(lambda d: d.find_elements(By.ID, "send-reply"), "claiming failed")
    assert HOSTILE in console.history("survivor")  # shown as text...
    assert_no_alert(desk_browser)  # ...and never run

    console.find("#reply-text").send_keys(REPLY)
    console.find("#send-reply").click()
    page.wait().until(lambda d: REPLY in page.all_texts(), "the reply never reached the page")

    desk_browser.execute_script("window.notReloaded = true")
    send_to_person(page, ANSWER)
    console.wait().until(
        lambda d: ANSWER in console.history("survivor"), "the answer never appeared live"
    )
    assert desk_browser.execute_script("return window.notReloaded === true")
    screenshot(desk_browser, "console-conversation", full_page=True)
    assert_accessible(desk_browser, axe_source, AXE_REPORTS / "console-conversation.json")

    Select(console.find("#outcome")).select_by_value("resolved")
    console.find("#close").click()
    console.wait().until(lambda d: d.find_elements(By.ID, "queue-live"), "not back to the queue")
    page.wait().until(
        lambda d: any("The advocate has ended this chat" in t for t in page.all_texts()),
        "the hand-back never appeared on the open page",
    )
    back = page.say("can my employer keep my passport")
    assert back and ChatPage.text_of(back[-1]), "the bot did not answer after the hand-back"
    assert handoffs.get(ticket_id).outcome == "resolved"

    console.sign_out()
    console.sign_in(sam.username)
    desk_browser.get(f"{stack.web_url}/console/supervisor")
    today = console.find("#figures-today")
    assert int(today.find_element(By.CSS_SELECTOR, '[data-status="closed"]').text) >= 1
    assert conversation_of(page) not in desk_browser.page_source
    screenshot(desk_browser, "console-supervisor", full_page=True)
    assert_accessible(desk_browser, axe_source, AXE_REPORTS / "console-supervisor.json")
