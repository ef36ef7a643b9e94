"""Passing to a person through the whole running stack: web chat and SMS, no bot reply leaks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from tests.conftest import SEALER, SMS_APP_CONFIG, app_config, privacy_notice, text_of
from webhook import create_app, keys
from webhook.delivery import deliver
from webhook.handoff import Handoffs
from webhook.services import services
from webhook.sms_channel import channel as sms_channel
from webhook.turns import hand_back

pytestmark = pytest.mark.stack

CONCURRENT_MESSAGES = 20


@pytest.fixture
def handoffs(stack):
    return Handoffs(redis.Redis.from_url(stack.redis_url), 3600, SEALER)


def ticket_of(handoffs, conversation_id):
    ticket_id = handoffs.active(conversation_id)
    assert ticket_id, "no handoff open for the conversation"
    return handoffs.get(ticket_id)


def newest_danger_sms(handoffs):
    waiting = [t for t in handoffs.waiting() if t.channel == "sms" and t.priority == "danger"]
    assert waiting, "no danger ticket from an SMS conversation"
    return max(waiting, key=lambda t: t.created_at)


def test_web_asks_first_then_a_few_questions_then_only_the_advocate_reads(
    chat_factory, content, handoffs, stack, tmp_path
):
    chat = chat_factory("en")
    offer = chat.say("i would really like to talk to a human being")
    assert chat.texts(offer) == [
        privacy_notice(content, "en"),
        text_of(content, "utter_handoff_offer", "en"),
    ]
    asked = chat.texts(chat.say("/affirm"))
    assert asked == [
        text_of(content, "utter_contact_intro", "en"),
        text_of(content, "utter_ask_contact_safe", "en"),
    ]
    assert chat.texts(chat.say("yes")) == [text_of(content, "utter_ask_contact_time", "en")]
    assert chat.texts(chat.say("evenings after 7")) == [
        text_of(content, "utter_ask_code_word", "en")
    ]
    assert chat.texts(chat.say("/skip")) == [text_of(content, "utter_ask_share_consent", "en")]
    opened = chat.say("/affirm")
    assert chat.texts(opened) == [content.ui_text("handoff_open", "en")]
    assert opened["handoff"] and not offer["handoff"]  # the page starts fetching updates now
    ticket = ticket_of(handoffs, chat.conversation_id)
    assert ticket.channel == "web" and ticket.priority == "normal" and ticket.language == "en"
    assert ticket.summary["contact_safe"] == "yes"
    assert ticket.summary["contact_time"] == "evenings after 7"
    assert ticket.summary["code_word"] == "skipped"

    # Twenty messages at once while the person waits: every one reaches the advocate, none the bot.
    texts = [f"message {n}: are you there? what is a t visa" for n in range(CONCURRENT_MESSAGES)]
    with ThreadPoolExecutor(max_workers=CONCURRENT_MESSAGES) as pool:
        answers = list(pool.map(chat.say, texts))
    assert all(a["messages"] == [] and a["relayed"] for a in answers), answers
    assert sorted(m["text"] for m in handoffs.messages(ticket.id)) == sorted(texts)

    assert handoffs.claim(ticket.id, "ana")
    closed = handoffs.close(ticket.id, "ana", "resolved")
    app = create_app(app_config(stack.redis_url, tmp_path, RASA_URL=stack.rasa_url))
    with app.app_context():
        back = hand_back(services(), closed)
        assert deliver(services(), None, closed, back.messages).sent
    assert [m["text"] for m in back.messages] == [text_of(content, "utter_handoff_closed", "en")]
    # The open page fetches it: what the bot said after the handoff, in order, only once.
    fetched = requests.get(
        f"{stack.web_url}/api/chat/updates",
        params={"conversation_id": chat.conversation_id, "after": 0},
        timeout=30,
    ).json()
    assert [m["text"] for m in fetched["messages"]] == [m["text"] for m in back.messages]
    later = requests.get(
        f"{stack.web_url}/api/chat/updates",
        params={"conversation_id": chat.conversation_id, "after": fetched["next"]},
        timeout=30,
    ).json()
    assert later["messages"] == []
    again = chat.say("what is a t visa")
    assert not again["relayed"]
    assert chat.texts(again)[0] == text_of(content, "utter_t_visa", "en")


def test_waiting_in_line_the_person_can_go_back_to_the_bot(chat_factory, content, handoffs):
    chat = chat_factory("es")
    chat.say("quiero hablar con una persona de su equipo")
    chat.say("/affirm")
    chat.say("no")  # not safe to write back: "when" is not asked
    opened = chat.texts(chat.say("no"))
    assert opened == [content.ui_text("handoff_open", "es")] and "volver a Puente" in opened[0]
    ticket = ticket_of(handoffs, chat.conversation_id)
    left = chat.say("Volver a Puente")
    assert chat.texts(left) == [content.ui_text("handoff_left", "es")] and not left["relayed"]
    assert handoffs.get(ticket.id).outcome == "left" and handoffs.waiting() == [
        t for t in handoffs.waiting() if t.id != ticket.id
    ]
    again = chat.say("que es la visa t")
    assert not again["relayed"] and chat.texts(again)[0] == text_of(content, "utter_t_visa", "es")


def test_no_keeps_the_bot(chat_factory, content, handoffs):
    chat = chat_factory("es")
    assert chat.texts(chat.say("quiero hablar con una persona de su equipo")) == [
        privacy_notice(content, "es"),
        text_of(content, "utter_handoff_offer", "es"),
    ]
    assert chat.texts(chat.say("no gracias")) == [text_of(content, "utter_anything_else", "es")]
    assert handoffs.active(chat.conversation_id) is None


def test_danger_by_sms_opens_a_priority_handoff_without_a_question(phone_factory, handoffs):
    phone = phone_factory()
    replies = "\n".join(phone.text("he is here with a knife and wont let me leave"))
    assert "911" in replies
    assert "An advocate is working now" in replies  # the English text of ui handoff_open
    ticket = newest_danger_sms(handoffs)
    assert phone.text("please hurry") == []  # only the advocate reads it now
    assert handoffs.messages(ticket.id)[-1]["text"] == "please hurry"


def test_bot_after_a_handoff_reaches_an_sms_conversation_through_the_outbound_module(
    phone_factory, handoffs, stack, tmp_path, content
):
    phone = phone_factory()
    phone.text("he is here with a knife and wont let me leave now")
    ticket = newest_danger_sms(handoffs)
    closed = handoffs.close(ticket.id, "ana", "referred")
    config = app_config(stack.redis_url, tmp_path, RASA_URL=stack.rasa_url, **SMS_APP_CONFIG)
    app = create_app(config)
    with app.app_context():
        svc = services()
        back = hand_back(svc, closed)
        assert deliver(svc, sms_channel(), closed, back.messages).sent
    outbox = [SEALER.open_json(raw) for raw in handoffs.redis.lrange(keys.sms_outbox(), 0, -1)]
    mine = [e["body"] for e in outbox if e["conversation"] == closed.conversation_id]
    # Unprompted, so discreet: a plain greeting first, then the hand-back.
    greeting = content.ui_text("discreet_greeting", "en")
    assert mine and mine[0].startswith(
        greeting + "\n" + text_of(content, "utter_handoff_closed", "en")
    )


@pytest.mark.parametrize("query", [{"conversation_id": "x", "after": 0}, {"after": "-1"}, {}])
def test_updates_refuse_a_bad_request(stack, query):
    response = requests.get(f"{stack.web_url}/api/chat/updates", params=query, timeout=30)
    assert response.status_code == 400 and "error" in response.json()
