"""Turns Puente's replies into SMS bodies: buttons become numbered choices, sized for SMS."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from twilio.twiml.messaging_response import MessagingResponse

from webhook.content import ContentStore

CHOICE_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


@dataclass
class Texts:
    """What to text back for one message, and what each number of its menu means."""

    bodies: List[str]
    payloads: List[str]


def numbered(content: ContentStore, messages: List[Dict[str, Any]], language: str) -> Texts:
    """Every message's text; the last message's buttons as a numbered list after it."""
    texts = [m["text"] for m in messages if m.get("text")]
    buttons = next((m["buttons"] for m in reversed(messages) if m.get("buttons")), [])
    if not buttons:
        return Texts(bodies=texts, payloads=[])
    lines = [content.sms_text("sms_choices_intro", language)]
    lines += [
        content.sms_text("sms_choice", language, number=number, title=button["title"])
        for number, button in enumerate(buttons, start=1)
    ]
    return Texts(bodies=texts + ["\n".join(lines)], payloads=[b["payload"] for b in buttons])


def chosen_number(body: str) -> Optional[int]:
    """The number a person replied with ("2", " 2.", "2)"), if the message is only that."""
    found = CHOICE_NUMBER.match(body)
    return int(found.group(1)) if found else None


def twiml(bodies: List[str]) -> str:
    """A TwiML answer that texts each body back (or nothing, for an empty list)."""
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return str(response)
