"""Redis keys used by the web layer, built in one place, with their lifetimes named."""

from __future__ import annotations

PREFIX = "puente"
# Rasa's own tracker and lock keys use the same prefix: see bot/stores.py.


def conversation_language(conversation_id: str) -> str:
    """Hash holding a conversation's language and how it was chosen."""
    return f"{PREFIX}:lang:{conversation_id}"
