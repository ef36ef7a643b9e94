"""Asks the web layer to delete this conversation once Rasa has finished the turn."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

# The web layer erases the tracker, its lock and the language memory when it sees this command.
# It must run after Rasa has saved the turn, which is why the action cannot delete anything itself.
DELETE_COMMAND = {"puente_command": "delete_conversation"}


class ActionDeleteConversation(Action):
    """Sends the delete command with the reply; the person has already confirmed."""

    def name(self) -> str:
        return "action_delete_conversation"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        dispatcher.utter_message(json_message=DELETE_COMMAND)
        return []
