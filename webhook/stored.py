"""What Puente keeps about one conversation: every Redis key, its type and when it expires."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import redis

from webhook import keys


@dataclass
class StoredKey:
    """One key about a conversation; `ttl_seconds` None means it never expires (a fault)."""

    key: str
    kind: str
    ttl_seconds: Optional[int]


def keys_about(connection: redis.Redis, conversation_id: str) -> List[StoredKey]:
    """Every key that exists about the conversation: its own, its tickets', and any naming it."""
    tickets = [r.decode() for r in connection.smembers(keys.conversation_tickets(conversation_id))]
    names = list(keys.about_conversation(conversation_id))
    names.append(keys.sms_opted_out(conversation_id))
    for ticket_id in tickets:
        names += [*keys.about_ticket(ticket_id), keys.ticket_figures(ticket_id)]
    # Belt and braces: a key added later without a helper here still shows up.
    names += [raw.decode() for raw in connection.scan_iter(match=f"*{conversation_id}*")]
    found = []
    for name in dict.fromkeys(names):
        kind = connection.type(name).decode()
        if kind == "none":
            continue
        ttl = connection.ttl(name)
        found.append(StoredKey(name, kind, ttl if ttl >= 0 else None))
    return found


def describe_ttl(ttl_seconds: Optional[int]) -> str:
    """'29 d 23 h' style, or 'never (no expiry)'."""
    if ttl_seconds is None:
        return "never (no expiry)"
    days, rest = divmod(ttl_seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s"
