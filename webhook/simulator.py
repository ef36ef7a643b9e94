"""A development phone: text Puente's SMS endpoint from the browser, signed as Twilio would.

Registered only when SMS_SIMULATOR is on (`make run`). It signs whatever it is given with the
Twilio auth token, so it must never run where the real token is configured.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any, Dict, List, Tuple
from xml.etree import ElementTree

import redis
import requests
from flask import Blueprint, jsonify, render_template, request
from flask.blueprints import BlueprintSetupState

from webhook.signature import HEADER, sign
from webhook.sms_channel import SmsChannel, channel

log = logging.getLogger(__name__)

bp = Blueprint("simulator", __name__)

# Used with fullmatch, and ASCII only: "$" would let a trailing "\n" through, and \d other digits.
ADDRESS = re.compile(r"(whatsapp:)?\+[1-9]\d{6,14}", re.ASCII)
MAX_BODY_CHARS = 2000
SEND_TIMEOUT_SECONDS = 20
# The number Puente is texted at, in the simulator: a reserved 555 test number, never a real one.
PUENTE_NUMBER = "+15550001111"
TEST_ACCOUNT_SID = "AC" + "0" * 32
# Twilio's media URLs point to its API; a made-up one is enough, Puente never fetches it.
TEST_MEDIA_URL = "https://api.twilio.com/2010-04-01/Accounts/{account}/Messages/{sid}/Media/ME0"


class BadInput(ValueError):
    """The page sent something the simulator does not accept."""


@bp.record_once
def warn(_state: BlueprintSetupState) -> None:
    """Say loudly in the log that the simulator is on: it signs requests with the auth token."""
    log.warning("development SMS simulator is on at /dev/phone: never enable it in production")


def unavailable(sms: SmsChannel) -> bool:
    """True when the SMS channel cannot take a message (its secrets are not configured)."""
    return not sms.settings.auth_token or sms.vault is None


def error(message: str, status: int) -> Tuple[Any, int]:
    """A JSON error the page shows as it is."""
    return jsonify({"error": message}), status


def address_from(data: Dict[str, Any]) -> str:
    """The sender's address ("+1555...", "whatsapp:+1555..."), or BadInput."""
    sender = data.get("from")
    if not isinstance(sender, str) or not ADDRESS.fullmatch(sender):
        raise BadInput('"from" must be a number like +15551234567 or whatsapp:+15551234567')
    return sender


def message_from(data: Dict[str, Any]) -> Tuple[str, str, bool]:
    """The sender, body and whether a photo is attached, or BadInput."""
    sender = address_from(data)
    body = data.get("body", "")
    if not isinstance(body, str) or len(body) > MAX_BODY_CHARS:
        raise BadInput(f'"body" must be text of at most {MAX_BODY_CHARS} characters')
    media = data.get("media", False)
    if not isinstance(media, bool):
        raise BadInput('"media" must be true or false')
    return sender, body, media


def json_object() -> Dict[str, Any]:
    """The request's JSON object, or BadInput (a JSON body also keeps other sites' forms out)."""
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        raise BadInput("send a JSON object")
    return data


def inbound_fields(sender: str, body: str, media: bool) -> Dict[str, str]:
    """The form fields Twilio posts for one inbound message."""
    sid = "SM" + secrets.token_hex(16)
    fields = {
        "MessageSid": sid,
        "AccountSid": TEST_ACCOUNT_SID,
        "From": sender,
        "To": f"whatsapp:{PUENTE_NUMBER}" if sender.startswith("whatsapp:") else PUENTE_NUMBER,
        "Body": body,
        "NumMedia": "1" if media else "0",
    }
    if media:
        fields["MediaUrl0"] = TEST_MEDIA_URL.format(account=TEST_ACCOUNT_SID, sid=sid)
        fields["MediaContentType0"] = "image/jpeg"
    return fields


def twiml_messages(twiml: str) -> List[str]:
    """The text of each <Message> of a TwiML answer (none when it is not TwiML)."""
    try:
        root = ElementTree.fromstring(twiml)  # noqa: S314 - our own server's answer, not input
    except ElementTree.ParseError:
        return []
    return ["".join(message.itertext()) for message in root.iter("Message")]


def outbox_for(sms: SmsChannel, sender: str) -> List[Dict[str, Any]]:
    """The outbox's texts to this sender's conversation, oldest first."""
    conversation_id = sms.vault.conversation_id(sender)
    try:
        entries = sms.state.outbox()
    except redis.RedisError:
        log.warning("simulator: outbox unavailable, redis did not answer")
        return []
    return [
        {key: entry.get(key) for key in ("sid", "channel", "body", "at")}
        for entry in entries
        if entry.get("conversation") == conversation_id
    ]


@bp.get("/dev/phone")
def phone():
    """The simulator page."""
    return render_template("phone.html", max_chars=MAX_BODY_CHARS)


@bp.post("/dev/phone/send")
def send():
    """Text the SMS endpoint over real HTTP, signed like Twilio; answer with what came back."""
    try:
        sender, body, media = message_from(json_object())
    except BadInput as problem:
        return error(str(problem), 400)
    sms = channel()
    if unavailable(sms):
        return error("SMS is not configured: set TWILIO_AUTH_TOKEN and the PUENTE_SMS_ keys", 503)

    fields = inbound_fields(sender, body, media)
    here = request.host_url.rstrip("/")
    # The endpoint checks the signature against the public URL when one is set (a tunnel or a
    # proxy), so sign that one; the request itself goes straight to this server.
    signed_url = (sms.settings.public_url or here) + sms.settings.path
    signature = sign(sms.settings.auth_token, signed_url, fields)
    try:
        answer = requests.post(
            here + sms.settings.path,
            data=fields,
            headers={HEADER: signature},
            timeout=SEND_TIMEOUT_SECONDS,
        )
    except requests.RequestException as problem:
        log.warning("simulator: the SMS endpoint did not answer: %s", type(problem).__name__)
        return error(f"the SMS endpoint did not answer ({type(problem).__name__})", 502)
    return jsonify(
        {
            "status": answer.status_code,
            "twiml": answer.text,
            "messages": twiml_messages(answer.text) if answer.ok else [],
            "outbox": outbox_for(sms, sender),
        }
    )


@bp.post("/dev/phone/outbox")
def outbox():
    """The outbox's texts to this number, for the page's Refresh button."""
    try:
        sender = address_from(json_object())
    except BadInput as problem:
        return error(str(problem), 400)
    sms = channel()
    if unavailable(sms):
        return error("SMS is not configured: set TWILIO_AUTH_TOKEN and the PUENTE_SMS_ keys", 503)
    return jsonify({"outbox": outbox_for(sms, sender)})
