"""Texts Puente sends outside a reply (after a handoff, an advocate's): by SMS or to the web."""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional

import redis

from webhook import keys
from webhook.outbound import OutboundRefused
from webhook.services import Services
from webhook.sms_channel import SmsChannel
from webhook.sms_reply import numbered

log = logging.getLogger(__name__)

SMS = "sms"
WEB_OUTBOX_MAX = 200  # messages kept for a page to fetch; older ones were fetched long ago


class WebOutbox:
    """Messages waiting for a web chat page to fetch them, numbered from 0 in order."""

    def __init__(self, connection: redis.Redis, ttl_seconds: int) -> None:
        self.redis = connection
        self.ttl = ttl_seconds

    def push(self, conversation_id: str, messages: List[Dict[str, Any]]) -> None:
        """Adds messages ({text, buttons}) for the page."""
        if not messages:
            return
        key = keys.web_outbox(conversation_id)
        with self.redis.pipeline() as pipe:
            pipe.rpush(key, *(json.dumps(m, ensure_ascii=False) for m in messages))
            pipe.ltrim(key, -WEB_OUTBOX_MAX, -1)
            pipe.expire(key, self.ttl)
            pipe.execute()

    def since(self, conversation_id: str, after: int) -> List[Dict[str, Any]]:
        """The messages from number `after` on."""
        raw = self.redis.lrange(keys.web_outbox(conversation_id), max(after, 0), -1)
        return [json.loads(item) for item in raw]


def deliver(
    services: Services,
    sms: Optional[SmsChannel],
    conversation_id: str,
    channel: str,
    language: str,
    messages: List[Dict[str, Any]],
) -> bool:
    """Sends the messages the way the person talks to Puente; False when they could not go."""
    if channel != SMS:
        WebOutbox(services.redis, services.retention_seconds).push(conversation_id, messages)
        return True
    if sms is None or sms.outbound is None:
        log.error("sms delivery impossible: the sms channel is not configured")
        return False
    texts = numbered(services.content, messages, language)
    sms.state.save_choices(conversation_id, texts.payloads)
    try:
        for body in texts.bodies:
            sms.outbound.send(conversation_id, body)
    except OutboundRefused as refused:
        log.warning("sms delivery refused", extra={"reason": refused.args[0]})
        return False
    return True
