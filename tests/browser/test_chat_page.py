"""The web chat in a real headless Chromium, against the whole running stack.

Each test checks what a person would notice: the words on the page, Puente's replies, where
Quick Exit takes them and what is left behind, and whether the page works with assistive tech.
Screenshots of the conversations go to results/screenshots/ for a person to look at.
"""

from __future__ import annotations

from typing import Iterable, List

import pytest
import redis
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import REPO, ChatPage, assert_accessible, assert_no_alert
from tests.conftest import SEALER, app_config
from webhook import create_app
from webhook.delivery import deliver
from webhook.handoff import Handoffs
from webhook.services import services
from webhook.turns import hand_back

pytestmark = [pytest.mark.browser, pytest.mark.stack]

SPANISH_PASSPORT = "mi patron tiene mi pasaporte"
CONVERSATION_KEY = "puente.conversation"
AXE_REPORT = REPO / "results" / "axe-violations.json"


def texts(bubbles) -> List[str]:
    return [ChatPage.text_of(bubble) for bubble in bubbles]


def assert_spanish_page(page: ChatPage) -> None:
    """The page's own words are Spanish, and it says so to screen readers."""
    page.wait().until(
        lambda d: page.html_lang == "es" and page.send_button.text == "Enviar",
        f"the page did not switch to Spanish (lang={page.html_lang!r}, "
        f"send={page.send_button.text!r})",
    )
    assert page.textarea.get_attribute("placeholder") == "Escribe aquí"
    assert page.find("label[for=language]").text == "Idioma"
    assert page.find("#quick-exit").text == "Salida rápida"
    assert Select(page.find("#language")).first_selected_option.get_attribute("value") == "es"


def test_english_conversation_with_a_quick_reply(chat_page: ChatPage):
    page = chat_page.open()
    assert page.html_lang == "en"
    assert page.send_button.text == "Send"
    assert page.driver.execute_script("return window.innerWidth") <= 390, "not a phone-sized window"
    page.screenshot("chat-start-en")

    replies = page.say("hi")
    assert texts(page.messages("user")) == ["hi"]
    said = texts(replies)
    assert any("Puente" in text for text in said), f"no greeting from Puente: {said}"
    with_buttons = [reply for reply in replies if ChatPage.buttons_of(reply)]
    assert with_buttons, f"Puente's reply has no quick-reply buttons: {said}"
    for button in ChatPage.buttons_of(with_buttons[-1]):
        assert button.is_displayed() and button.text, "a quick-reply button has no visible label"
    # The page scrolls the new reply into view: its last button is on screen, not under the
    # sticky message box.
    last_button = ChatPage.buttons_of(replies[-1])[-1] if ChatPage.buttons_of(replies[-1]) else None
    if last_button is not None:
        covered = page.hidden_by(last_button)
        assert not covered, f"the reply's last button {last_button.text!r} is hidden ({covered})"

    replies = page.choose(with_buttons[-1], "T visa")
    assert texts(page.messages("user"))[-1] == "T visa", "the tapped choice is not shown as sent"
    said = texts(replies)
    assert any("T visa" in text for text in said), f"the reply does not mention the T visa: {said}"
    assert all(reply.get_attribute("lang") == "en" for reply in replies)
    page.screenshot("chat-en")


def test_language_picker_switches_to_spanish(chat_page: ChatPage):
    page = chat_page.open()
    assert page.html_lang == "en"
    Select(page.find("#language")).select_by_visible_text("Español")
    assert_spanish_page(page)

    replies = page.say(SPANISH_PASSPORT)
    said = texts(replies)
    assert any("pasaporte" in text for text in said), f"no Spanish reply about the passport: {said}"
    assert all(reply.get_attribute("lang") == "es" for reply in replies)
    assert_spanish_page(page)  # still Spanish after the reply
    page.screenshot("chat-es")


def test_writing_spanish_switches_an_english_page(chat_page: ChatPage):
    page = chat_page.open()
    assert page.html_lang == "en" and page.send_button.text == "Send"

    replies = page.say(SPANISH_PASSPORT)
    said = texts(replies)
    assert any("pasaporte" in text for text in said), f"no Spanish reply about the passport: {said}"
    assert all(reply.get_attribute("lang") == "es" for reply in replies)
    assert_spanish_page(page)
    page.screenshot("chat-es-detected")


