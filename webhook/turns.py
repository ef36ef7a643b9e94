"""One turn of a conversation: pick the language, ask Rasa, and always return something to say."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from webhook import language
from webhook.erase import DELETE_COMMAND, erase_conversation
from webhook.rasa_client import RasaUnavailable
from webhook.services import Services

log = logging.getLogger(__name__)


@dataclass
class Reply:
    """What Puente answers to one message."""

    language: str
    messages: List[Dict[str, Any]] = field(default_factory=list)
    fallback: bool = False
    deleted: bool = False


def log_id(conversation_id: str) -> str:
    """A short, one-way tag for a conversation in the logs."""
    return hashlib.sha256(conversation_id.encode()).hexdigest()[:12]


def unavailable_reply(services: Services, code: str) -> Reply:
    """The reply when Rasa cannot answer: how to reach a person and the emergency number."""
    text = services.content.ui_text("service_unavailable", code)
    return Reply(language=code, messages=[{"text": text, "buttons": []}], fallback=True)


def handle(
    services: Services,
    conversation_id: str,
    text: str,
    choice: Optional[str] = None,
    hint: Optional[str] = None,
) -> Reply:
    """Answer one message; never raises for a failure of Rasa, the actions, NLG or Redis."""
    started = time.monotonic()
    code = language.resolve(
        services.language_memory,
        services.detector,
        conversation_id,
        text,
        services.languages,
        choice=choice,
        hint=hint,
    )
    try:
        messages = services.rasa.send(conversation_id, text, {"language": code})
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
    except RasaUnavailable as error:
        log.error(
            "rasa unavailable; sent the fallback reply",
            extra={"conversation": log_id(conversation_id), "reason": str(error)},
        )
        reply = unavailable_reply(services, code)
    log.info(
        "turn",
        extra={
            "conversation": log_id(conversation_id),
            "language": code,
            "fallback": reply.fallback,
            "messages": len(reply.messages),
            "deleted": reply.deleted,
            "ms": round((time.monotonic() - started) * 1000),
        },
    )
    return reply
