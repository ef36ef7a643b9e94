"""Passing the conversation to a person: a few questions first, then the web layer's command."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answers import YES, yes_no
from actions.referral import ask_action
from actions.screener import INDICATORS, slot_of

# The web layer opens the ticket when it sees this command (webhook/handoff.py); the bot then says
# nothing until the advocate closes it, and the web layer tells the person what happens next.
HANDOFF_COMMAND = "handoff"
PRIORITY_DANGER = "danger"
PRIORITY_NORMAL = "normal"
MAX_CONTACT_TIME = 100  # characters kept of "when it is safe to contact me"
MAX_CODE_WORD = 30  # characters kept of the word unprompted texts start with
# The "when" buttons' payloads; the web layer holds texts outside the window (webhook/quiet.py).
TIME_PAYLOAD = "time:"
CONTACT_WINDOWS = ("any", "morning", "afternoon", "evening")
SKIPPED = "skipped"
# Besides the ask_* rights questions, what counts as the topic an advocate should know about.
TOPIC_INTENTS = {"fear_deportation", "find_help", "check_situation", "set_goals"}
CONTACT_SLOTS = ["contact_safe", "contact_time", "code_word", "share_consent"]
ONLY_IF_SAFE = {"contact_time", "code_word"}  # not asked of someone it is not safe to write to
SUMMARY_SLOTS = ["need", "location", "justice_goals", *CONTACT_SLOTS]


def summary_of(tracker: Tracker) -> Dict[str, Any]:
    """What Puente gathered, for the advocate: beyond how to contact them, only with consent."""
    summary: Dict[str, Any] = {name: tracker.get_slot(name) for name in CONTACT_SLOTS}
    summary["topic"] = last_topic(tracker)
    if tracker.get_slot("share_consent") == YES:
        summary["need"] = tracker.get_slot("need")
        summary["location"] = tracker.get_slot("location")
        summary["justice_goals"] = tracker.get_slot("justice_goals") or []
        summary["screener"] = {
            code: tracker.get_slot(slot_of(code))
            for code in INDICATORS
            if tracker.get_slot(slot_of(code))
        }
    return {key: value for key, value in summary.items() if value not in (None, [], {})}


def last_topic(tracker: Tracker) -> Optional[str]:
    """The last thing the person asked Puente about (a rights question or a tool), if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            name = (event.get("parse_data") or {}).get("intent", {}).get("name") or ""
            if (name.startswith("ask_") and name != "ask_menu") or name in TOPIC_INTENTS:
                return name
    return None


def handoff_command(priority: str, tracker: Tracker) -> Dict[str, Any]:
    """The message that asks the web layer to open a ticket."""
    return {"puente_command": HANDOFF_COMMAND, "priority": priority, "summary": summary_of(tracker)}


def ask_responses() -> List[str]:
    """The response names that ask each question (tests check their texts)."""
    return [f"utter_ask_{slot}" for slot in CONTACT_SLOTS]


# One class per question, so the rasa-sdk executor finds and registers each by its name.
ASK_ACTIONS = [ask_action(slot) for slot in CONTACT_SLOTS]


def skipped(tracker: Tracker) -> bool:
    """True when the latest message says "skip" (in any language Puente understands)."""
    return (tracker.latest_message.get("intent") or {}).get("name") == "skip"


class ValidateContactForm(FormValidationAction):
    """One validate_<slot> per question; "when" is asked only if writing back is safe."""

    def name(self) -> str:
        return "validate_contact_form"

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        """The questions still worth asking: no "when" or code word if writing is not safe."""
        if tracker.get_slot("contact_safe") not in (None, YES):
            return [slot for slot in domain_slots if slot not in ONLY_IF_SAFE]
        return domain_slots

    def validate_contact_safe(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Yes, no, skipped or unclear."""
        return {"contact_safe": None if value is None else yes_no(tracker)}

    def validate_contact_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A window from the buttons, or their words ("after 6pm"), kept short; or skipped."""
        if value is None:
            return {"contact_time": None}
        if skipped(tracker):
            return {"contact_time": SKIPPED}
        text = str(value).strip()
        if text.startswith(TIME_PAYLOAD) and text[len(TIME_PAYLOAD) :] in CONTACT_WINDOWS:
            return {"contact_time": text[len(TIME_PAYLOAD) :]}
        return {"contact_time": text[:MAX_CONTACT_TIME]}

    def validate_code_word(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Their word, on one line and short; skipping means texts start with a plain greeting."""
        if value is None:
            return {"code_word": None}
        if skipped(tracker):
            return {"code_word": SKIPPED}
        word = " ".join(str(value).split())[:MAX_CODE_WORD]
        return {"code_word": word or SKIPPED}

    def validate_share_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Yes, no, skipped or unclear; only "yes" shares what they said."""
        return {"share_consent": None if value is None else yes_no(tracker)}


class ActionStartContact(Action):
    """Says why the questions come, when some are still unanswered: nothing is asked twice."""

    def name(self) -> str:
        return "action_start_contact"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        if any(tracker.get_slot(name) is None for name in ("contact_safe", "share_consent")):
            dispatcher.utter_message(response="utter_contact_intro")
        return []


class ActionRequestHandoff(Action):
    """Asks the web layer to open a ticket for an advocate, with what Puente gathered."""

    def name(self) -> str:
        return "action_request_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        dispatcher.utter_message(json_message=handoff_command(PRIORITY_NORMAL, tracker))
        return [SlotSet("handoff", True)]


class ActionEndHandoff(Action):
    """The advocate handed the conversation back: the bot answers again."""

    def name(self) -> str:
        return "action_end_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        dispatcher.utter_message(response="utter_handoff_closed")
        return [SlotSet("handoff", False), SlotSet("in_danger", False)]