def assert_no_trace(page: ChatPage, conversation: Iterable[str], where: str) -> None:
    """None of the conversation's words are on this page, visible or in its source."""
    driver = page.driver
    source = driver.page_source
    visible = driver.execute_script("return document.body ? document.body.innerText : ''")
    for text in conversation:
        assert text not in source, f"{where}: the page source still holds {text!r}"
        assert text not in visible, f"{where}: the page still shows {text!r}"
    if driver.current_url.startswith(page.base_url):
        assert driver.find_elements(By.CSS_SELECTOR, "#log > li") == [], (
            f"{where}: the chat shows old messages"
        )
        storage = driver.execute_script(
            "return [sessionStorage.length, sessionStorage.getItem(arguments[0])]",
            CONVERSATION_KEY,
        )
        assert storage == [0, None], f"{where}: sessionStorage is not empty: {storage}"


def wait_loaded(page: ChatPage) -> None:
    page.wait().until(lambda d: d.execute_script("return document.readyState") == "complete")


@pytest.mark.parametrize("how", ["button", "escape key"])
def test_quick_exit_leaves_no_trace(chat_page: ChatPage, neutral_site, how: str):
    driver = chat_page.driver
    # An earlier visit to the chat, so that Back lands on the chat's own origin and the test can
    # look at its sessionStorage.
    chat_page.open("?lang=en")
    page = chat_page.open()
    page.say("my boss keeps my passport and my visa papers")
    conversation = [text for text in page.all_texts() if text.strip()]
    assert len(conversation) >= 2
    assert driver.execute_script("return sessionStorage.getItem(arguments[0])", CONVERSATION_KEY)
    history_length = driver.execute_script("return history.length")

    if how == "button":
        page.find("#quick-exit").click()
    else:
        page.textarea.send_keys(Keys.ESCAPE)
    page.wait().until(lambda d: d.title == "Weather", "Quick Exit did not open the neutral page")
    assert driver.current_url == neutral_site.url
    assert_no_trace(page, conversation, "the neutral page")
    # The neutral page replaced the chat in the history: Back does not return to it.
    assert driver.execute_script("return history.length") == history_length, (
        "Quick Exit added a history entry instead of replacing the chat's"
    )

    # Back: the chat's origin again, but with no conversation and nothing in sessionStorage.
    driver.back()
    page.wait().until(lambda d: d.current_url != neutral_site.url, "Back did not leave the page")
    wait_loaded(page)
    assert driver.current_url.startswith(page.base_url), driver.current_url
    assert_no_trace(page, conversation, f"after Back ({driver.current_url})")

    # The whole history, backwards and forwards: no entry brings the conversation back.
    seen = [driver.current_url]
    for step in ("back", "forward", "forward", "forward"):
        getattr(driver, step)()
        wait_loaded(page)
        seen.append(driver.current_url)
        assert_no_trace(page, conversation, f"history {step} ({driver.current_url})")
    assert driver.current_url == neutral_site.url, f"history: {seen}"
    assert driver.title == "Weather"


def test_no_serious_accessibility_violations(chat_page: ChatPage, axe_source: str):
    page = chat_page.open()
    page.say("hi")
    assert_accessible(page.driver, axe_source, AXE_REPORT)


def test_keyboard_focus_is_never_hidden_by_the_sticky_bars(chat_page: ChatPage):
    """WCAG 2.2 SC 2.4.11: a control that gets keyboard focus is not hidden by the sticky header
    (Quick exit, language) or the sticky message box. axe does not check this."""
    page = chat_page.open()
    page.say("hi")
    page.say("what is a T visa")
    driver = page.driver
    page.textarea.click()
    hidden = []
    for _ in range(40):  # Shift+Tab backwards through every quick-reply button up to the top
        ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        focused = driver.switch_to.active_element
        if focused.get_attribute("id") == "language":
            break
        covered = page.hidden_by(focused)
        if covered:
            hidden.append(f"{focused.tag_name} {focused.text!r}: {covered}")
    else:
        pytest.fail("Shift+Tab never reached the language picker")
    assert not hidden, "focused controls hidden by the sticky bars:\n" + "\n".join(hidden)


def test_message_is_shown_as_text_not_html(chat_page: ChatPage):
    page = chat_page.open()
    attack = "<img src=x onerror=alert(1)>"
    page.say(attack)
    assert_no_alert(page.driver)
    assert texts(page.messages("user")) == [attack], "the message is not shown as typed"
    assert page.driver.find_elements(By.CSS_SELECTOR, "#log img") == [], "the message became HTML"


