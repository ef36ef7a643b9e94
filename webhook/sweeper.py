"""Tells a survivor whose handoff nobody has claimed in time that it is still in line."""

from __future__ import annotations

import logging
import threading
import time
from typing import Optional

import redis
from flask import Flask

from bot.log_id import log_id
from webhook import sms_channel as sms_extension
from webhook.delivery import deliver, quiet_until, send_held
from webhook.handoff import SYSTEM, Ticket
from webhook.services import EXTENSION, Services
from webhook.sms_channel import SmsChannel

log = logging.getLogger(__name__)

STILL_WAITING_TEXT = "handoff_still_waiting"
STILL_WAITING_EVENT = "still_waiting"  # the SYSTEM line in the ticket's history
DEFAULT_LANGUAGE = "en"


def update_language(services: Services, language: str) -> str:
    """The ticket's language if Puente writes in it, else English."""
    return language if language in services.languages else DEFAULT_LANGUAGE


def tell(
    services: Services, sms: Optional[SmsChannel], ticket: Ticket, now: Optional[float] = None
) -> bool:
    """Sends the still-waiting text to the ticket's conversation; True when it went."""
    language = update_language(services, ticket.language)
    text = services.content.ui_text(STILL_WAITING_TEXT, language)
    messages = [{"text": text, "buttons": []}]
    sent = deliver(services, sms, ticket, messages, language, now=now).sent
    if sent:
        # Only a text that went is noted: the advocate reads the history as what the person saw.
        services.handoffs.add_message(ticket.id, SYSTEM, STILL_WAITING_EVENT)
    log.info(
        "handoff still-waiting update",
        extra={
            "conversation": log_id(ticket.conversation_id),
            "channel": ticket.channel,
            "language": language,
            "sent": sent,
        },
    )
    return sent


def sweep(
    services: Services,
    sms: Optional[SmsChannel],
    after_seconds: float,
    now: Optional[float] = None,
) -> int:
    """Updates each ticket unclaimed for `after_seconds`, once; how many updates were sent."""
    now = time.time() if now is None else now
    handoffs = services.handoffs
    sent = 0
    try:
        for ticket in handoffs.due_for_update(after_seconds, now):
            if quiet_until(services, ticket, now) is not None:
                # Not held for later: by the person's hours an advocate may have the chat, and
                # "still in line" would then be wrong. A later sweep sends it, if it still waits.
                continue
            # Several web processes sweep the same queue: only the one that marks it sends.
            if handoffs.mark_updated(ticket.id, now) and tell(services, sms, ticket, now):
                sent += 1
    except redis.RedisError:
        log.error("handoff sweep stopped: redis unavailable", extra={"sent": sent})
    return sent


def sweep_app(app: Flask) -> int:
    """One sweep with the app's services, SMS channel and limit; then texts whose hour came."""
    with app.app_context():
        services, sms = app.extensions[EXTENSION], app.extensions.get(sms_extension.EXTENSION)
        updated = sweep(services, sms, app.config["HANDOFF_UPDATE_SECONDS"])
        try:
            send_held(services, sms)
        except redis.RedisError:
            log.error("held texts not sent this round: redis unavailable")
        return updated


def run_forever(app: Flask, interval_seconds: float, stop: threading.Event) -> None:
    """Sweeps every `interval_seconds` until `stop` is set; a failed sweep never ends the loop."""
    while not stop.wait(interval_seconds):
        try:
            sweep_app(app)
        except Exception as error:  # noqa: BLE001 (the loop must outlive any one failure)
            # The type only: an exception's message could quote a text or a number.
            log.error("handoff sweep failed", extra={"error": type(error).__name__})
