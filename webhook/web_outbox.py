"""Messages for a web chat page sent outside a reply, encrypted in Redis until it fetches them."""

from __future__ import annotations

from typing import Any, Dict, List

import redis

from bot.sealing import Sealer
from webhook import keys

WEB_OUTBOX_MAX = 200  # messages kept for a page to fetch; older ones were fetched long ago
UNREADABLE: Dict[str, Any] = {"text": "", "buttons": []}


class WebOutbox:
    """Messages waiting for a web chat page to fetch them, numbered from 0 in order."""

    def __init__(self, connection: redis.Redis, ttl_seconds: int, sealer: Sealer) -> None:
        self.redis = connection
        self.ttl = ttl_seconds
        self.sealer = sealer

    def push(self, conversation_id: str, messages: List[Dict[str, Any]]) -> None:
        """Adds messages ({text, buttons}) for the page."""
        if not messages:
            return
        key = keys.web_outbox(conversation_id)
        with self.redis.pipeline() as pipe:
            pipe.rpush(key, *(self.sealer.seal_json(m) for m in messages))
            pipe.ltrim(key, -WEB_OUTBOX_MAX, -1)
            pipe.expire(key, self.ttl)
            pipe.execute()

    def since(self, conversation_id: str, after: int) -> List[Dict[str, Any]]:
        """The messages from number `after` on."""
        raw = self.redis.lrange(keys.web_outbox(conversation_id), max(after, 0), -1)
        # A message no current key opens still takes its place, so the page's numbering holds.
        return [self.sealer.open_json(item, UNREADABLE) for item in raw]
