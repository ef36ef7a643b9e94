"""The referral questions (what they need, where they are) and the places that fit."""

from __future__ import annotations

import abc
import functools
import logging
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answers import SKIPPED
from webhook.directory import (
    Directory,
    Provider,
    directory_from_environment,
    hotline,
    normalize_zip,
    zip_to_state,
)
from webhook.language import IDEOGRAPH, fold
from webhook.yamlfile import read_yaml

log = logging.getLogger(__name__)

NEEDS_FILE = Path(__file__).resolve().parent.parent / "content" / "directory" / "needs.yml"
NEED_PAYLOAD = re.compile(r"^need:([a-z_]+)$")
ZIP_IN_TEXT = re.compile(r"\b(\d{5})(?:-\d{4})?\b")
UNKNOWN = "unknown"  # answered, but not in words Puente maps to a need or a place
SKIP_INTENT = "skip"
MAX_PLACES = 3
SHORT_WORD = 3  # letters: a word this short matches only whole


def word_start(word: str) -> str:
    """A pattern for the word at a word's start; Chinese has no spaces, so anywhere.

    A word whose last part is short must also end there: without accents Vietnamese "nợ" is "no",
    which would otherwise match "nói" (to speak).
    """
    if IDEOGRAPH.match(word):
        return re.escape(word)
    whole = len(word.split()[-1]) <= SHORT_WORD if word.split() else False
    return rf"(?<!\w){re.escape(word)}" + (r"(?!\w)" if whole else "")


@functools.lru_cache(maxsize=1)
def need_words() -> Dict[str, List[str]]:
    """Need code -> the words that say it (content/directory/needs.yml), in file order."""
    doc = read_yaml(NEEDS_FILE) or {}
    return {code: [fold(str(word)) for word in words] for code, words in doc.items()}


def need_in(text: str) -> Optional[str]:
    """The need a message names: a button's "need:<code>", else the need with most words in it."""
    button = NEED_PAYLOAD.match(text.strip())
    if button:
        return button.group(1) if button.group(1) in need_words() else None
    said = fold(text)
    best, best_count = None, 0
    for code, words in need_words().items():
        count = sum(1 for word in words if re.search(word_start(word), said))
        if count > best_count:
            best, best_count = code, count
    return best


@functools.lru_cache(maxsize=1)
def state_names() -> Dict[str, str]:
    """State names and codes, lowercase -> code (from the ZIP table's states)."""
    from webhook.directory import known_states

    return {code.casefold(): code for code in known_states()} | STATE_NAMES


STATE_NAMES = {
    name: code
    for code, names in {
        "AL": ["alabama"], "AK": ["alaska"], "AZ": ["arizona"], "AR": ["arkansas"],
        "CA": ["california"], "CO": ["colorado"], "CT": ["connecticut"], "DE": ["delaware"],
        "DC": ["district of columbia", "washington dc"], "FL": ["florida"], "GA": ["georgia"],
        "HI": ["hawaii"], "ID": ["idaho"], "IL": ["illinois"], "IN": ["indiana"], "IA": ["iowa"],
        "KS": ["kansas"], "KY": ["kentucky"], "LA": ["louisiana"], "ME": ["maine"],
        "MD": ["maryland"], "MA": ["massachusetts"], "MI": ["michigan"], "MN": ["minnesota"],
        "MS": ["mississippi"], "MO": ["missouri"], "MT": ["montana"], "NE": ["nebraska"],
        "NV": ["nevada"], "NH": ["new hampshire"], "NJ": ["new jersey"], "NM": ["new mexico"],
        "NY": ["new york", "nueva york"], "NC": ["north carolina", "carolina del norte"],
        "ND": ["north dakota"], "OH": ["ohio"], "OK": ["oklahoma"], "OR": ["oregon"],
        "PA": ["pennsylvania", "pensilvania"], "RI": ["rhode island"],
        "SC": ["south carolina", "carolina del sur"], "SD": ["south dakota"],
        "TN": ["tennessee"], "TX": ["texas", "tejas"], "UT": ["utah"], "VT": ["vermont"],
        "VA": ["virginia"], "WA": ["washington"], "WV": ["west virginia"],
        "WI": ["wisconsin"], "WY": ["wyoming"], "PR": ["puerto rico"], "GU": ["guam"],
    }.items()
    for name in names
}  # fmt: skip


def place_in(text: str) -> Optional[str]:
    """A ZIP code ("94110") or a state code ("CA") named in the message."""
    found = ZIP_IN_TEXT.search(text)
    if found and zip_to_state(found.group(1)):
        return found.group(1)
    said = " ".join(re.findall(r"\w+", fold(text)))
    names = state_names()
    for name in sorted(names, key=len, reverse=True):  # "west virginia" before "virginia"
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", said) and (len(name) > 2 or said == name):
            return names[name]
    return None


