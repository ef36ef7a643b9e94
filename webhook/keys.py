"""Redis keys about a conversation, built in one place, so all of them can be found and erased."""

from __future__ import annotations

from typing import List

# Rasa's stores use the same prefix (bot/stores.py KEY_PREFIX; tests/test_keys.py checks it).
PREFIX = "puente"


def conversation_language(conversation_id: str) -> str:
    """Hash holding a conversation's language and how it was chosen."""
    return f"{PREFIX}:lang:{conversation_id}"


def rasa_tracker(conversation_id: str) -> str:
    """Rasa's tracker (the whole conversation) in its Redis tracker store."""
    return f"{PREFIX}:tracker:{conversation_id}"


def rasa_lock(conversation_id: str) -> str:
    """Rasa's ticket lock for the conversation in its Redis lock store."""
    return f"{PREFIX}:lock:{conversation_id}"


def about_conversation(conversation_id: str) -> List[str]:
    """Every key Puente keeps about one conversation."""
    return [
        rasa_tracker(conversation_id),
        rasa_lock(conversation_id),
        conversation_language(conversation_id),
    ]
