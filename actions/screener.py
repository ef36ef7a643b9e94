"""The yes/no questions about work or a situation: no verdict, what the law provides, next steps."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answers import YES, yes_no
from actions.referral import ask_action

# The recognised indicators, in the order asked; each is a slot "screen_<code>" and, for a "yes",
# a response "utter_screen_result_<code>" in content/.
INDICATORS = ["documents", "debt", "leave", "threats", "promised", "pay", "isolation"]


def slot_of(indicator: str) -> str:
    """The slot that holds one indicator's answer."""
    return f"screen_{indicator}"


def screener_responses() -> List[str]:
    """The response names that ask each question and answer each "yes" (tests check their texts)."""
    asks = [f"utter_ask_{slot_of(code)}" for code in INDICATORS]
    return asks + [f"utter_screen_result_{code}" for code in INDICATORS]


# One class per question, so the rasa-sdk executor finds and registers each by its name.
ASK_ACTIONS = [ask_action(slot_of(code)) for code in INDICATORS]


class ActionStartScreener(Action):
    """Says what the questions are and are not, and clears any earlier answers."""

    def name(self) -> str:
        return "action_start_screener"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        dispatcher.utter_message(response="utter_screen_intro")
        return [SlotSet(slot_of(code), None) for code in INDICATORS]


class ValidateScreenerForm(FormValidationAction):
    """One validate_<slot> per question; each answer is yes, no, skipped or unclear."""

    def name(self) -> str:
        return "validate_screener_form"

    @staticmethod
    def answer(slot: str, value: Any, tracker: Tracker) -> Dict[str, Any]:
        """The answer to one question (None when the slot was cleared: still to be asked)."""
        return {slot: None if value is None else yes_no(tracker)}

    def validate_screen_documents(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Someone keeps their passport or ID."""
        return self.answer("screen_documents", value, tracker)

    def validate_screen_debt(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A debt to an employer or recruiter they cannot pay off."""
        return self.answer("screen_debt", value, tracker)

    def validate_screen_leave(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Not allowed, or afraid, to leave the job or the place they live."""
        return self.answer("screen_leave", value, tracker)

    def validate_screen_threats(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Threats to them or their family, or to call immigration or the police."""
        return self.answer("screen_threats", value, tracker)

    def validate_screen_promised(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A job different from the one promised."""
        return self.answer("screen_promised", value, tracker)

    def validate_screen_pay(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Pay kept or cut."""
        return self.answer("screen_pay", value, tracker)

    def validate_screen_isolation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Kept from talking to other people."""
        return self.answer("screen_isolation", value, tracker)


class ActionScreenerResults(Action):
    """For each "yes", what the law provides; then what such answers can mean, and a person."""

    def name(self) -> str:
        return "action_screener_results"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        said_yes = [code for code in INDICATORS if tracker.get_slot(slot_of(code)) == YES]
        for code in said_yes:
            dispatcher.utter_message(response=f"utter_screen_result_{code}")
        closing = "utter_screen_meaning" if said_yes else "utter_screen_none"
        dispatcher.utter_message(response=closing)
        dispatcher.utter_message(response="utter_referral_hotline")
        return []