def test_deleting_the_conversation_clears_the_screen(chat_page: ChatPage):
    page = chat_page.open()
    driver = page.driver
    page.say("my boss keeps my passport and my visa papers")
    before = driver.execute_script("return sessionStorage.getItem(arguments[0])", CONVERSATION_KEY)
    question = page.say("delete this conversation")
    [yes] = [b for b in ChatPage.buttons_of(question[-1]) if b.text == "Yes, delete it"]
    yes.click()
    # The screen is cleared, so the reply is the only message left (not one more than before).
    page.wait().until(
        lambda d: any("deleted" in text for text in page.all_texts()), "no deletion reply"
    )
    said = page.all_texts()
    assert len(said) == 1 and texts(page.messages("bot")) == said, (
        f"earlier messages are still on the screen: {said}"
    )
    assert "my boss keeps" not in driver.execute_script("return document.body.innerText")
    assert (
        driver.execute_script("return sessionStorage.getItem(arguments[0])", CONVERSATION_KEY)
        is None
    ), "the page still holds the erased conversation's id"
    page.screenshot("chat-deleted-en")

    page.say("hi")
    after = driver.execute_script("return sessionStorage.getItem(arguments[0])", CONVERSATION_KEY)
    assert after and after != before, "writing again did not start a new conversation"


def test_the_delete_button_erases_the_conversation_after_one_confirmation(
    chat_page: ChatPage, stack
):
    page = chat_page.open("?lang=es")
    driver = page.driver
    page.say("mi patrón se quedó con mi pasaporte")
    conversation = driver.execute_script(
        "return sessionStorage.getItem(arguments[0])", CONVERSATION_KEY
    )
    connection = redis.Redis.from_url(stack.redis_url)
    assert list(connection.scan_iter(match=f"*{conversation}*")), "nothing was kept to delete"
    page.find("#delete").click()
    dialog = page.find("#delete-dialog")
    assert dialog.is_displayed() and "No se puede recuperar" in dialog.text
    page.find("#delete-no").click()  # changing their mind keeps everything
    assert not dialog.is_displayed() and "se quedó con mi" in " ".join(page.all_texts())
    page.find("#delete").click()
    page.find("#delete-yes").click()
    page.wait().until(
        lambda d: any("se borró" in text for text in page.all_texts()), "no deletion reply"
    )
    assert "se quedó con mi" not in driver.execute_script("return document.body.innerText")
    assert (
        driver.execute_script("return sessionStorage.getItem(arguments[0])", CONVERSATION_KEY)
        is None
    )
    left = [key.decode() for key in connection.scan_iter(match=f"*{conversation}*")]
    assert left == [], f"keys about the conversation survived: {left}"


def test_a_person_takes_the_chat_and_the_bot_comes_back_live(chat_page: ChatPage, stack, tmp_path):
    page = chat_page.open()
    offer = page.say("i want to talk to somebody from the staff please")
    asked = page.choose(offer[-1], "Yes, a person")
    consent = page.choose(asked[-1], "No")  # not safe to write back: "when" is not asked
    opened = page.choose(consent[-1], "No")
    assert "An advocate is working now" in ChatPage.text_of(opened[-1])
    bubbles = len(page.messages("bot"))
    page.textarea.send_keys("are you there")
    page.send_button.click()
    page.wait().until(lambda d: "A person will read it" in page.status, "not said to be sent")
    assert len(page.messages("bot")) == bubbles, "the bot answered during the handoff"

    conversation = page.driver.execute_script(
        "return sessionStorage.getItem(arguments[0])", CONVERSATION_KEY
    )
    handoffs = Handoffs(redis.Redis.from_url(stack.redis_url), 3600, SEALER)
    ticket = handoffs.get(handoffs.active(conversation))
    assert handoffs.messages(ticket.id)[-1]["text"] == "are you there"
    closed = handoffs.close(ticket.id, "ana", "resolved")
    app = create_app(app_config(stack.redis_url, tmp_path, RASA_URL=stack.rasa_url))
    with app.app_context():
        back = hand_back(services(), closed)
        deliver(services(), None, closed, back.messages)
    # The open page shows it without the person sending anything.
    page.wait().until(
        lambda d: any("The advocate has ended this chat" in t for t in page.all_texts()),
        "the hand-back message never appeared on the open page",
    )
    assert_no_alert(page.driver)
