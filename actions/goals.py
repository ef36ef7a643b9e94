"""Justice goals the survivor sets: picked from a list or in their own words, in their order."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.referral import AskAction, word_start
from webhook.language import fold
from webhook.yamlfile import read_yaml

GOALS_FILE = Path(__file__).resolve().parent.parent / "content" / "directory" / "goals.yml"
GOAL_PAYLOAD = re.compile(r"^goal:([a-z_]+)$")
# "3", "3 1 5", "3, 1 and 5", "3 y 1": numbers of the list, in the person's order.
NUMBERS = re.compile(r"^\s*\d+(?:\s*(?:,|;|&|and|y|e|et|at)?\s*\d+)*\s*\.?\s*$")
START_AGAIN = "_start_again"
DONE = "done"
FINISHING_INTENTS = {"done", "skip"}
OWN_WORDS = "own"  # a goal in the person's own words
MAX_OWN_WORDS = 200  # characters kept of a goal written in their words
MAX_GOALS = 12


@functools.lru_cache(maxsize=1)
def goal_words() -> Dict[str, List[str]]:
    """Goal code -> the words that name it, in offered order (plus the start-again words)."""
    doc = read_yaml(GOALS_FILE) or {}
    return {code: [fold(str(word)) for word in words] for code, words in doc.items()}


def goal_codes() -> List[str]:
    """The goals offered, in order (numbered from 1 in the question)."""
    return [code for code in goal_words() if not code.startswith("_")]


def picks_in(text: str) -> List[Dict[str, Any]]:
    """The goals a message names, in its order: a button, numbers ("3 1 5"), words, or its words."""
    text = text.strip()
    button = GOAL_PAYLOAD.match(text)
    if button:
        return [{"goal": button.group(1)}] if button.group(1) in goal_codes() else []
    codes = goal_codes()
    if NUMBERS.match(text):
        numbers = [int(n) for n in re.findall(r"\d+", text)]
        return [{"goal": codes[n - 1]} for n in numbers if 1 <= n <= len(codes)]
    said = fold(text)
    found = []
    for code in codes:
        words = goal_words()[code]
        positions = [m.start() for w in words for m in re.finditer(word_start(w), said)]
        if positions:
            found.append((min(positions), code))
    if found:
        return [{"goal": code} for _, code in sorted(found)]
    return [{"goal": OWN_WORDS, "text": text[:MAX_OWN_WORDS]}]


def wants_new_list(text: str) -> bool:
    """True when the person asks to clear their goals and start again."""
    said = fold(text)
    return any(re.search(word_start(w), said) for w in goal_words().get(START_AGAIN, []))


def add_goals(current: List[Dict[str, Any]], picks: List[Dict[str, Any]], round_: int) -> List:
    """The list with new picks appended (no repeats), each marked with the round it came in."""
    updated = list(current)
    for pick in picks:
        repeated = any(
            g["goal"] == pick["goal"] and g.get("text") == pick.get("text") for g in updated
        )
        if not repeated and len(updated) < MAX_GOALS:
            updated.append({**pick, "round": round_})
    return updated


class ActionStartGoals(Action):
    """Starts a round of choosing: goals added now are marked as this round's."""

    def name(self) -> str:
        return "action_start_goals"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        round_ = int(tracker.get_slot("goals_round") or 0) + 1
        return [SlotSet("goals_round", float(round_)), SlotSet("goal_pick", None)]


class ActionAskGoalPick(AskAction):
    """Asks for goals; once some are chosen this round, asks for more or "done"."""

    action_name = "action_ask_goal_pick"
    response = "utter_ask_goal_pick"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        round_ = int(tracker.get_slot("goals_round") or 1)
        goals = tracker.get_slot("justice_goals") or []
        chosen_now = [g for g in goals if g.get("round") == round_]
        if chosen_now:
            dispatcher.utter_message(response="utter_ask_goal_more", goal_count=len(goals))
        elif goals:
            dispatcher.utter_message(response="utter_ask_goal_again", goal_count=len(goals))
        else:
            dispatcher.utter_message(response=self.response)
        return []


class ValidateGoalsForm(FormValidationAction):
    """Adds each message's goals to the list until the person says they are done."""

    def name(self) -> str:
        return "validate_goals_form"

    def validate_goal_pick(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Goals in their order; "done" or "skip" ends; "new list" clears; then asks for more."""
        if value is None:
            return {"goal_pick": None}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = str(value)
        if wants_new_list(text):
            return {"goal_pick": None, "justice_goals": []}
        if intent in FINISHING_INTENTS:
            return {"goal_pick": DONE}
        round_ = int(tracker.get_slot("goals_round") or 1)
        goals = add_goals(tracker.get_slot("justice_goals") or [], picks_in(text), round_)
        return {"goal_pick": None, "justice_goals": goals}


class ActionShowGoals(Action):
    """Shows the goals back, most important first, with how to change them."""

    def name(self) -> str:
        return "action_show_goals"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        goals = tracker.get_slot("justice_goals") or []
        if not goals:
            dispatcher.utter_message(response="utter_goals_none")
            return [SlotSet("goal_pick", None)]
        dispatcher.utter_message(response="utter_goals_intro")
        for number, goal in enumerate(goals, start=1):
            if goal["goal"] == OWN_WORDS:
                dispatcher.utter_message(
                    response="utter_goal_own", goal_number=number, goal_text=goal.get("text", "")
                )
            else:
                name = f"utter_goal_{goal['goal']}"
                dispatcher.utter_message(response=name, goal_number=number)
        dispatcher.utter_message(response="utter_goals_next")
        return [SlotSet("goal_pick", None)]


def goal_title_responses() -> List[str]:
    """The response names that show each offered goal (tests check each has a text)."""
    return [f"utter_goal_{code}" for code in goal_codes()]
