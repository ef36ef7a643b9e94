"""Handoff tickets in Redis: open, relay the survivor's messages, claim, close; atomically."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import redis

from bot.sealing import Sealer
from webhook import keys

# Rasa's action server sends this (actions/handoff.py HANDOFF_COMMAND) to ask for a person.
HANDOFF_COMMAND = "handoff"
PRIORITY_DANGER = "danger"
PRIORITY_NORMAL = "normal"
WAITING, CLAIMED, CLOSED = "waiting", "claimed", "closed"
OUTCOMES = ("referred", "resolved", "no_response")  # an advocate's choice on closing
LEFT = "left"  # the outcome when the person left the line before anyone claimed it
LEAVER = "person"  # who closed it then (the audit and the console say so)
SURVIVOR, ADVOCATE, SYSTEM = "survivor", "advocate", "system"
NOTE = "note"  # an advocate's private note: kept with the ticket, never sent
# Danger sorts before any normal ticket: its queue score is its time minus this (~30 years).
DANGER_HEAD_START_SECONDS = 1_000_000_000
MAX_RELAYED_CHARS = 2000
DELETED = "deleted"  # the person deleted the conversation: only the figures' record is left
SECONDS_PER_DAY = 86_400
DEFAULT_FIGURES_DAYS = 90  # PUENTE_FIGURES_DAYS: how long the anonymous counts are kept
# A message no current key opens (a key retired too early) still takes its place in the history.
UNREADABLE = {"from": "system", "text": ""}

# Appends to the open ticket only if the conversation is still handed off, in one step: a message
# is either the advocate's or Rasa's, never both and never neither.
RELAY_SCRIPT = """
local ticket = redis.call('GET', KEYS[1])
if not ticket then return false end
local messages = ARGV[1] .. ticket .. ARGV[2]
redis.call('RPUSH', messages, ARGV[3])
redis.call('EXPIRE', messages, ARGV[4])
return ticket
"""
# Only a waiting ticket can be claimed: two advocates racing, exactly one wins.
CLAIM_SCRIPT = """
if redis.call('HGET', KEYS[1], 'status') ~= 'waiting' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'claimed', 'advocate', ARGV[1], 'claimed_at', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return 1
"""
# Closing hands the conversation back to the bot, only if this ticket still holds it (and, when
# ARGV[5] names a status, only from that status: a person leaves the line only while it waits).
CLOSE_SCRIPT = """
local status = redis.call('HGET', KEYS[1], 'status')
if status == false or status == 'closed' then return 0 end
if ARGV[5] ~= '' and status ~= ARGV[5] then return 0 end
redis.call('HSET', KEYS[1], 'status', 'closed', 'outcome', ARGV[1], 'closed_at', ARGV[2],
  'closed_by', ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[4])
