"""Rasa tracker and lock stores configured from REDIS_URL: trackers encrypted, expiring."""

from __future__ import annotations

import os
from collections import defaultdict
from contextlib import AbstractAsyncContextManager
from typing import Any, Dict, List, Optional, Tuple

from rasa.core.lock_store import RedisLockStore, TicketLock
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from redis.connection import parse_url

from bot.sealing import Sealer, sealer_from_environment

DEFAULT_REDIS_URL = "redis://localhost:6379/0"
DEFAULT_RETENTION_DAYS = 30
SECONDS_PER_DAY = 86_400
KEY_PREFIX = "puente"
# Far longer than any ticket; only a crash leaves a lock key this long.
LOCK_KEEP_SECONDS = 3600
# A turn's ticket lives as long as the web layer waits for the turn (PUENTE_RASA_TIMEOUT_SECONDS,
# the same default): longer, nobody is waiting and the web layer's disconnect has cancelled it.
# Rasa's own 60 s meant a Rasa killed mid-turn stalled that conversation for a minute after.
DEFAULT_TURN_SECONDS = 10.0
# How often a waiting turn looks again (Rasa's own 1 s added up to a second to a queued text).
LOCK_POLL_SECONDS = 0.1


def redis_kwargs(url: Optional[str] = None) -> Dict[str, Any]:
    """Host, port, db, credentials and TLS flag from a redis:// or rediss:// URL."""
    url = url or os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    parsed = parse_url(url)
    return {
        "host": parsed.get("host", "localhost"),
        "port": int(parsed.get("port", 6379)),
        "db": int(parsed.get("db", 0)),
        "username": parsed.get("username"),
        "password": parsed.get("password"),
        "use_ssl": url.startswith("rediss://"),
    }


def retention_seconds() -> int:
    """Seconds a conversation is kept after its last message (PUENTE_RETENTION_DAYS)."""
    days = int(os.environ.get("PUENTE_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    return days * SECONDS_PER_DAY


def turn_seconds() -> float:
    """The longest a turn's ticket holds a conversation (PUENTE_RASA_TIMEOUT_SECONDS)."""
    return float(os.environ.get("PUENTE_RASA_TIMEOUT_SECONDS", DEFAULT_TURN_SECONDS))


class UrlRedisTrackerStore(RedisTrackerStore):
    """Rasa's Redis tracker store from REDIS_URL; trackers encrypted, expiring after retention."""

    def __init__(
        self,
        domain: Domain,
        host: Optional[str] = None,
        sealer: Optional[Sealer] = None,
        **kwargs: Any,
    ) -> None:
        """Ignore endpoint host/port (REDIS_URL decides); PUENTE_DATA_KEYS must be set."""
        for key in ("port", "db", "username", "password", "use_ssl", "record_exp", "key_prefix"):
            kwargs.pop(key, None)
        self.sealer = sealer or sealer_from_environment()
        super().__init__(
            domain,
            record_exp=retention_seconds(),
            key_prefix=KEY_PREFIX,
            **redis_kwargs(),
            **kwargs,
        )

    def serialise_tracker(self, tracker: DialogueStateTracker) -> str:  # type: ignore[override]
        """The tracker's JSON, encrypted: a copy of Redis shows no message and no slot."""
        return self.sealer.seal(super().serialise_tracker(tracker)).decode()

    @staticmethod
    def _merge_trackers(
        prior_tracker: DialogueStateTracker, tracker: DialogueStateTracker
    ) -> DialogueStateTracker:
        """Rasa's merge of the stored tracker and the turn's (every event once), in linear time.

        Rasa's compares each event of the turn's tracker with every stored event: by the 90th text
        of one conversation that was three quarters of a Rasa server's time (py-spy, make bench).
        Events are compared as Rasa does (as_dict), but only with those of the same kind and time.
        Every save of ours comes here, not to the shortcut: the web layer sends metadata, so Rasa
        logs SlotSet(session_started_metadata) before action_session_start, and `retrieve` (the
        latest session only) leaves that one event out of the turn's tracker.
        """
        if not prior_tracker.events:
            return tracker
        last_stored_at = prior_tracker.events[-1].timestamp
        if tracker.travel_back_in_time(target_time=last_stored_at).events == prior_tracker.events:
            return tracker
        merged = tracker.init_copy()
        merged.update_with_events(list(prior_tracker.events), override_timestamp=False, domain=None)
        seen: Dict[Tuple[str, float], List[Dict[str, Any]]] = defaultdict(list)
        for event in merged.events:
            seen[(event.type_name, event.timestamp)].append(event.as_dict())
        for event in tracker.events:
            same_kind_and_time = seen[(event.type_name, event.timestamp)]
            as_dict = event.as_dict()
            if as_dict not in same_kind_and_time:
                same_kind_and_time.append(as_dict)
                merged.update(event)
        return merged

    def deserialise_tracker(self, sender_id: str, serialised_tracker: Any) -> DialogueStateTracker:
        """The tracker; a fresh one when no current key opens it (a key retired too early)."""
        opened = self.sealer.open(serialised_tracker)
        if opened is None:
            return self.init_tracker(sender_id)
        return super().deserialise_tracker(sender_id, opened)


class UrlRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store from REDIS_URL: two Rasa servers keep a conversation in order."""

    def __init__(self, endpoint_config: Any = None) -> None:
        """Connect to the deployment's Redis; endpoint settings other than the type are ignored."""
        super().__init__(key_prefix=KEY_PREFIX, **redis_kwargs())

    def lock(  # type: ignore[override]
        self,
        conversation_id: str,
        lock_lifetime: Optional[float] = None,
        wait_time_in_seconds: float = LOCK_POLL_SECONDS,
    ) -> AbstractAsyncContextManager[TicketLock]:
        """Rasa's ticket lock, its ticket as long-lived as a turn the web layer waits for."""
        lifetime = lock_lifetime or turn_seconds()
        return super().lock(conversation_id, lifetime, wait_time_in_seconds)

    def save_lock(self, lock: TicketLock) -> None:
        """Rasa's save, with an expiry: a Rasa killed mid-turn must not leave a key forever."""
        self.red.set(self.key_prefix + lock.conversation_id, lock.dumps(), ex=LOCK_KEEP_SECONDS)
