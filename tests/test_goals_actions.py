"""Justice goals with a real Tracker, CollectingDispatcher and the domain."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.goals import (
    DONE,
    OWN_WORDS,
    ActionAskGoalPick,
    ActionShowGoals,
    ActionStartGoals,
    ValidateGoalsForm,
    picks_in,
)
from tests.test_actions import make_tracker, run, session_start, user


def goals(picks: List[Dict[str, Any]]) -> List[str]:
    return [p["goal"] for p in picks]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("goal:passport", ["passport"]),
        ("3 1", ["legal_status", "passport"]),
        ("3, 1 and 5", ["legal_status", "passport", "family"]),
        ("4 y 2", ["housing", "wages"]),
        ("I want my passport back and my unpaid wages", ["passport", "wages"]),
        ("quiero estar con mi familia y mi pasaporte", ["family", "passport"]),
        ("99", []),
        ("goal:nonsense", []),
    ],
)
def test_goals_in_a_message_in_its_order(text, expected):
    assert goals(picks_in(text)) == expected


def test_anything_else_is_kept_in_their_own_words():
    [pick] = picks_in("that my old boss says sorry to me")
    assert pick == {"goal": OWN_WORDS, "text": "that my old boss says sorry to me"}


def validate(text: str, intent: str, domain, **slots):
    tracker = make_tracker([*session_start(), *user(text, intent)], **slots)
    return ValidateGoalsForm().validate_goal_pick(text, CollectingDispatcher(), tracker, domain)


def test_each_message_adds_in_order_without_repeats(domain):
    first = validate("2 1", "out_of_scope", domain, goals_round=1.0, justice_goals=[])
    assert first["goal_pick"] is None  # asked again: more, or done
    assert goals(first["justice_goals"]) == ["wages", "passport"]
    second = validate(
        "1 and 11", "out_of_scope", domain, goals_round=1.0, justice_goals=first["justice_goals"]
    )
    assert goals(second["justice_goals"]) == ["wages", "passport", "heal"]


def test_later_rounds_are_marked(domain):
    earlier = [{"goal": "passport", "round": 1}]
    later = validate("9", "out_of_scope", domain, goals_round=2.0, justice_goals=earlier)
    assert later["justice_goals"] == [
        {"goal": "passport", "round": 1},
        {"goal": "sue", "round": 2},
    ]


@pytest.mark.parametrize(("text", "intent"), [("done", "done"), ("skip", "skip")])
def test_done_or_skip_ends_the_questions(domain, text, intent):
    assert validate(text, intent, domain, justice_goals=[]) == {"goal_pick": DONE}


def test_new_list_starts_again(domain):
    result = validate(
        "new list please", "set_goals", domain, justice_goals=[{"goal": "sue", "round": 1}]
    )
    assert result == {"goal_pick": None, "justice_goals": []}


def test_a_new_round_is_counted(domain):
    tracker = make_tracker(
        [*session_start(), *user("change my goals", "set_goals")], goals_round=1.0
    )
    events, _ = run(ActionStartGoals(), tracker, domain)
    assert {e["name"]: e["value"] for e in events} == {"goals_round": 2.0, "goal_pick": None}


@pytest.mark.parametrize(
    ("slots", "response"),
    [
        ({"goals_round": 1.0, "justice_goals": []}, "utter_ask_goal_pick"),
        (
            {"goals_round": 1.0, "justice_goals": [{"goal": "heal", "round": 1}]},
            "utter_ask_goal_more",
        ),
        (
            {"goals_round": 2.0, "justice_goals": [{"goal": "heal", "round": 1}]},
            "utter_ask_goal_again",
        ),
    ],
)
def test_the_question_fits_what_was_chosen(domain, slots, response):
    tracker = make_tracker([*session_start(), *user("goals", "set_goals")], **slots)
    _, messages = run(ActionAskGoalPick(), tracker, domain)
    assert [m["response"] for m in messages] == [response]


def test_goals_are_shown_back_most_important_first(domain):
    chosen = [
        {"goal": "housing", "round": 1},
        {"goal": OWN_WORDS, "text": "see my mother again", "round": 1},
        {"goal": "passport", "round": 2},
    ]
    tracker = make_tracker([*session_start(), *user("my goals", "my_goals")], justice_goals=chosen)
    _, messages = run(ActionShowGoals(), tracker, domain)
    assert [m["response"] for m in messages] == [
        "utter_goals_intro",
        "utter_goal_housing",
        "utter_goal_own",
        "utter_goal_passport",
        "utter_goals_next",
    ]
    assert [m.get("goal_number") for m in messages[1:4]] == [1, 2, 3]
    assert messages[2]["goal_text"] == "see my mother again"


def test_no_goals_yet(domain):
    tracker = make_tracker([*session_start(), *user("my goals", "my_goals")])
    _, messages = run(ActionShowGoals(), tracker, domain)
    assert [m["response"] for m in messages] == ["utter_goals_none"]
