"""The one way a conversation is named in any log, web layer and Rasa alike."""

from __future__ import annotations

import hashlib


def log_id(conversation_id: str) -> str:
    """A short, one-way tag for a conversation in the logs (the same in every process)."""
    return hashlib.sha256(str(conversation_id).encode()).hexdigest()[:12]
