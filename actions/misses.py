"""Counts how many messages in a row Puente did not understand, so the reply can change."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

# Not understood, or understood as off topic ("hahaha", "i like football"): both are misses.
MISSED_INTENTS = {"nlu_fallback", "out_of_scope"}


def consecutive_misses(tracker: Tracker) -> int:
    """How many of the latest user messages in a row were not understood."""
    misses = 0
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            break  # a new session starts with a clean slate
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if intent.get("name") not in MISSED_INTENTS:
            break
        misses += 1
    return misses


class ActionCountMisses(Action):
    """Sets `misses` to one on a first miss, many when the one before was missed too."""

    def name(self) -> str:
        return "action_count_misses"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return [SlotSet("misses", "one" if consecutive_misses(tracker) <= 1 else "many")]
