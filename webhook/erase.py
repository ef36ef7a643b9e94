"""Erases everything Puente keeps about one conversation, when the person asks for it."""

from __future__ import annotations

import logging

import redis

from webhook import keys

log = logging.getLogger(__name__)

# Sent by the action server's action_delete_conversation (actions/deletion.py) once confirmed.
DELETE_COMMAND = {"puente_command": "delete_conversation"}


def erase_conversation(connection: redis.Redis, conversation_id: str) -> bool:
    """Delete the tracker, its lock and the language memory; True when Redis confirmed it."""
    try:
        connection.delete(*keys.about_conversation(conversation_id))
    except redis.RedisError:
        log.error("conversation erase failed: redis unavailable")
        return False
    log.info("conversation erased on request")
    return True
