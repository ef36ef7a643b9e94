"""Texts Puente starts: twilio's real Client up to the HTTP edge, the outbox, and opt-outs."""

from __future__ import annotations

import json
import uuid
from typing import Any, Dict, List, Optional

import pytest
import redis
from twilio.http import HttpClient
from twilio.http.response import Response

from tests.conftest import SEALER, SMS_ENV
from webhook import keys
from webhook.outbound import OUTBOX_STATUS, Outbound, OutboundRefused, twilio_client
from webhook.phones import PhoneVault
from webhook.sms_state import SmsState

ACCOUNT_SID = "AC" + "a1" * 16
AUTH_TOKEN = "contract-test-token"
STATUS_URL = "https://puente.example.org/sms/status"
RETENTION = 3600


class CapturingHttpClient(HttpClient):
    """Stands where the network would be: records the exact request and answers as Twilio does."""

    def __init__(self, status: int = 201, answer: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(logger=None, is_async=False, timeout=10)
        self.requests: List[Dict[str, Any]] = []
        self.status = status
        self.answer = answer

    def request(self, method, url, params=None, data=None, headers=None, auth=None, **kwargs):
        self.requests.append(
            {"method": method, "url": url, "data": data, "auth": auth, "headers": headers}
        )
        body = self.answer or {
            "sid": "SM" + "f" * 32,
            "status": "queued",
            "to": data.get("To"),
            "body": data.get("Body"),
        }
        return Response(self.status, json.dumps(body))


@pytest.fixture
def db(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


@pytest.fixture
def vault(db) -> PhoneVault:
    return PhoneVault(SMS_ENV["PUENTE_SMS_HASH_KEY"], SMS_ENV["PUENTE_SMS_ENCRYPTION_KEY"], db)


@pytest.fixture
def state(db) -> SmsState:
    return SmsState(db, RETENTION, SEALER)


def known_conversation(vault: PhoneVault, address: str) -> str:
    conversation = vault.conversation_id(address)
    vault.remember(conversation, address, RETENTION)
    return conversation


def test_twilio_client_gets_the_exact_request_it_would_send(vault, state):
    http = CapturingHttpClient()
    client = twilio_client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
    outbound = Outbound(state, vault, client, sender="+15550001111", status_callback=STATUS_URL)
    conversation = known_conversation(vault, "+15557654321")

    sent = outbound.send(conversation, "Hola, soy tu defensora. ¿Cómo estás?")

    [request] = http.requests
    assert request["method"] == "POST"
    assert request["url"] == (
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    )
    assert request["auth"] == (ACCOUNT_SID, AUTH_TOKEN)
    assert request["data"] == {
        "To": "+15557654321",
        "From": "+15550001111",
        "Body": "Hola, soy tu defensora. ¿Cómo estás?",
        "StatusCallback": STATUS_URL,
    }
    assert sent.sid == "SM" + "f" * 32 and sent.status == "queued"
    assert sent.segments == 1


def test_whatsapp_goes_from_the_whatsapp_sender_through_a_messaging_service(vault, state):
    http = CapturingHttpClient()
    client = twilio_client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
    with_service = Outbound(state, vault, client, messaging_service_sid="MG" + "0" * 32)
    plain = Outbound(state, vault, client, sender="+15550001111")
    conversation = known_conversation(vault, "whatsapp:+15557654321")

    with_service.send(conversation, "hello")
    plain.send(conversation, "hello")

    first, second = (r["data"] for r in http.requests)
    assert first["MessagingServiceSid"] == "MG" + "0" * 32 and "From" not in first
    assert second["From"] == "whatsapp:+15550001111"
    assert first["To"] == second["To"] == "whatsapp:+15557654321"


def test_a_number_that_opted_out_is_never_texted(vault, state):
    http = CapturingHttpClient()
    outbound = Outbound(state, vault, twilio_client(ACCOUNT_SID, AUTH_TOKEN, http), sender="+1")
    conversation = known_conversation(vault, "+15550009999")
    state.set_opted_out(conversation, True)
    with pytest.raises(OutboundRefused) as refused:
        outbound.send(conversation, "are you ok?")
    assert "21610" in refused.value.code
    assert http.requests == [], "a request reached Twilio for an opted-out number"


def test_twilio_saying_opted_out_is_remembered(vault, state):
    http = CapturingHttpClient(
        status=400,
        answer={"code": 21610, "message": "Attempt to send to unsubscribed recipient"},
    )
    outbound = Outbound(state, vault, twilio_client(ACCOUNT_SID, AUTH_TOKEN, http), sender="+1")
    conversation = known_conversation(vault, "+15550008888")
    with pytest.raises(OutboundRefused):
        outbound.send(conversation, "hello")
    assert state.opted_out(conversation)


def test_without_credentials_texts_go_to_the_outbox_without_the_number(vault, state, db):
    outbound = Outbound(state, vault, twilio_client("", ""))
    number = "+1555" + str(uuid.uuid4().int)[:7]
    conversation = known_conversation(vault, number)
    sent = outbound.send(conversation, "An advocate will text you today.")
    assert sent.status == OUTBOX_STATUS
    mine = [e for e in state.outbox() if e["conversation"] == conversation]
    assert [e["body"] for e in mine] == ["An advocate will text you today."]
    assert number.lstrip("+") not in json.dumps(state.outbox())


def test_nothing_is_sent_to_a_conversation_whose_number_is_gone(vault, state):
    outbound = Outbound(state, vault, None)
    with pytest.raises(OutboundRefused) as refused:
        outbound.send(vault.conversation_id("+15550007777"), "hello")
    assert refused.value.code == "no_address"


def test_the_number_is_stored_encrypted_and_read_back(vault, db):
    conversation = known_conversation(vault, "+15550006666")
    stored = db.get(keys.sms_address(conversation))
    assert b"5550006666" not in stored
    assert vault.address(conversation) == "+15550006666"
    assert db.ttl(keys.sms_address(conversation)) <= RETENTION
