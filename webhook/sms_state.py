"""What the SMS channel keeps in Redis: replies to retried messages, rates, menus and opt-outs.

Anything holding text (a reply, a menu's payloads, the development outbox) is encrypted.
"""

from __future__ import annotations

import time
from typing import List, Optional

import redis

from bot.sealing import Sealer
from webhook import keys

# Twilio retries a webhook within seconds; an hour covers every retry and keeps little.
INBOUND_REPLY_TTL_SECONDS = 3600
# A request still being answered holds its MessageSid this long at most (Twilio waits 15 s).
INBOUND_CLAIM_TTL_SECONDS = 60
RETRY_WAIT_SECONDS = 14.0
RETRY_POLL_SECONDS = 0.1
PENDING = b"\x00pending"
STATUS_TTL_SECONDS = 7 * 86_400
# STOP is remembered this long after it was sent (Twilio also refuses texts to that number).
OPT_OUT_TTL_SECONDS = 400 * 86_400
OUTBOX_MAX = 1000


class SmsState:
    """Redis-backed state of the SMS channel; the connection is passed in."""

    def __init__(self, connection: redis.Redis, retention_seconds: int, sealer: Sealer) -> None:
        self.connection = connection
        self.retention_seconds = retention_seconds
        self.sealer = sealer

    # --- a retried MessageSid is answered once -------------------------------------------------

    def claim(self, message_sid: str) -> bool:
        """True for the first delivery of this message; False for a retry."""
        key = keys.sms_inbound(message_sid)
        return bool(self.connection.set(key, PENDING, nx=True, ex=INBOUND_CLAIM_TTL_SECONDS))

    def save_reply(self, message_sid: str, body: str) -> None:
        """Keep the reply, so a retry of the same message gets the very same one."""
        sealed = self.sealer.seal(body)
        self.connection.set(keys.sms_inbound(message_sid), sealed, ex=INBOUND_REPLY_TTL_SECONDS)

    def earlier_reply(self, message_sid: str) -> Optional[str]:
        """The reply given to the first delivery, waiting while it is still being worked out."""
        deadline = time.monotonic() + RETRY_WAIT_SECONDS
        while True:
            stored = self.connection.get(keys.sms_inbound(message_sid))
            if stored is None:
                return None
            if stored != PENDING:
                return self.sealer.open(stored)
            if time.monotonic() >= deadline:
                return None
            time.sleep(RETRY_POLL_SECONDS)

    # --- rate limit ----------------------------------------------------------------------------

    def count_message(self, conversation_id: str, window_seconds: int) -> int:
        """Count one message in the window its sender's first message opened; the count so far."""
        key = keys.sms_rate(conversation_id)
        with self.connection.pipeline() as pipe:
            pipe.set(key, 0, ex=window_seconds, nx=True)  # a new window, only if none is open
            pipe.incr(key)  # keeps the window's expiry
            _, count = pipe.execute()
        return int(count)

    # --- numbered menus ------------------------------------------------------------------------

    def save_choices(self, conversation_id: str, payloads: List[str]) -> None:
        """Remember what "1", "2", ... mean in the menu just sent (or forget an old menu)."""
        key = keys.sms_choices(conversation_id)
        if payloads:
            self.connection.set(key, self.sealer.seal_json(payloads), ex=self.retention_seconds)
        else:
            self.connection.delete(key)

    def choice(self, conversation_id: str, number: int) -> Optional[str]:
        """The payload behind a number in the last menu, if there is one."""
        stored = self.connection.get(keys.sms_choices(conversation_id))
        payloads = self.sealer.open_json(stored, [])
        return payloads[number - 1] if 1 <= number <= len(payloads) else None

    # --- opt-out -------------------------------------------------------------------------------

    def opted_out(self, conversation_id: str) -> bool:
        """True while the sender has asked for no more texts."""
        return bool(self.connection.exists(keys.sms_opted_out(conversation_id)))

    def set_opted_out(self, conversation_id: str, opted_out: bool) -> None:
        """Record STOP (kept longer than the conversation: consent outlives it) or START."""
        key = keys.sms_opted_out(conversation_id)
        if opted_out:
            self.connection.set(key, int(time.time()), ex=OPT_OUT_TTL_SECONDS)
        else:
            self.connection.delete(key)

    # --- outbound: only to who wrote lately, in the hours they chose ----------------------------

    def mark_wrote(self, conversation_id: str, window_seconds: int) -> None:
        """The sender just wrote: texts may go to them unprompted for `window_seconds`."""
        self.connection.set(keys.sms_wrote(conversation_id), 1, ex=window_seconds)

    def wrote_recently(self, conversation_id: str) -> bool:
        """True while the sender wrote within the outbound window."""
        return bool(self.connection.exists(keys.sms_wrote(conversation_id)))

    def hold(self, conversation_id: str, bodies: List[str], choices: List[str], due: float) -> None:
        """Keeps texts (encrypted) until `due`, when the sweeper sends them."""
        key = keys.sms_held(conversation_id)
        with self.connection.pipeline() as pipe:
            pipe.rpush(key, self.sealer.seal_json({"bodies": bodies, "payloads": choices}))
            pipe.expire(key, self.retention_seconds)
            pipe.zadd(keys.sms_held_due(), {conversation_id: due}, nx=True)
            pipe.expire(keys.sms_held_due(), self.retention_seconds)
            pipe.execute()

    def take_due(self, now: float) -> List[tuple]:
        """(conversation, held texts) whose hour came; each taken by exactly one process."""
        taken = []
        for raw in self.connection.zrangebyscore(keys.sms_held_due(), "-inf", now):
            if not self.connection.zrem(keys.sms_held_due(), raw):
                continue  # another process took it
            conversation_id = raw.decode()
            with self.connection.pipeline() as pipe:
                pipe.lrange(keys.sms_held(conversation_id), 0, -1)
                pipe.delete(keys.sms_held(conversation_id))
                held, _ = pipe.execute()
            entries = [self.sealer.open_json(item) for item in held]
            taken.append((conversation_id, [entry for entry in entries if entry]))
        return taken

    # --- outbound ------------------------------------------------------------------------------

    def record_status(self, message_sid: str, status: str, error_code: str) -> None:
        """Keep the latest delivery status Twilio reported for an outbound text."""
        key = keys.sms_status(message_sid)
        with self.connection.pipeline() as pipe:
            pipe.hset(key, mapping={"status": status, "error_code": error_code, "at": time.time()})
            pipe.expire(key, STATUS_TTL_SECONDS)
            pipe.execute()

    def status(self, message_sid: str) -> Optional[str]:
        """The latest delivery status of an outbound text, if Twilio reported one."""
        value = self.connection.hget(keys.sms_status(message_sid), "status")
        return value.decode() if value else None

    def write_outbox(self, entry: dict) -> None:
        """Append a text that would have been sent (no Twilio credentials: development, tests)."""
        key = keys.sms_outbox()
        with self.connection.pipeline() as pipe:
            pipe.rpush(key, self.sealer.seal_json(entry))
            pipe.ltrim(key, -OUTBOX_MAX, -1)
            pipe.expire(key, self.retention_seconds)
            pipe.execute()

    def outbox(self) -> List[dict]:
        """Texts written to the outbox, oldest first."""
        raw = self.connection.lrange(keys.sms_outbox(), 0, -1)
        return [self.sealer.open_json(item, {}) for item in raw]