redis.call('ZREM', KEYS[4], ARGV[4])
if redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
return 1
"""
# A claimed ticket passes to a colleague only from the advocate who holds it (or a supervisor).
TRANSFER_SCRIPT = """
if redis.call('HGET', KEYS[1], 'status') ~= 'claimed' then return 0 end
if ARGV[3] ~= '1' and redis.call('HGET', KEYS[1], 'advocate') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'advocate', ARGV[2])
return 1
"""
# Marks a waiting ticket as told it still waits, once: with several web processes exactly one
# sends the update. The status check also keeps HSETNX from recreating an expired ticket's hash.
MARK_UPDATED_SCRIPT = """
if redis.call('HGET', KEYS[1], 'status') ~= 'waiting' then return 0 end
return redis.call('HSETNX', KEYS[1], 'updated_at', ARGV[1])
"""


@dataclass
class Ticket:
    """One request for a person, as the console and the web layer see it."""

    id: str
    conversation_id: str
    channel: str
    language: str
    priority: str
    status: str
    created_at: float
    summary: Dict[str, Any]
    advocate: str = ""
    claimed_at: Optional[float] = None
    closed_at: Optional[float] = None
    outcome: str = ""
    updated_at: Optional[float] = None  # when the survivor was told it still waits (sweeper.py)

    @classmethod
    def from_hash(cls, ticket_id: str, fields: Dict[bytes, bytes], sealer: Sealer) -> "Ticket":
        """A ticket from its Redis hash (the summary is encrypted)."""
        get = {k.decode(): v.decode() for k, v in fields.items()}
        return cls(
            id=ticket_id,
            conversation_id=get["conversation"],
            channel=get["channel"],
            language=get["language"],
            priority=get["priority"],
            status=get["status"],
            created_at=float(get["created_at"]),
            summary=sealer.open_json(get.get("summary"), {}),
            advocate=get.get("advocate", ""),
            claimed_at=float(get["claimed_at"]) if get.get("claimed_at") else None,
            closed_at=float(get["closed_at"]) if get.get("closed_at") else None,
            outcome=get.get("outcome", ""),
            updated_at=float(get["updated_at"]) if get.get("updated_at") else None,
        )


@dataclass
class TicketFigures:
    """What the supervisor's figures count about one ticket; nothing names the person."""

    id: str
    channel: str
    language: str
    priority: str
    status: str
    topic: str
    created_at: float
    claimed_at: Optional[float] = None
    outcome: str = ""
    deleted: bool = False

    @classmethod
    def from_hash(cls, ticket_id: str, fields: Dict[bytes, bytes]) -> "TicketFigures":
        """A record from its Redis hash."""
        get = {k.decode(): v.decode() for k, v in fields.items()}
        return cls(
            id=ticket_id,
            channel=get.get("channel", ""),
            language=get.get("language", ""),
            priority=get.get("priority", PRIORITY_NORMAL),
            status=get.get("status", WAITING),
            topic=get.get("topic", ""),
            created_at=float(get.get("created_at", 0)),
            claimed_at=float(get["claimed_at"]) if get.get("claimed_at") else None,
            outcome=get.get("outcome", ""),
            deleted=get.get(DELETED) == "1",
        )


def message_record(sender: str, text: str, at: float, **extra: str) -> Dict[str, Any]:
    """One message of a handoff; `extra` says who wrote it or what was sent."""
    record: Dict[str, Any] = {"from": sender, "text": text[:MAX_RELAYED_CHARS], "at": at}
    record.update({name: value[:MAX_RELAYED_CHARS] for name, value in extra.items() if value})
    return record


