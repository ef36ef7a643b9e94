"""One turn of a conversation: pick the language, ask Rasa, and always return something to say."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from webhook import language
from webhook.erase import DELETE_COMMAND, erase_conversation
from webhook.language_choice import choice_payload
from webhook.machine import PIVOT, likely_to_read
from webhook.rasa_client import RasaUnavailable
from webhook.services import Services

log = logging.getLogger(__name__)

MENU_PAYLOAD = "/ask_menu"


@dataclass
class Reply:
    """What Puente answers to one message."""

    language: str
    messages: List[Dict[str, Any]] = field(default_factory=list)
    fallback: bool = False
    deleted: bool = False
    machine_translated: bool = False


def log_id(conversation_id: str) -> str:
    """A short, one-way tag for a conversation in the logs."""
    return hashlib.sha256(conversation_id.encode()).hexdigest()[:12]


def unavailable_reply(services: Services, code: str) -> Reply:
    """The reply when Rasa cannot answer: how to reach a person and the emergency number."""
    text = services.content.ui_text("service_unavailable", code)
    return Reply(language=code, messages=[{"text": text, "buttons": []}], fallback=True)


def language_menu(services: Services, code: str) -> Reply:
    """The list of languages Puente writes in, each as a button that chooses it."""
    content = services.content
    buttons = [
        {"title": content.ui_text("language_name", other), "payload": choice_payload(other)}
        for other in services.languages
    ]
    text = content.ui_text("choose_language", code)
    return Reply(language=code, messages=[{"text": text, "buttons": buttons}])


def handle(
    services: Services,
    conversation_id: str,
    text: str,
    choice: Optional[str] = None,
    hint: Optional[str] = None,
) -> Reply:
    """Answer one message; never raises for a failure of Rasa, the actions, NLG or Redis."""
    started = time.monotonic()
    asked = services.choice_words.parse(text)
    if asked is not None and not asked.wants_menu:
        choice = asked.code  # chosen in words or from the language menu: it wins
    unknown = None
    if asked is None:
        unknown = language.unsupported(services.detector, text, services.understood_languages)
    code = language.resolve(
        services.language_memory,
        services.detector,
        conversation_id,
        "" if unknown else text,  # never switch on a language Puente cannot handle
        services.understood_languages,
        choice=choice,
        hint=hint,
    )
    if asked is not None and asked.wants_menu:
        reply = language_menu(services, code)
    elif asked is not None:
        # The person asked for a language, not a topic: confirm it and show what Puente can do.
        reply = ask_rasa(services, conversation_id, MENU_PAYLOAD, code)
        confirmation = {"text": services.content.ui_text("language_changed", code), "buttons": []}
        reply.messages.insert(0, confirmation)
    elif unknown is not None:
        reply = ask_rasa(services, conversation_id, text, PIVOT)
        if not reply.fallback:
            reply = in_english_with_notice(services, reply, unknown)
    elif code not in services.languages:
        reply = machine_turn(services, conversation_id, text, code)
    else:
        reply = ask_rasa(services, conversation_id, text, code)
    log.info(
        "turn",
        extra={
            "conversation": log_id(conversation_id),
            "language": reply.language,
            "fallback": reply.fallback,
            "messages": len(reply.messages),
            "deleted": reply.deleted,
            "ms": round((time.monotonic() - started) * 1000),
        },
    )
    return reply


def ask_rasa(
    services: Services, conversation_id: str, text: str, code: str, content_language: str = ""
) -> Reply:
    """Rasa's answer, its texts in `content_language` (default: the conversation's language)."""
    try:
        messages = services.rasa.send(conversation_id, text, {"language": content_language or code})
    except RasaUnavailable as error:
        log.error(
            "rasa unavailable; sent the fallback reply",
            extra={"conversation": log_id(conversation_id), "reason": str(error)},
        )
        return unavailable_reply(services, code if code in services.languages else "en")
    reply = Reply(
        language=code,
        messages=[
            {"text": m["text"], "buttons": m.get("buttons") or []}
            for m in messages
            if m.get("text")
        ],
    )
    if DELETE_COMMAND in (m.get("custom") for m in messages):
        # Rasa has saved the turn by now, so nothing it writes can outlive the erasure.
        reply.deleted = erase_conversation(services.redis, conversation_id)
    return reply


def machine_turn(services: Services, conversation_id: str, text: str, code: str) -> Reply:
    """A language with translation models only: understood through English, answered translated."""
    machine = services.machine
    english = text if text.startswith("/") else machine.to_english(text, code)
    if english is None:
        reply = ask_rasa(services, conversation_id, MENU_PAYLOAD, PIVOT)
        return in_english_with_notice(services, reply, code)
    reply = ask_rasa(services, conversation_id, english, code, content_language=PIVOT)
    if reply.fallback:
        return reply
    notice = {"text": services.content.ui_text("machine_translation_notice", PIVOT), "buttons": []}
    translated = machine.from_english([notice, *reply.messages], code)
    if translated is None:
        return in_english_with_notice(services, reply, code)
    reply.messages = translated
    reply.machine_translated = True
    return reply


def in_english_with_notice(services: Services, reply: Reply, code: str) -> Reply:
    """English, said to be English in a language they likely read, then the language menu."""
    readable = likely_to_read(code, set(services.languages))
    notice = {"text": services.content.ui_text("no_translation_notice", readable), "buttons": []}
    menu = language_menu(services, readable).messages
    return Reply(
        language=PIVOT,
        messages=[notice, *reply.messages, *menu],
        fallback=reply.fallback,
        deleted=reply.deleted,
    )
