"""The referral actions with a real Tracker, CollectingDispatcher, the domain and the directory."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.referral import (
    SKIPPED,
    UNKNOWN,
    ActionFindProviders,
    ActionPrefillReferral,
    ValidateReferralForm,
)
from scripts.model import REPO
from tests.test_actions import make_tracker, run, session_start, user
from webhook.directory import load_directory

EXAMPLE = REPO / "content" / "directory" / "example_local.csv"
# A Tuesday, 20:30 in San Francisco: the overnight shelter is open, day clinics are closed.
TUESDAY_EVENING = datetime(2026, 11, 24, 4, 30, tzinfo=timezone.utc)


def prefill(text: str, domain: Dict[str, Any], language: str = "en") -> Dict[str, Any]:
    tracker = make_tracker([*session_start(), *user(text, "find_help", language=language)])
    events, messages = run(ActionPrefillReferral(), tracker, domain)
    assert messages == []
    values: Dict[str, Any] = {"need": None, "location": None}
    for event in events:
        values[event["name"]] = event["value"]
    return values


@pytest.mark.parametrize(
    ("text", "need", "location"),
    [
        ("i need a lawyer for my unpaid wages, im in 94110", "legal_wages", "94110"),
        ("necesito un lugar para dormir en texas", "housing", "TX"),
        ("I need an immigration lawyer", "legal_immigration", None),
        ("help me please", None, None),
        ("我需要住的地方", "housing", None),
    ],
)
def test_what_the_first_message_said_is_not_asked_again(domain, text, need, location):
    assert prefill(text, domain) == {"need": need, "location": location}


def validate(slot_name: str, text: str, intent: str, domain) -> Dict[str, Any]:
    tracker = make_tracker([*session_start(), *user(text, intent)])
    method = getattr(ValidateReferralForm(), f"validate_{slot_name}")
    return method(text, CollectingDispatcher(), tracker, domain)


@pytest.mark.parametrize(
    ("text", "intent", "need"),
    [
        ("need:food", "nlu_fallback", "food"),
        ("un lugar seguro para dormir", "find_help", "housing"),
        ("a doctor", "nlu_fallback", "medical"),
        ("skip", "skip", SKIPPED),
        ("prefiero no decir", "skip", SKIPPED),
        ("something else entirely", "nlu_fallback", UNKNOWN),
        ("need:nonsense", "nlu_fallback", UNKNOWN),
    ],
)
def test_the_need_in_their_words_a_button_or_skipped(domain, text, intent, need):
    assert validate("need", text, intent, domain) == {"need": need}


@pytest.mark.parametrize(
    ("text", "intent", "location"),
    [
        ("94110", "nlu_fallback", "94110"),
        ("my zip is 60601-1234", "nlu_fallback", "60601"),
        ("I live in Texas", "nlu_fallback", "TX"),
        ("west virginia", "nlu_fallback", "WV"),
        ("CA", "nlu_fallback", "CA"),
        ("skip", "skip", SKIPPED),
        ("somewhere in the south", "nlu_fallback", UNKNOWN),
        ("00000", "nlu_fallback", UNKNOWN),
    ],
)
def test_the_place_is_a_state_or_zip_or_skipped(domain, text, intent, location):
    assert validate("location", text, intent, domain) == {"location": location}


def find(need, location, language, domain) -> List[Dict[str, Any]]:
    tracker = make_tracker(
        [*session_start(), *user("skip", "skip", language=language)], need=need, location=location
    )
    action = ActionFindProviders(load_directory(EXAMPLE), clock=lambda: TUESDAY_EVENING)
    events, messages = run(action, tracker, domain)
    assert events == []
    return messages


def test_places_that_fit_open_now_first_then_the_hotline(domain):
    messages = find("housing", "94110", "es", domain)
    names = [m["response"] for m in messages]
    assert names[0] == "utter_referral_intro" and names[-1] == "utter_referral_hotline"
    items = messages[1:-1]
    assert 1 <= len(items) <= 3
    first = items[0]
    assert first["response"] == "utter_referral_item_open"
    assert first["provider_name"].startswith("EXAMPLE – Casa Segura")
    assert first["provider_contact"]["contact_call"] == "+1-415-555-0101"
    assert "es" in first["provider_languages"]["languages"]
    assert first["provider_hours"] == {"hours": ["daily 18:00-08:00"]}


def test_a_skipped_need_still_gets_the_hotline(domain):
    messages = find(SKIPPED, SKIPPED, "en", domain)
    assert [m["response"] for m in messages] == ["utter_referral_hotline"]


def test_a_need_with_nothing_local_gets_the_national_services(domain):
    messages = find("legal_wages", "99501", "en", domain)  # Alaska: no example provider there
    names = [m.get("provider_name") for m in messages[1:-1]]
    assert names == [
        "U.S. Department of Labor, Wage and Hour Division",
        "U.S. Equal Employment Opportunity Commission (EEOC)",
    ]
    assert messages[-1]["response"] == "utter_referral_hotline"  # once, at the end, not listed


def test_a_new_request_forgets_the_last_one(domain):
    tracker = make_tracker(
        [*session_start(), *user("i need food", "find_help")], need="housing", location="TX"
    )
    events, _ = run(ActionPrefillReferral(), tracker, domain)
    assert {e["name"]: e["value"] for e in events} == {"need": "food", "location": None}


def test_a_cleared_answer_is_not_taken_for_an_answer(domain):
    tracker = make_tracker([*session_start(), *user("help", "find_help")])
    form = ValidateReferralForm()
    assert form.validate_need(None, CollectingDispatcher(), tracker, domain) == {"need": None}