class Handoffs:
    """Tickets and the handoff state of each conversation; the connection is passed in."""

    def __init__(
        self,
        connection: redis.Redis,
        ttl_seconds: int,
        sealer: Sealer,
        figures_seconds: int = DEFAULT_FIGURES_DAYS * SECONDS_PER_DAY,
    ) -> None:
        self.redis = connection
        self.ttl = ttl_seconds
        self.sealer = sealer  # messages and summaries are encrypted at rest
        self.figures_ttl = figures_seconds
        self._relay = connection.register_script(RELAY_SCRIPT)
        self._claim = connection.register_script(CLAIM_SCRIPT)
        self._close = connection.register_script(CLOSE_SCRIPT)
        self._transfer = connection.register_script(TRANSFER_SCRIPT)
        self._mark_updated = connection.register_script(MARK_UPDATED_SCRIPT)

    def active(self, conversation_id: str) -> Optional[str]:
        """The ticket that holds the conversation, if a person has it."""
        value = self.redis.get(keys.handoff(conversation_id))
        return value.decode() if value else None

    def open(
        self,
        conversation_id: str,
        channel: str,
        language: str,
        priority: str,
        summary: Dict[str, Any],
        now: Optional[float] = None,
    ) -> Ticket:
        """A new waiting ticket, or the one already open for this conversation."""
        existing = self.active(conversation_id)
        if existing:
            ticket = self.get(existing)
            if ticket is not None:
                if priority == PRIORITY_DANGER and ticket.priority != PRIORITY_DANGER:
                    self._raise_priority(ticket)
                return ticket
        now = time.time() if now is None else now
        ticket_id = secrets.token_urlsafe(16)  # unguessable: the console also checks access
        priority = PRIORITY_DANGER if priority == PRIORITY_DANGER else PRIORITY_NORMAL
        fields = {
            "conversation": conversation_id,
            "channel": channel,
            "language": language,
            "priority": priority,
            "status": WAITING,
            "created_at": now,
            "summary": self.sealer.seal_json(summary),
        }
        score = now - (DANGER_HEAD_START_SECONDS if priority == PRIORITY_DANGER else 0)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(keys.ticket(ticket_id), mapping=fields)
        pipe.expire(keys.ticket(ticket_id), self.ttl)
        pipe.set(keys.handoff(conversation_id), ticket_id, ex=self.ttl)
        pipe.zadd(keys.handoff_queue(), {ticket_id: score})
        pipe.sadd(keys.conversation_tickets(conversation_id), ticket_id)
        pipe.expire(keys.conversation_tickets(conversation_id), self.ttl)
        pipe.expire(keys.handoff_queue(), self.ttl)
        figures = {name: fields[name] for name in ("channel", "language", "priority", "status")}
        figures.update(created_at=now, topic=str(summary.get("topic") or ""))
        pipe.hset(keys.ticket_figures(ticket_id), mapping=figures)
        pipe.expire(keys.ticket_figures(ticket_id), self.figures_ttl)
        pipe.zadd(keys.handoff_log(), {ticket_id: now})
        pipe.zremrangebyscore(keys.handoff_log(), "-inf", now - self.figures_ttl)
        pipe.expire(keys.handoff_log(), self.figures_ttl)
        pipe.execute()
        return self.get(ticket_id)  # type: ignore[return-value]

    def _count(self, ticket_id: str, **fields: Any) -> None:
        """Updates the ticket's record for the figures, if it still has one."""
        key = keys.ticket_figures(ticket_id)
        if self.redis.exists(key):  # never recreate an expired record without its expiry
            self.redis.hset(key, mapping=fields)

    def _raise_priority(self, ticket: Ticket) -> None:
        self.redis.hset(keys.ticket(ticket.id), "priority", PRIORITY_DANGER)
        self._count(ticket.id, priority=PRIORITY_DANGER)
        if ticket.status == WAITING:
            score = ticket.created_at - DANGER_HEAD_START_SECONDS
            self.redis.zadd(keys.handoff_queue(), {ticket.id: score})

    def relay(self, conversation_id: str, text: str, now: Optional[float] = None) -> Optional[str]:
        """Adds the survivor's message to the open ticket; None when the bot has it."""
        now = time.time() if now is None else now
        prefix, suffix = keys.ticket_messages("\x00").split("\x00")
        record = self.sealer.seal_json(message_record(SURVIVOR, text, now))
        ticket = self._relay(
            keys=[keys.handoff(conversation_id)], args=[prefix, suffix, record, self.ttl]
        )
        return ticket.decode() if ticket else None

    def add_message(self, ticket_id: str, sender: str, text: str, **extra: str) -> None:
        """Adds an advocate's reply, a note or a system line to the ticket's history."""
        pipe = self.redis.pipeline(transaction=True)
        record = self.sealer.seal_json(message_record(sender, text, time.time(), **extra))
        pipe.rpush(keys.ticket_messages(ticket_id), record)
        pipe.expire(keys.ticket_messages(ticket_id), self.ttl)
        pipe.execute()

    def messages(self, ticket_id: str, after: int = 0) -> List[Dict[str, Any]]:
        """The ticket's history, oldest first, from message number `after` on."""
        raw = self.redis.lrange(keys.ticket_messages(ticket_id), max(after, 0), -1)
        return [self.sealer.open_json(item, {**UNREADABLE, "at": 0}) for item in raw]

    def get(self, ticket_id: str) -> Optional[Ticket]:
        """One ticket, or None if it does not exist (or has expired)."""
        fields = self.redis.hgetall(keys.ticket(ticket_id))
        return Ticket.from_hash(ticket_id, fields, self.sealer) if fields else None

    def waiting_counts(self, now: Optional[float] = None) -> Dict[str, int]:
        """How many tickets wait, by priority, from the queue's scores alone (for metrics)."""
        now = time.time() if now is None else now
        # Danger sorts DANGER_HEAD_START_SECONDS earlier: a score below half of that is danger.
        split = now - DANGER_HEAD_START_SECONDS / 2
        danger = self.redis.zcount(keys.handoff_queue(), "-inf", f"({split}")
        normal = self.redis.zcount(keys.handoff_queue(), split, "+inf")
        return {PRIORITY_DANGER: int(danger), PRIORITY_NORMAL: int(normal)}

    def waiting(self) -> List[Ticket]:
        """Waiting tickets, danger first, then oldest first."""
        return self._listed(keys.handoff_queue())

    def claimed(self) -> List[Ticket]:
        """Tickets an advocate holds now, in the order they were claimed."""
        return self._listed(keys.handoff_claimed())

    def _listed(self, key: str) -> List[Ticket]:
        """The tickets a sorted set lists, in its order; expired ones leave it."""
        ids = [raw.decode() for raw in self.redis.zrange(key, 0, -1)]
        tickets = [self.get(ticket_id) for ticket_id in ids]
        expired = [ticket_id for ticket_id, t in zip(ids, tickets, strict=True) if t is None]
        if expired:
            self.redis.zrem(key, *expired)
        return [t for t in tickets if t is not None]

    def opened_since(self, since: float) -> List[TicketFigures]:
        """The figures' records of tickets opened at or after `since`, oldest first."""
        ids = [raw.decode() for raw in self.redis.zrangebyscore(keys.handoff_log(), since, "+inf")]
        with self.redis.pipeline(transaction=False) as pipe:
            for ticket_id in ids:
                pipe.hgetall(keys.ticket_figures(ticket_id))
            found = pipe.execute()
        return [
            TicketFigures.from_hash(ticket_id, fields)
            for ticket_id, fields in zip(ids, found, strict=True)
            if fields
        ]

    def deleted(self, ticket_id: str) -> bool:
        """True when the person deleted the conversation this ticket was about."""
        return self.redis.hget(keys.ticket_figures(ticket_id), DELETED) == b"1"

    def transfer(self, ticket_id: str, holder: str, to: str, override: bool = False) -> bool:
        """Passes a claimed ticket from its holder (or, `override`, from anyone) to `to`."""
        moved = self._transfer(
            keys=[keys.ticket(ticket_id)], args=[holder, to, "1" if override else "0"]
        )
        return bool(moved)

    def claim(self, ticket_id: str, advocate: str, now: Optional[float] = None) -> bool:
        """True for the one advocate who claimed a waiting ticket."""
        now = time.time() if now is None else now
        won = self._claim(
            keys=[keys.ticket(ticket_id), keys.handoff_queue(), keys.handoff_claimed()],
            args=[advocate, now, ticket_id, self.ttl],
        )
        if won:
            self._count(ticket_id, status=CLAIMED, claimed_at=now)
        return bool(won)

    def close(
        self, ticket_id: str, advocate: str, outcome: str, now: Optional[float] = None
    ) -> Optional[Ticket]:
        """Closes the ticket and hands the conversation back; None if it was not open."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        ticket = self.get(ticket_id)
        if ticket is None:
            return None
        now = time.time() if now is None else now
        closed = self._close(
            keys=[
                keys.ticket(ticket_id),
                keys.handoff(ticket.conversation_id),
                keys.handoff_queue(),
                keys.handoff_claimed(),
            ],
            args=[outcome, now, advocate, ticket_id, ""],
        )
        if not closed:
            return None
        self._count(ticket_id, status=CLOSED, outcome=outcome)
        return self.get(ticket_id)

    def leave(self, conversation_id: str, now: Optional[float] = None) -> Optional[Ticket]:
        """The person leaves the line: closes their ticket if it still waits; else None."""
        ticket_id = self.active(conversation_id)
        if ticket_id is None:
            return None
        now = time.time() if now is None else now
        keys_ = [
            keys.ticket(ticket_id),
            keys.handoff(conversation_id),
            keys.handoff_queue(),
            keys.handoff_claimed(),
        ]
        left = self._close(keys=keys_, args=[LEFT, now, LEAVER, ticket_id, WAITING])
        if not left:
            return None
        self._count(ticket_id, status=CLOSED, outcome=LEFT)
        self.add_message(ticket_id, SYSTEM, LEFT)
        return self.get(ticket_id)

    def due_for_update(
        self, older_than_seconds: float, now: Optional[float] = None
    ) -> List[Ticket]:
        """Waiting tickets unclaimed for `older_than_seconds` or more and not yet updated."""
        now = time.time() if now is None else now
        return [
            ticket
            for ticket in self.waiting()
            if ticket.status == WAITING
            and ticket.updated_at is None
            and now - ticket.created_at >= older_than_seconds
            # An erased conversation's ticket may linger in the queue: it has no one to tell.
            and self.active(ticket.conversation_id) == ticket.id
        ]

    def mark_updated(self, ticket_id: str, now: Optional[float] = None) -> bool:
        """True for the one caller that may send this waiting ticket its update."""
        now = time.time() if now is None else now
        return bool(self._mark_updated(keys=[keys.ticket(ticket_id)], args=[now]))
