"""Unit tests of the custom actions, the rasa-sdk way (like Rasa's formbot example).

Each test builds a real rasa_sdk Tracker from events shaped exactly as the Rasa server sends them to
the action server (checked against a captured request: user events carry parse_data, every turn
has action and bot events, and `user_featurization` follows each user message), a real
CollectingDispatcher and the domain loaded from domain.yml, calls `run` and checks the events.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

import actions
from actions.danger import ActionMarkDanger
from actions.deletion import DELETE_COMMAND, ActionDeleteConversation
from actions.misses import ActionCountMisses

REPO = Path(__file__).resolve().parent.parent
MODEL_METADATA = {"model_id": "3f1c2b9a8d7e4f60a1b2c3d4e5f60718", "assistant_id": "puente"}
_clock = itertools.count(1795388352)


# Events as the Rasa server serialises them (rasa.shared.core.events ... as_dict()).


def action(name: str, policy: Optional[str] = "RulePolicy") -> Dict[str, Any]:
    return {
        "event": "action",
        "timestamp": float(next(_clock)),
        "metadata": dict(MODEL_METADATA),
        "name": name,
        "policy": policy,
        "confidence": 1.0,
        "action_text": None,
        "hide_rule_turn": False,
    }


def session_start() -> List[Dict[str, Any]]:
    return [
        action("action_session_start", policy=None),
        {"event": "session_started", "timestamp": float(next(_clock)), "metadata": MODEL_METADATA},
        action("action_listen", policy=None),
    ]


def user(text: str, intent: str, confidence: float = 0.93, language: str = "en") -> List[Any]:
    """A user message as parsed by the NLU pipeline, then the featurization marker Rasa adds."""
    message_id = f"m{next(_clock)}"
    parse_data = {
        "intent": {"name": intent, "confidence": confidence},
        "entities": [],
        "text": text,
        "message_id": message_id,
        "metadata": {"language": language},
        "intent_ranking": [
            {"name": intent, "confidence": confidence},
            {"name": "greet", "confidence": round((1 - confidence) / 2, 3)},
        ],
    }
    return [
        {
            "event": "user",
            "timestamp": float(next(_clock)),
            "metadata": {**MODEL_METADATA, "language": language},
            "text": text,
            "parse_data": parse_data,
            "input_channel": "rest",
            "message_id": message_id,
        },
        {
            "event": "user_featurization",
            "timestamp": float(next(_clock)),
            "use_text_for_featurization": False,
        },
    ]


def miss(text: str, language: str = "en") -> List[Any]:
    """A message the FallbackClassifier rejected (its confidence is the threshold)."""
    return user(text, "nlu_fallback", confidence=0.25, language=language)


def bot(utter_action: str) -> List[Dict[str, Any]]:
    """A response action and the message it sent (the text comes from the NLG endpoint)."""
    return [
        action(utter_action),
        {
            "event": "bot",
            "timestamp": float(next(_clock)),
            "metadata": {"utter_action": utter_action, **MODEL_METADATA},
            "text": "...",
            "data": {"elements": None, "quick_replies": None, "buttons": None},
        },
    ]


def slot(name: str, value: Any) -> Dict[str, Any]:
    return {"event": "slot", "timestamp": float(next(_clock)), "name": name, "value": value}


def listen() -> List[Dict[str, Any]]:
    return [action("action_listen", policy="RulePolicy")]


def fallback_turn(text: str, misses: str, language: str = "en") -> List[Any]:
    """A whole missed turn as the rules run it, ending with Puente listening again."""
    reply = "utter_fallback" if misses == "one" else "utter_fallback_repeat"
    return [
        *miss(text, language),
        action("action_count_misses"),
        slot("misses", misses),
        *bot(reply),
        *listen(),
    ]


def make_tracker(events: List[Dict[str, Any]], **slots: Any) -> Tracker:
    """A Tracker built from the state dict the server sends in the action request."""
    latest_user = next(e for e in reversed(events) if e["event"] == "user")
    latest_action = next(e for e in reversed(events) if e["event"] == "action")
    state = {
        "sender_id": "5b0c7c0e1f2a4d7b9e3a6c8d0f1e2a3b",
        "slots": {"misses": None, "in_danger": None, "session_started_metadata": None, **slots},
        "latest_message": latest_user["parse_data"],
        "latest_event_time": events[-1]["timestamp"],
        "followup_action": None,
        "paused": False,
        "events": events,
        "latest_input_channel": "rest",
        "active_loop": {},
        "latest_action": {"action_name": latest_action["name"]},
        "latest_action_name": latest_action["name"],
    }
    return Tracker.from_dict(state)


def run(action_: Action, tracker: Tracker, domain: Dict[str, Any]):
    dispatcher = CollectingDispatcher()
    events = action_.run(dispatcher, tracker, domain)
    return events, dispatcher.messages


# action_count_misses


def test_first_miss_of_the_conversation_is_one(domain):
    tracker = make_tracker([*session_start(), *miss("asdfgh jkl")])
    events, messages = run(ActionCountMisses(), tracker, domain)
    assert events == [SlotSet("misses", "one")]
    assert messages == []  # utter_fallback is the rule's next step, not the action's


def test_first_miss_after_a_greeting_is_one(domain):
    tracker = make_tracker(
        [
            *session_start(),
            *user("hola buenas tardes", "greet", 0.99, "es"),
            *bot("utter_greet"),
            *bot("utter_menu"),
            *listen(),
            *miss("mi perro se llama max", "es"),
        ]
    )
    events, _ = run(ActionCountMisses(), tracker, domain)
    assert events == [SlotSet("misses", "one")]


def test_second_miss_in_a_row_is_many(domain):
    tracker = make_tracker(
        [
            *session_start(),
            *fallback_turn("lkjhg poiu", "one"),
            *miss("my favorite color is green"),
        ],
        misses="one",
    )
    events, messages = run(ActionCountMisses(), tracker, domain)
    assert events == [SlotSet("misses", "many")]
    assert messages == []


def test_third_miss_in_a_row_stays_many(domain):
    tracker = make_tracker(
        [
            *session_start(),
            *fallback_turn("jajaja", "one", "es"),
            *fallback_turn("vendo tamales", "many", "es"),
            *miss("ñlkj asd", "es"),
        ],
        misses="many",
    )
    events, _ = run(ActionCountMisses(), tracker, domain)
    assert events == [SlotSet("misses", "many")]


def test_a_miss_after_an_understood_message_is_one_again(domain):
    tracker = make_tracker(
        [
            *session_start(),
            *fallback_turn("qwerty", "one"),
            *fallback_turn("lol", "many"),
            *user("they havent paid me in 3 weeks", "ask_unpaid_wages", 0.95),
            *bot("utter_unpaid_wages"),
            *listen(),
            *miss("the weather is nice today"),
        ],
        misses="many",  # the slot still holds the last count; the action must not trust it
    )
    events, _ = run(ActionCountMisses(), tracker, domain)
    assert events == [SlotSet("misses", "one")]


def test_a_miss_in_a_new_session_is_one_again(domain):
    tracker = make_tracker(
        [
            *session_start(),
            *fallback_turn("qwerty", "one"),
            *session_start(),  # the person comes back the next day
            *miss("zxcvb mnbv"),
        ],
        misses="one",
    )
    events, _ = run(ActionCountMisses(), tracker, domain)
    assert events == [SlotSet("misses", "one")]


def test_a_button_press_counts_as_understood(domain):
    tracker = make_tracker(
        [
            *session_start(),
            *fallback_turn("xq", "one", "es"),
            *user("/ask_t_visa", "ask_t_visa", 1.0, "es"),
            *bot("utter_t_visa"),
            *bot("utter_t_visa_next_step"),
            *listen(),
            *miss("jsjsjs", "es"),
        ],
        misses="one",
    )
    events, _ = run(ActionCountMisses(), tracker, domain)
    assert events == [SlotSet("misses", "one")]


# action_mark_danger


def test_mark_danger_sets_the_slot_and_opens_a_priority_handoff_without_a_question(domain):
    tracker = make_tracker(
        [
            *session_start(),
            *user("can my employer take my ID card", "ask_passport", 0.87),
            *bot("utter_passport_rights"),
            *bot("utter_passport_next_step"),
            *listen(),
            *user("oh no hes here now, hes coming up the stairs", "in_danger", 0.68),
            *bot("utter_danger_now"),
        ]
    )
    events, messages = run(ActionMarkDanger(), tracker, domain)
    assert events == [SlotSet("in_danger", True), SlotSet("handoff", True)]
    # 911 and the hotline were already sent by utter_danger_now: no text, only the command.
    [command] = [m["custom"] for m in messages]
    assert command["puente_command"] == "handoff" and command["priority"] == "danger"
    assert command["summary"]["topic"] == "ask_passport"  # what the advocate sees first


def test_mark_danger_again_keeps_the_slot_true(domain):
    tracker = make_tracker(
        [
            *session_start(),
            *user("me estan amenazando con una pistola ahorita", "in_danger", 0.98, "es"),
            *bot("utter_danger_now"),
            action("action_mark_danger"),
            slot("in_danger", True),
            *listen(),
            *user("/in_danger", "in_danger", 1.0, "es"),
            *bot("utter_danger_now"),
        ],
        in_danger=True,
    )
    events, messages = run(ActionMarkDanger(), tracker, domain)
    assert events == [SlotSet("in_danger", True), SlotSet("handoff", True)]
    assert [m["text"] for m in messages] == [None]  # the command only, no second danger text


# action_delete_conversation


def test_delete_conversation_sends_the_command_and_no_events(domain):
    tracker = make_tracker(
        [
            *session_start(),
            *user("/delete_my_data", "delete_my_data", 1.0),
            *bot("utter_confirm_delete"),
            *listen(),
            *user("/affirm", "affirm", 1.0),
        ]
    )
    events, messages = run(ActionDeleteConversation(), tracker, domain)
    assert events == []
    assert [m["custom"] for m in messages] == [DELETE_COMMAND]


# The actions as the action server runs them, and as the domain declares them


def registered_actions() -> Dict[str, Action]:
    """The actions the action server registers from the actions package, by name."""
    executor = ActionExecutor()
    executor.register_package(actions)
    # The executor keeps each action's bound `run`; its instance is the action itself.
    return {name: run_method.__self__ for name, run_method in executor.actions.items()}


def test_every_action_in_the_package_is_declared_in_the_domain(domain):
    registered = registered_actions()
    assert {type(a) for a in registered.values()} >= {
        ActionCountMisses,
        ActionMarkDanger,
        ActionDeleteConversation,
    }
    undeclared = sorted(set(registered) - set(domain["actions"]))
    assert not undeclared, f"actions the server runs but domain.yml does not declare: {undeclared}"


@pytest.mark.parametrize(
    "action_class, name",
    [(ActionCountMisses, "action_count_misses"), (ActionMarkDanger, "action_mark_danger")],
)
def test_named_actions_are_declared_and_registered(domain, action_class, name):
    assert action_class().name() == name
    assert name in domain["actions"]
    assert isinstance(registered_actions()[name], action_class)


def test_every_custom_action_in_the_domain_has_an_implementation(domain):
    missing = sorted(set(domain["actions"]) - set(registered_actions()))
    assert not missing, f"domain.yml declares actions no class implements: {missing}"


def test_the_action_server_answers_a_real_request(domain):
    """Through ActionExecutor.run, the action server's entry point, with a whole request."""
    executor = ActionExecutor()
    executor.register_package(actions)
    tracker = make_tracker(
        [*session_start(), *fallback_turn("asdfgh jkl", "one"), *miss("lkjhg poiu")],
        misses="one",
    )
    request = {
        "next_action": "action_count_misses",
        "sender_id": tracker.sender_id,
        "tracker": tracker.current_state(),
        "domain": domain,
        "version": "3.6.21",
    }
    result = executor.run(request)
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    assert result["events"] == [SlotSet("misses", "many")]
    assert result["responses"] == []
