"""Records that a person said they are in danger, so a handoff can be prioritised."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher


class ActionMarkDanger(Action):
    """Sets the in_danger slot; the reply with 911 and the hotline has already been sent."""

    def name(self) -> str:
        return "action_mark_danger"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return [SlotSet("in_danger", True)]
