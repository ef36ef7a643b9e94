"""Passing to a person, Rasa's side, with a real Tracker, CollectingDispatcher and the domain."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import (
    ActionEndHandoff,
    ActionRequestHandoff,
    ActionStartContact,
    ValidateContactForm,
)
from tests.test_actions import make_tracker, run, session_start, user

GATHERED = {
    "need": "housing",
    "location": "94110",
    "justice_goals": [{"goal": "passport", "round": 1}],
    "screen_documents": "yes",
    "contact_safe": "yes",
    "contact_time": "after 6 pm",
}
QUESTIONS = ["contact_safe", "contact_time", "code_word", "share_consent"]


def required(**slots):
    tracker = make_tracker([*session_start(), *user("/affirm", "affirm")], **slots)
    form = ValidateContactForm()
    return asyncio.run(form.required_slots(QUESTIONS, CollectingDispatcher(), tracker, {}))


@pytest.mark.parametrize("answer", ["no", "skipped", "unclear"])
def test_when_to_write_and_the_code_word_are_asked_only_if_writing_is_safe(answer):
    assert required(contact_safe=answer) == ["contact_safe", "share_consent"]
    assert required(contact_safe="yes") == QUESTIONS
    assert required() == QUESTIONS  # not answered yet


def test_the_time_is_kept_in_their_words_and_skip_is_an_answer(domain):
    form = ValidateContactForm()
    said = make_tracker([*session_start(), *user("after 6 pm " + "x" * 300, "out_of_scope")])
    kept = form.validate_contact_time("after 6 pm " + "x" * 300, None, said, domain)
    assert kept["contact_time"].startswith("after 6 pm") and len(kept["contact_time"]) == 100
    skipped = make_tracker([*session_start(), *user("skip", "skip")])
    assert form.validate_contact_time("skip", None, skipped, domain) == {"contact_time": "skipped"}


@pytest.mark.parametrize(
    ("said", "kept"),
    [("time:evening", "evening"), ("time:any", "any"), ("time:midnight", "time:midnight")],
)
def test_a_time_button_keeps_its_window(domain, said, kept):
    tracker = make_tracker([*session_start(), *user(said, "out_of_scope")])
    answer = ValidateContactForm().validate_contact_time(said, None, tracker, domain)
    assert answer == {"contact_time": kept}


def test_the_code_word_is_kept_on_one_short_line_and_skip_is_an_answer(domain):
    form = ValidateContactForm()
    said = make_tracker([*session_start(), *user("  blue\n  tulip " + "x" * 50, "out_of_scope")])
    kept = form.validate_code_word("  blue\n  tulip " + "x" * 50, None, said, domain)["code_word"]
    assert kept.startswith("blue tulip") and len(kept) == 30 and "\n" not in kept
    skipped = make_tracker([*session_start(), *user("skip", "skip")])
    assert form.validate_code_word("skip", None, skipped, domain) == {"code_word": "skipped"}


def command(domain, **slots):
    tracker = make_tracker([*session_start(), *user("/affirm", "affirm")], **slots)
    events, messages = run(ActionRequestHandoff(), tracker, domain)
    assert events == [SlotSet("handoff", True)]
    [message] = messages
    assert message["text"] is None  # the web layer says what happens next
    return message["custom"]


def test_with_consent_the_advocate_gets_what_was_gathered(domain):
    sent = command(domain, share_consent="yes", **GATHERED)
    assert sent["puente_command"] == "handoff" and sent["priority"] == "normal"
    summary = sent["summary"]
    assert summary["need"] == "housing" and summary["location"] == "94110"
    assert summary["justice_goals"] == [{"goal": "passport", "round": 1}]
    assert summary["screener"] == {"documents": "yes"}
    assert summary["contact_time"] == "after 6 pm"


@pytest.mark.parametrize("consent", ["no", "skipped", None])
def test_without_consent_only_how_to_contact_them_is_shared(domain, consent):
    # Danger changes the priority, not what the person agreed to share.
    summary = command(domain, share_consent=consent, in_danger=True, **GATHERED)["summary"]
    assert "need" not in summary and "justice_goals" not in summary and "screener" not in summary
    assert summary["contact_safe"] == "yes"


def test_the_questions_are_introduced_only_while_some_are_unanswered(domain):
    def intro(**slots):
        tracker = make_tracker([*session_start(), *user("/affirm", "affirm")], **slots)
        events, messages = run(ActionStartContact(), tracker, domain)
        assert events == []  # earlier answers are kept: never asked twice
        return [m["response"] for m in messages]

    assert intro() == ["utter_contact_intro"]
    assert intro(contact_safe="no") == ["utter_contact_intro"]
    assert intro(contact_safe="no", share_consent="yes") == []


def test_handed_back_the_bot_speaks_again(domain):
    tracker = make_tracker([*session_start(), *user("/handoff_closed", "handoff_closed")])
    events, messages = run(ActionEndHandoff(), tracker, domain)
    assert [m["response"] for m in messages] == ["utter_handoff_closed"]
    assert SlotSet("handoff", False) in events


def test_the_topic_is_what_they_last_asked_about_not_their_last_yes_or_no(domain):
    asked = make_tracker(
        [
            *session_start(),
            *user("can my boss keep my passport", "ask_passport"),
            *user("i want a person", "request_human"),
            *user("no", "deny"),
        ]
    )
    _, [message] = run(ActionRequestHandoff(), asked, domain)
    assert message["custom"]["summary"]["topic"] == "ask_passport"
    nothing_asked = make_tracker([*session_start(), *user("no", "deny")])
    _, [message] = run(ActionRequestHandoff(), nothing_asked, domain)
    assert "topic" not in message["custom"]["summary"]
