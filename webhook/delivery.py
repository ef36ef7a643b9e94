"""Texts Puente sends outside a reply (after a handoff, an advocate's): by SMS or to the web.

Someone else may read the person's phone, so a text they did not just ask for is discreet: it
starts with their code word or a plain greeting, goes only to a number that wrote within the
outbound window, and waits for the hours they chose.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

from webhook import quiet
from webhook.handoff import Ticket
from webhook.outbound import OutboundRefused
from webhook.segments import segments
from webhook.services import Services
from webhook.sms_channel import SmsChannel
from webhook.sms_reply import numbered

log = logging.getLogger(__name__)

SMS = "sms"
SKIPPED = "skipped"  # actions/handoff.py: the person chose no code word
NOT_CONFIGURED, OUTSIDE_WINDOW, REFUSED = "not_configured", "outside_window", "refused"


@dataclass
class Delivery:
    """What became of texts sent unprompted: sent, held until a time, or not sent and why."""

    sent: bool
    held_until: Optional[datetime] = None
    reason: str = ""

    @property
    def accepted(self) -> bool:
        """Sent now or held to be sent in the person's hours."""
        return self.sent or self.held_until is not None


def opener(services: Services, ticket: Ticket, language: str) -> str:
    """The person's code word, or a greeting that names no topic and no organisation."""
    word = ticket.summary.get("code_word")
    if isinstance(word, str) and word.strip() and word != SKIPPED:
        return services.content.ui_text("code_word_greeting", language, code_word=word.strip())
    return services.content.ui_text("discreet_greeting", language)


def quiet_until(
    services: Services, ticket: Ticket, now: Optional[float] = None
) -> Optional[datetime]:
    """When the person's texting hours next open, if they are closed now (SMS only); else None."""
    if ticket.channel != SMS:
        return None
    # The person's hours are read in the organisation's zone: Puente does not ask where they are.
    zone = ZoneInfo(services.office_hours.zone)
    local_now = datetime.fromtimestamp(time.time() if now is None else now, zone)
    return quiet.next_allowed(ticket.summary.get("contact_time"), local_now)


def deliver(
    services: Services,
    sms: Optional[SmsChannel],
    ticket: Ticket,
    messages: List[Dict[str, Any]],
    language: str = "",
    now: Optional[float] = None,
) -> Delivery:
    """Sends the messages the way the person talks to Puente, discreetly by SMS."""
    language = language or ticket.language
    conversation_id = ticket.conversation_id
    if ticket.channel != SMS:
        services.web_outbox.push(conversation_id, messages)
        return Delivery(sent=True)
    if sms is None or sms.outbound is None:
        log.error("sms delivery impossible: the sms channel is not configured")
        return Delivery(sent=False, reason=NOT_CONFIGURED)
    if not sms.state.wrote_recently(conversation_id):
        log.info("sms not sent: the person has not written within the outbound window")
        return Delivery(sent=False, reason=OUTSIDE_WINDOW)
    texts = numbered(services.content, messages, language)
    bodies = list(texts.bodies)
    if bodies:
        bodies[0] = f"{opener(services, ticket, language)}\n{bodies[0]}"
    opens = quiet_until(services, ticket, now)
    if opens is not None:
        sms.state.hold(conversation_id, bodies, texts.payloads, opens.timestamp())
        log.info("sms held until the person's hours")
        return Delivery(sent=False, held_until=opens)
    return send_now(services, sms, conversation_id, bodies, texts.payloads)


def send_now(
    services: Services,
    sms: SmsChannel,
    conversation_id: str,
    bodies: List[str],
    payloads: Optional[List[str]],
) -> Delivery:
    """Texts the bodies in order; the numbered choices they offer (None: already kept) first."""
    if payloads is not None:
        sms.state.save_choices(conversation_id, payloads)
    try:
        for body in bodies:
            sms.outbound.send(conversation_id, body)
            services.metrics.sms_segments.labels("outbound").inc(segments(body))
    except OutboundRefused as refused:
        log.warning("sms delivery refused", extra={"reason": refused.args[0]})
        return Delivery(sent=False, reason=REFUSED)
    return Delivery(sent=True)


def send_held(services: Services, sms: Optional[SmsChannel], now: Optional[float] = None) -> int:
    """Sends the texts whose hour came (to who still wrote lately); how many conversations."""
    if sms is None or sms.outbound is None:
        return 0
    sent = 0
    for conversation_id, held in sms.state.take_due(time.time() if now is None else now):
        if not sms.state.wrote_recently(conversation_id):
            log.info("held sms dropped: the person has not written within the outbound window")
            continue
        for entry in held:
            if send_now(services, sms, conversation_id, entry["bodies"], entry["payloads"]).sent:
                sent += 1
    return sent
