"""Rasa tracker and lock stores configured from REDIS_URL, expiring after the retention."""

from __future__ import annotations

import os
from typing import Any, Dict, Optional

from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from redis.connection import parse_url

DEFAULT_REDIS_URL = "redis://localhost:6379/0"
DEFAULT_RETENTION_DAYS = 30
SECONDS_PER_DAY = 86_400
KEY_PREFIX = "puente"


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


class UrlRedisTrackerStore(RedisTrackerStore):
    """Rasa's Redis tracker store, reading REDIS_URL and expiring trackers after the retention."""

    def __init__(self, domain: Domain, host: Optional[str] = None, **kwargs: Any) -> None:
        """Ignore endpoint host/port; the deployment's REDIS_URL decides."""
        for key in ("port", "db", "username", "password", "use_ssl", "record_exp", "key_prefix"):
            kwargs.pop(key, None)
        super().__init__(
            domain,
            record_exp=retention_seconds(),
            key_prefix=KEY_PREFIX,
            **redis_kwargs(),
            **kwargs,
        )


class UrlRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store from REDIS_URL: two Rasa servers keep a conversation in order."""

    def __init__(self, endpoint_config: Any = None) -> None:
        """Connect to the deployment's Redis; endpoint settings other than the type are ignored."""
        super().__init__(key_prefix=KEY_PREFIX, **redis_kwargs())
