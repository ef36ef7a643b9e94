"""Erases everything Puente keeps about one conversation, when the person asks for it."""

from __future__ import annotations

import logging

import redis

from webhook import keys

log = logging.getLogger(__name__)

# Sent by the action server's action_delete_conversation (actions/deletion.py) once confirmed.
DELETE_COMMAND = {"puente_command": "delete_conversation"}


def erase_conversation(connection: redis.Redis, conversation_id: str) -> bool:
    """Delete every key about the conversation, its handoff tickets too; True when Redis did."""
    try:
        tickets = [
            raw.decode() for raw in connection.smembers(keys.conversation_tickets(conversation_id))
        ]
        with connection.pipeline() as pipe:
            for ticket_id in tickets:
                pipe.delete(*keys.about_ticket(ticket_id))
                for listing in keys.ticket_lists():
                    pipe.zrem(listing, ticket_id)
            pipe.delete(*keys.about_conversation(conversation_id))
            pipe.execute()
    except redis.RedisError:
        log.error("conversation erase failed: redis unavailable")
        return False
    log.info("conversation erased on request")
    return True