def conversation_language(tracker: Tracker) -> Optional[str]:
    """The language the web layer set on the latest message."""
    metadata = tracker.latest_message.get("metadata") or {}
    code = metadata.get("language")
    return code if isinstance(code, str) else None


class ActionPrefillReferral(Action):
    """Keeps what the first message already said ("i need a lawyer in 94110"): never asked twice."""

    def name(self) -> str:
        return "action_prefill_referral"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        # A new request starts fresh, keeping nothing from an earlier one.
        events = [SlotSet(name, None) for name in ("need", "location") if tracker.get_slot(name)]
        need = need_in(text)
        if need:
            events.append(SlotSet("need", need))
        place = place_in(text)
        if place:
            events.append(SlotSet("location", place))
        return events


class AskAction(Action, abc.ABC):
    """Asks one question of the form (a custom action, so its text lives in content/ only)."""

    action_name: str

    @property
    @abc.abstractmethod
    def response(self) -> str:
        """The response that asks the question (subclasses set it)."""

    def name(self) -> str:
        return self.action_name

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        dispatcher.utter_message(response=self.response)
        return []


def ask_action(slot: str) -> type:
    """The action that asks for one slot of a form (Rasa's form calls action_ask_<slot>)."""
    attributes = {
        "__doc__": f"Asks for {slot}.",
        "action_name": f"action_ask_{slot}",
        "response": f"utter_ask_{slot}",
    }
    name = "ActionAsk" + "".join(part.title() for part in slot.split("_"))
    return type(name, (AskAction,), attributes)


class ActionAskNeed(AskAction):
    """Asks what they need."""

    action_name = "action_ask_need"
    response = "utter_ask_need"


class ActionAskLocation(AskAction):
    """Asks where they are, saying it is optional."""

    action_name = "action_ask_location"
    response = "utter_ask_location"


class ValidateReferralForm(FormValidationAction):
    """One validate_<slot> per question; "skip" is an answer, and nothing is asked twice."""

    def name(self) -> str:
        return "validate_referral_form"

    @staticmethod
    def skipped(tracker: Tracker) -> bool:
        return (tracker.latest_message.get("intent") or {}).get("name") == SKIP_INTENT

    def validate_need(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Their need in their words or from a button; skip or words Puente does not map move on."""
        if value is None:
            return {"need": None}  # cleared for a new request: still to be asked
        if self.skipped(tracker):
            return {"need": SKIPPED}
        return {"need": need_in(str(value)) or UNKNOWN}

    def validate_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A state or ZIP code, optional: skipped or not understood, the search goes national."""
        if value is None:
            return {"location": None}
        if self.skipped(tracker):
            return {"location": SKIPPED}
        return {"location": place_in(str(value)) or UNKNOWN}


def contact_ways(provider: Provider) -> Dict[str, str]:
    """How to reach a provider, by the UI text that labels each way (the words are in content/)."""
    contact = provider.contact
    ways = {
        "contact_call": contact.phone,
        "contact_text": contact.text,
        "contact_text_keyword": contact.text and contact.text_keyword,
        "contact_tty": contact.tty,
        "contact_web": contact.web,
    }
    return {label: value for label, value in ways.items() if value}


class ActionFindProviders(Action):
    """At most three places that fit the need, place, language and hour; always the hotline too."""

    def __init__(
        self,
        directory: Optional[Directory] = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._directory = directory
        self._clock = clock

    def name(self) -> str:
        return "action_find_providers"

    @property
    def directory(self) -> Directory:
        if self._directory is None:
            # Read once, on first use: the national list plus PUENTE_DIRECTORY_FILE's local one.
            self._directory = directory_from_environment()
        return self._directory

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        need = tracker.get_slot("need")
        place = tracker.get_slot("location")
        zip_code = normalize_zip(place) if place and place[:1].isdigit() else None
        state = (
            zip_to_state(zip_code) if zip_code else (place if place and len(place) == 2 else None)
        )
        line = hotline(self.directory)
        matches = []
        if need not in (None, SKIPPED, UNKNOWN):
            matches = self.directory.find(
                need,
                state=state,
                zip_code=zip_code,
                language=conversation_language(tracker),
                now=self._clock(),
                limit=MAX_PLACES,
            )
        places = [m for m in matches if m.provider.id != line.id]
        log.info("referral", extra={"need": need, "places": len(places), "has_place": bool(state)})
        if places:
            dispatcher.utter_message(response="utter_referral_intro")
        for match in places:
            provider = match.provider
            dispatcher.utter_message(
                response="utter_referral_item_open" if match.open_now else "utter_referral_item",
                provider_name=provider.name,
                provider_contact=contact_ways(provider),
                provider_hours={"hours": list(provider.hours.spec)},
                provider_languages={"languages": list(provider.languages)},
            )
        dispatcher.utter_message(response="utter_referral_hotline")
        return []
