"""Justice goals through the whole running stack, in Spanish and English."""

from __future__ import annotations

import json

import pytest

from tests.conftest import privacy_notice, text_of

pytestmark = pytest.mark.stack


def test_goals_set_reordered_by_choice_and_shown_back_in_spanish(
    chat_factory, content, record_summary
):
    chat = chat_factory("es")
    asked = chat.say("quiero elegir mis metas de justicia")
    assert chat.texts(asked) == [
        privacy_notice(content, "es"),
        text_of(content, "utter_ask_goal_pick", "es"),
    ]
    assert len(asked["messages"][-1]["buttons"]) == 11
    more = chat.say("4 1")  # a safe place first, then the passport: their order
    assert chat.texts(more) == [text_of(content, "utter_ask_goal_more", "es", goal_count=2)]
    more = chat.say("que mis hijos esten a salvo conmigo")
    assert chat.texts(more) == [text_of(content, "utter_ask_goal_more", "es", goal_count=3)]
    shown = chat.say("listo")
    texts = chat.texts(shown)
    assert texts[0] == text_of(content, "utter_goals_intro", "es")
    assert texts[1:3] == [
        text_of(content, "utter_goal_housing", "es", goal_number=1),
        text_of(content, "utter_goal_passport", "es", goal_number=2),
    ]
    assert texts[3] == text_of(content, "utter_goal_family", "es", goal_number=3)
    assert texts[-1] == text_of(content, "utter_goals_next", "es")
    again = chat.say("mis metas")
    assert chat.texts(again) == texts
    record_summary(
        "justice goals conversation (es): " + json.dumps(chat.transcript, ensure_ascii=False)
    )


def test_goals_in_own_words_and_changed_later_in_english(chat_factory, content):
    chat = chat_factory("en")
    chat.say("i want to set my goals")
    chat.say("that my old boss says sorry to me")
    shown = chat.texts(chat.say("done"))
    assert shown[1] == "1. that my old boss says sorry to me"
    again = chat.say("change my goals")
    assert chat.texts(again) == [text_of(content, "utter_ask_goal_again", "en", goal_count=1)]
    chat.say("new list")
    chat.say("11")
    shown = chat.texts(chat.say("done"))
    assert shown[1:-1] == [text_of(content, "utter_goal_heal", "en", goal_number=1)]
