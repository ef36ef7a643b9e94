"""Every text Puente starts (advocate replies, follow-ups) goes out through here, and only here."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Optional

from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from webhook.phones import PhoneVault
from webhook.segments import segments
from webhook.sms_state import SmsState

log = logging.getLogger(__name__)

TWILIO_TIMEOUT_SECONDS = 10.0
# Twilio's own error for a message to a number that opted out (FACTS.md §9).
OPTED_OUT_ERROR = 21610
OUTBOX_STATUS = "outbox"


class OutboundRefused(Exception):
    """A text that must not or cannot be sent; `code` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Sent:
    """One outbound text as Twilio (or the development outbox) accepted it."""

    sid: str
    status: str
    segments: int


def twilio_client(
    account_sid: str, auth_token: str, http_client: Optional[TwilioHttpClient] = None
) -> Optional[Client]:
    """Twilio's REST client with a timeout, or None without credentials (development, tests)."""
    if not account_sid or not auth_token:
        return None
    http = http_client or TwilioHttpClient(timeout=TWILIO_TIMEOUT_SECONDS)
    return Client(account_sid, auth_token, http_client=http)


class Outbound:
    """Sends a text to a conversation's number, never to one that opted out."""

    def __init__(
        self,
        state: SmsState,
        vault: PhoneVault,
        client: Optional[Client],
        sender: str = "",
        messaging_service_sid: str = "",
        status_callback: Optional[str] = None,
    ) -> None:
        self.state = state
        self.vault = vault
        self.client = client
        self.sender = sender
        self.messaging_service_sid = messaging_service_sid
        self.status_callback = status_callback

    def send(self, conversation_id: str, body: str) -> Sent:
        """Text `body` to the conversation; raises OutboundRefused when it must not or cannot."""
        if not body.strip():
            raise OutboundRefused("empty", "an empty text is not sent")
        if self.state.opted_out(conversation_id):
            raise OutboundRefused(
                f"opted_out ({OPTED_OUT_ERROR})", "this person opted out of texts (STOP)"
            )
        address = self.vault.address(conversation_id)
        if address is None:
            raise OutboundRefused("no_address", "no number is kept for this conversation")
        if self.client is None:
            return self._to_outbox(conversation_id, address, body)
        return self._to_twilio(conversation_id, address, body)

    def _to_twilio(self, conversation_id: str, address: str, body: str) -> Sent:
        options = {"to": address, "body": body}
        if self.messaging_service_sid:
            options["messaging_service_sid"] = self.messaging_service_sid
        else:
            options["from_"] = channel_sender(address, self.sender)
        if self.status_callback:
            options["status_callback"] = self.status_callback
        try:
            message = self.client.messages.create(**options)
        except TwilioException as error:
            code = getattr(error, "code", None)
            log.error("outbound text failed", extra={"twilio_code": code})
            if code == OPTED_OUT_ERROR:
                self.state.set_opted_out(conversation_id, True)
                raise OutboundRefused(
                    f"opted_out ({OPTED_OUT_ERROR})", "opted out at Twilio"
                ) from error
            raise OutboundRefused("twilio_error", f"Twilio refused the text ({code})") from error
        sent = Sent(sid=message.sid, status=message.status, segments=segments(body))
        log.info("outbound text sent", extra={"status": sent.status, "segments": sent.segments})
        return sent

    def _to_outbox(self, conversation_id: str, address: str, body: str) -> Sent:
        sid = "SMdev" + secrets.token_hex(15)
        channel = "whatsapp" if address.startswith("whatsapp:") else "sms"
        self.state.write_outbox(
            {
                "sid": sid,
                "conversation": conversation_id,
                "channel": channel,
                "body": body,
                "at": time.time(),
            }
        )
        log.info("outbound text written to the outbox", extra={"segments": segments(body)})
        return Sent(sid=sid, status=OUTBOX_STATUS, segments=segments(body))


def channel_sender(address: str, sender: str) -> str:
    """The From address for this channel: WhatsApp texts go from the WhatsApp sender."""
    if address.startswith("whatsapp:") and not sender.startswith("whatsapp:"):
        return f"whatsapp:{sender}"
    return sender
