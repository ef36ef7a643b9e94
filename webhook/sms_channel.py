"""The SMS channel's settings and resources, built once in the app factory."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from flask import current_app

from webhook.outbound import Outbound, twilio_client
from webhook.phones import PhoneVault
from webhook.services import Services
from webhook.sms_state import SmsState

log = logging.getLogger(__name__)

EXTENSION = "puente_sms"


@dataclass(frozen=True)
class SmsSettings:
    """Limits and addresses of the SMS channel (README: "SMS")."""

    auth_token: str
    public_url: str
    path: str
    status_path: str
    max_segments_per_message: int
    max_messages: int
    rate_limit: int
    rate_window_seconds: int
    max_body_chars: int
    outbound_window_seconds: int  # texts go unprompted only to who wrote within this
    reply_deadline_seconds: float  # then a holding text; Twilio gives up after 15 s

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "SmsSettings":
        """The channel's settings from the app's config."""
        return cls(
            auth_token=config["TWILIO_AUTH_TOKEN"],
            public_url=config["PUBLIC_URL"],
            path=config["SMS_PATH"],
            status_path=config["SMS_STATUS_PATH"],
            max_segments_per_message=config["SMS_MAX_SEGMENTS_PER_MESSAGE"],
            max_messages=config["SMS_MAX_MESSAGES"],
            rate_limit=config["SMS_RATE_LIMIT"],
            rate_window_seconds=config["SMS_RATE_WINDOW_SECONDS"],
            max_body_chars=config["SMS_MAX_BODY_CHARS"],
            outbound_window_seconds=config["SMS_OUTBOUND_WINDOW_HOURS"] * 3600,
            reply_deadline_seconds=config["SMS_REPLY_DEADLINE_SECONDS"],
        )


@dataclass
class SmsChannel:
    """Settings, the phone vault, Redis state, the outbound sender and the turn workers."""

    settings: SmsSettings
    vault: Optional[PhoneVault]  # None when the hash or encryption key is missing
    state: SmsState
    outbound: Optional[Outbound]
    # Turns run here so that a request can answer by Twilio's deadline while its turn goes on.
    workers: ThreadPoolExecutor

    @classmethod
    def from_config(cls, config: Mapping[str, Any], services: Services) -> "SmsChannel":
        """Build the channel; without its secrets it refuses every request instead of failing."""
        settings = SmsSettings.from_config(config)
        state = SmsState(services.redis, services.retention_seconds, services.sealer)
        try:
            vault = PhoneVault(config["SMS_HASH_KEY"], config["SMS_ENCRYPTION_KEY"], services.redis)
        except ValueError as error:
            log.warning("sms channel off: %s", error)
            vault = None
        outbound = None
        if vault is not None:
            status_url = (
                f"{settings.public_url}{settings.status_path}" if settings.public_url else None
            )
            outbound = Outbound(
                state,
                vault,
                twilio_client(config["TWILIO_ACCOUNT_SID"], settings.auth_token),
                sender=config["SMS_FROM"],
                messaging_service_sid=config["SMS_MESSAGING_SERVICE_SID"],
                status_callback=status_url,
            )
        workers = ThreadPoolExecutor(config["SMS_TURN_WORKERS"], thread_name_prefix="sms-turn")
        return cls(settings, vault, state, outbound, workers)


def channel() -> SmsChannel:
    """The current app's SMS channel."""
    return current_app.extensions[EXTENSION]
