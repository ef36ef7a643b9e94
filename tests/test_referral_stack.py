"""Finding places to contact, through the whole running stack (the example local directory)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import privacy_notice, text_of

pytestmark = pytest.mark.stack


def test_a_place_to_sleep_near_a_zip_code(chat_factory, content):
    chat = chat_factory("en")
    asked = chat.say("i need a safe place to sleep tonight")
    # The need was in the message, so the next question is the place, never the need again.
    assert chat.texts(asked) == [
        privacy_notice(content, "en"),
        text_of(content, "utter_ask_location", "en"),
    ]
    places = chat.say("94110")
    texts = chat.texts(places)
    assert texts[0] == text_of(content, "utter_referral_intro", "en")
    assert any("EXAMPLE – Casa Segura (fictional)" in text for text in texts)
    assert 3 <= len(texts) <= 5  # intro, one to three places, the hotline
    assert "1-888-373-7888" in texts[-1]
    assert {b["payload"] for b in places["messages"][-1]["buttons"]} >= {"/request_human"}


def test_in_spanish_with_the_place_skipped(chat_factory, content):
    chat = chat_factory("es")
    asked = chat.say("necesito un abogado de inmigracion por favor")
    assert asked["language"] == "es"
    assert chat.texts(asked) == [
        privacy_notice(content, "es"),
        text_of(content, "utter_ask_location", "es"),
    ]
    places = chat.say("prefiero no decirlo")
    texts = chat.texts(places)
    assert text_of(content, "utter_ask_need", "es") not in texts
    assert "1-888-373-7888" in texts[-1] and "Siempre abierta" in texts[-1]


def test_the_need_from_a_button_then_stop(chat_factory, content):
    chat = chat_factory("en")
    asked = chat.say("can you help me find services")
    assert chat.texts(asked) == [
        privacy_notice(content, "en"),
        text_of(content, "utter_ask_need", "en"),
    ]
    payloads = [b["payload"] for b in asked["messages"][-1]["buttons"]]
    assert "need:food" in payloads
    where = chat.say("need:food")
    assert chat.texts(where) == [text_of(content, "utter_ask_location", "en")]
    stopped = chat.say("no more questions please")
    texts = chat.texts(stopped)
    assert texts[0] == text_of(content, "utter_form_stopped", "en")
    assert "1-888-373-7888" in texts[-1]


def test_a_full_referral_in_spanish_as_a_person_sees_it(chat_factory, content, record_summary):
    chat = chat_factory("es")
    asked = chat.texts(chat.say("necesito un lugar seguro para dormir"))
    assert asked == [privacy_notice(content, "es"), text_of(content, "utter_ask_location", "es")]
    texts = chat.texts(chat.say("estoy en el 94110"))
    assert texts[0] == text_of(content, "utter_referral_intro", "es")
    casa = next(text for text in texts if "EXAMPLE – Casa Segura" in text)
    # Hours with the day in Spanish, languages by their own names, ways to reach it labelled.
    assert "todos los días 18:00-08:00" in casa and "Español, English" in casa
    assert "llama al +1-415-555-0101" in casa
    assert "1-888-373-7888" in texts[-1]
    record_summary("referral conversation (es): " + json.dumps(chat.transcript, ensure_ascii=False))
