"""Erases everything Puente keeps about one conversation, when the person asks for it."""

from __future__ import annotations

import logging

import redis

from webhook import keys
from webhook.handoff import DELETED

log = logging.getLogger(__name__)

# Sent by the action server's action_delete_conversation (actions/deletion.py) once confirmed.
DELETE_COMMAND = {"puente_command": "delete_conversation"}


def erase_conversation(connection: redis.Redis, conversation_id: str) -> bool:
    """Delete every key about the conversation, its handoff tickets too; True when Redis did."""
    try:
        tickets = [
            raw.decode() for raw in connection.smembers(keys.conversation_tickets(conversation_id))
        ]
        counted = [t for t in tickets if connection.exists(keys.ticket_figures(t))]
        with connection.pipeline() as pipe:
            for ticket_id in tickets:
                pipe.delete(*keys.about_ticket(ticket_id))
                for listing in keys.ticket_lists():
                    pipe.zrem(listing, ticket_id)
            for ticket_id in counted:
                # The anonymous count stays, and tells an advocate on the ticket what happened.
                pipe.hset(keys.ticket_figures(ticket_id), DELETED, "1")
            pipe.delete(*keys.about_conversation(conversation_id))
            pipe.zrem(keys.sms_held_due(), conversation_id)  # its held texts are gone too
            pipe.execute()
    except redis.RedisError:
        log.error("conversation erase failed: redis unavailable")
        return False
    log.info("conversation erased on request")
    return True
