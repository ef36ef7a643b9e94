"""What Puente keeps about one conversation: every Redis key, its type and when it expires."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import redis

from bot.sealing import Sealer
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


@dataclass
class Resealed:
    """What a key rotation did: values now under the newest key, and values no key opens."""

    values: int = 0
    unreadable: int = 0


FERNET_PREFIX = b"gAAAAA"  # every Fernet token starts with its version byte, 0x80


def reseal_all(connection: redis.Redis, data: Sealer, addresses: Optional[Sealer]) -> Resealed:
    """Re-encrypt every sealed value under the newest key (after a key leaked or is retired).

    Numbers use the SMS key; everything else the data key. Run it once every process has the new
    key first in its list; values written meanwhile are already under the new key.
    """
    done = Resealed()

    def again(key: bytes, value: bytes) -> Optional[bytes]:
        if not value.startswith(FERNET_PREFIX):
            return None
        is_address = key.decode().startswith(keys.sms_address(""))
        sealer = addresses if is_address else data
        fresh = sealer.reseal(value) if sealer is not None else None
        if fresh is None:
            done.unreadable += 1
        else:
            done.values += 1
        return fresh

    for key in connection.scan_iter(count=500):
        kind = connection.type(key).decode()
        if kind == "string":
            fresh = again(key, connection.get(key) or b"")
            if fresh is not None:
                connection.set(key, fresh, keepttl=True)
        elif kind == "hash":
            for field, value in connection.hgetall(key).items():
                fresh = again(key, value)
                if fresh is not None:
                    connection.hset(key, field, fresh)
        elif kind == "list":
            for index, value in enumerate(connection.lrange(key, 0, -1)):
                fresh = again(key, value)
                if fresh is not None:
                    connection.lset(key, index, fresh)
    return done
