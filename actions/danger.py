"""Records that a person said they are in danger and opens a priority handoff, no question asked."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import PRIORITY_DANGER, handoff_command


class ActionMarkDanger(Action):
    """Sets the in_danger slot and asks for a priority handoff; 911 and the hotline are sent."""

    def name(self) -> str:
        return "action_mark_danger"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        dispatcher.utter_message(json_message=handoff_command(PRIORITY_DANGER, tracker))
        return [SlotSet("in_danger", True), SlotSet("handoff", True)]
