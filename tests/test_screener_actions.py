"""The yes/no questions with a real Tracker, CollectingDispatcher and the domain."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import NO, SKIPPED, UNCLEAR, YES
from actions.screener import (
    INDICATORS,
    ActionScreenerResults,
    ActionStartScreener,
    ValidateScreenerForm,
    slot_of,
)
from tests.test_actions import make_tracker, run, session_start, user


def responses(messages):
    return [m["response"] for m in messages]


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("/affirm", "affirm", YES),
        ("sí, lo tiene él", "affirm", YES),
        ("/deny", "deny", NO),
        ("prefer not to say", "skip", SKIPPED),
        ("my boss is nice sometimes", "out_of_scope", UNCLEAR),
    ],
)
def test_every_question_takes_yes_no_skip_or_keeps_it_unclear(domain, text, intent, expected):
    tracker = make_tracker([*session_start(), *user(text, intent)])
    form = ValidateScreenerForm()
    for code in INDICATORS:
        validate = getattr(form, f"validate_{slot_of(code)}")
        assert validate(text, CollectingDispatcher(), tracker, domain) == {slot_of(code): expected}


def test_a_cleared_question_is_still_to_be_asked(domain):
    tracker = make_tracker([*session_start(), *user("/affirm", "affirm")])
    assert ValidateScreenerForm().validate_screen_pay(
        None, CollectingDispatcher(), tracker, domain
    ) == {"screen_pay": None}


def test_starting_again_clears_every_earlier_answer(domain):
    earlier = {slot_of(code): YES for code in INDICATORS}
    tracker = make_tracker([*session_start(), *user("check my job", "check_situation")], **earlier)
    events, messages = run(ActionStartScreener(), tracker, domain)
    assert responses(messages) == ["utter_screen_intro"]
    assert events == [SlotSet(slot_of(code), None) for code in INDICATORS]


def test_each_yes_gets_its_rights_in_question_order_then_what_it_can_mean(domain):
    answers = {slot_of(code): NO for code in INDICATORS}
    answers |= {"screen_pay": YES, "screen_documents": YES, "screen_threats": SKIPPED}
    tracker = make_tracker([*session_start(), *user("/affirm", "affirm")], **answers)
    _, messages = run(ActionScreenerResults(), tracker, domain)
    assert responses(messages) == [
        "utter_screen_result_documents",
        "utter_screen_result_pay",
        "utter_screen_meaning",
        "utter_referral_hotline",
    ]


@pytest.mark.parametrize("answer", [NO, SKIPPED, UNCLEAR, None])
def test_no_yes_gives_no_verdict_and_still_a_way_to_a_person(domain, answer):
    answers = {slot_of(code): answer for code in INDICATORS}
    tracker = make_tracker([*session_start(), *user("/deny", "deny")], **answers)
    _, messages = run(ActionScreenerResults(), tracker, domain)
    assert responses(messages) == ["utter_screen_none", "utter_referral_hotline"]


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("si, me quitan dinero cada semana", "ask_unpaid_wages", YES),
        ("Yes he has it in his office", "ask_passport", YES),
        ("no, I can go when I want", "out_of_scope", NO),
        ("no sé", "deny", UNCLEAR),  # "I don't know" is not a no
        ("no quiero contestar eso", "skip", SKIPPED),
        ("是的，他拿着我的护照", "ask_passport", YES),
        ("没有", "out_of_scope", NO),
        ("nosotros trabajamos mucho", "out_of_scope", UNCLEAR),  # "no" only as a whole word
    ],
)
def test_an_answer_that_starts_with_yes_or_no_is_read_as_such(domain, text, intent, expected):
    tracker = make_tracker([*session_start(), *user(text, intent)])
    form = ValidateScreenerForm()
    assert form.validate_screen_documents(text, CollectingDispatcher(), tracker, domain) == {
        "screen_documents": expected
    }
