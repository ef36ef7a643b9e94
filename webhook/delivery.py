"""Texts Puente sends outside a reply (after a handoff, an advocate's): by SMS or to the web."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from webhook.outbound import OutboundRefused
from webhook.services import Services
from webhook.sms_channel import SmsChannel
from webhook.sms_reply import numbered

log = logging.getLogger(__name__)

SMS = "sms"


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
        services.web_outbox.push(conversation_id, messages)
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
