"""The yes/no questions through the whole running stack: web chat in Spanish, SMS in English."""

from __future__ import annotations

import json

import pytest

from actions.screener import INDICATORS
from tests.conftest import privacy_notice, text_of

pytestmark = pytest.mark.stack


def test_the_questions_in_spanish_answer_each_yes_with_rights_and_no_verdict(
    chat_factory, content, record_summary
):
    chat = chat_factory("es")
    first = chat.say("no se si lo que pasa en mi trabajo es normal, me puedes preguntar")
    texts = chat.texts(first)
    assert texts == [
        privacy_notice(content, "es"),
        text_of(content, "utter_screen_intro", "es"),
        text_of(content, "utter_ask_screen_documents", "es"),
    ]
    assert [b["payload"] for b in first["messages"][-1]["buttons"]] == ["/affirm", "/deny", "/skip"]
    # documents: yes (typed), debt: no, leave: skipped, threats: no, promised: yes (button),
    # pay: yes, isolation: no.
    answers = ["sí", "no", "prefiero no decir", "no", "/affirm", "si, me quitan dinero", "no"]
    for number, answer in enumerate(answers[:-1], start=1):
        texts = chat.texts(chat.say(answer))
        assert texts == [text_of(content, f"utter_ask_screen_{INDICATORS[number]}", "es")], answer
    last = chat.say(answers[-1])
    texts = chat.texts(last)
    assert texts == [
        text_of(content, "utter_screen_result_documents", "es"),
        text_of(content, "utter_screen_result_promised", "es"),
        text_of(content, "utter_screen_result_pay", "es"),
        text_of(content, "utter_screen_meaning", "es"),
        text_of(content, "utter_referral_hotline", "es"),
    ]
    assert "1-866-487-9243" in texts[2]  # the Wage and Hour Division, from content/facts.yml
    assert "/request_human" in [b["payload"] for b in last["messages"][-1]["buttons"]]
    record_summary("screener conversation (es): " + json.dumps(chat.transcript, ensure_ascii=False))


def test_over_sms_numbers_answer_and_stop_keeps_what_was_given(phone_factory, content):
    phone = phone_factory()
    texted = "\n".join(phone.text("is what my boss does to me legal? something feels off at work"))
    intro = texted.index(text_of(content, "utter_screen_intro", "en"))
    question = texted.index(text_of(content, "utter_ask_screen_documents", "en"))
    assert intro < question < texted.index("1 Yes") < texted.index("3 Skip")
    second = "\n".join(phone.text("1"))  # Yes, by the number of the choice
    assert text_of(content, "utter_ask_screen_debt", "en") in second
    stopped = "\n".join(phone.text("enough questions"))  # the words the intro gives
    expected = [
        text_of(content, "utter_form_stopped", "en"),
        text_of(content, "utter_screen_result_documents", "en"),
        text_of(content, "utter_screen_meaning", "en"),
        "1-888-373-7888",
    ]
    positions = [stopped.find(text) for text in expected]
    assert -1 not in positions and positions == sorted(positions), stopped


def test_danger_during_the_questions_gets_the_emergency_number_at_once(chat_factory):
    chat = chat_factory("en")
    chat.say("am i being trafficked? i dont know")
    texts = chat.texts(chat.say("he just came back and is hitting me, help"))
    assert "911" in texts[0]
