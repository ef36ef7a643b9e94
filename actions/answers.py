"""A yes/no question's answer, from the button, the words it starts with, or the intent."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Dict, List, Optional

from rasa_sdk import Tracker

from webhook.language import IDEOGRAPH, fold
from webhook.yamlfile import read_yaml

ANSWERS_FILE = Path(__file__).resolve().parent.parent / "content" / "directory" / "answers.yml"
YES = "yes"
NO = "no"
SKIPPED = "skipped"  # the person chose not to answer; never asked again
UNCLEAR = "unclear"  # answered, but not as yes or no: kept as such, never guessed
UNSURE = "unsure"

ANSWER_BY_INTENT = {"affirm": YES, "deny": NO, "skip": SKIPPED}


@functools.lru_cache(maxsize=1)
def answer_words() -> Dict[str, List[str]]:
    """unsure / yes / no -> the folded words that start such an answer (content/directory)."""
    doc = read_yaml(ANSWERS_FILE) or {}
    return {kind: [fold(str(word)) for word in words] for kind, words in doc.items()}


def starting_answer(text: str) -> Optional[str]:
    """yes, no or unsure when the message starts with such a word ("si, me quitan dinero")."""
    said = " ".join(re.findall(r"\w+", fold(text).replace("'", "")))
    for kind in (UNSURE, YES, NO):
        for word in answer_words().get(kind, []):
            word = " ".join(re.findall(r"\w+", word.replace("'", "")))
            # Chinese has no spaces: the word may run straight on.
            joined = " " if not IDEOGRAPH.match(word) else ""
            if said == word or said.startswith(word + joined):
                return {UNSURE: UNCLEAR, YES: YES, NO: NO}[kind]
    return None


def yes_no(tracker: Tracker) -> str:
    """The latest message as an answer: yes, no, skipped, or unclear."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    text = tracker.latest_message.get("text") or ""
    if text.startswith("/") or intent == "skip":  # a button, or "no quiero contestar"
        return ANSWER_BY_INTENT.get(intent, UNCLEAR)
    return starting_answer(text) or ANSWER_BY_INTENT.get(intent, UNCLEAR)
