"""An SMS survivor and an advocate through the running stack: real HTTP, signed texts, real Rasa.

The advocate's side goes through the console's own pages and forms (a requests session that signs
in and posts with each page's CSRF token); the survivor's side is a phone texting Twilio-signed
requests. Twilio's REST API is the one thing faked: outbound texts land in the SMS outbox.
"""

from __future__ import annotations

import uuid

import pytest
import redis
import requests

from tests.conftest import (
    CONSOLE_PASSWORD,
    HTTP_TIMEOUT,
    SEALER,
    SMS_ENV,
    csrf_token,
    make_account,
    text_of,
)
from webhook import keys
from webhook.handoff import Handoffs
from webhook.phones import PhoneVault

pytestmark = pytest.mark.stack

REPLY = "Hi, I am Ana, an advocate. Are you somewhere safe right now?"


class Advocate:
    """A browser-like session on the console of the running stack."""

    def __init__(self, web_url: str, username: str) -> None:
        self.web_url = web_url
        self.session = requests.Session()
        form = self.session.get(f"{web_url}/console/sign-in", timeout=HTTP_TIMEOUT).text
        credentials = {"username": username, "password": CONSOLE_PASSWORD}
        signed_in = self.session.post(
            f"{web_url}/console/sign-in",
            data={**credentials, "csrf_token": csrf_token(form)},
            timeout=HTTP_TIMEOUT,
        )
        assert signed_in.ok and signed_in.url.endswith("/console/"), signed_in.status_code

    def submit(self, ticket_id: str, action: str, **fields: str) -> requests.Response:
        """Open the conversation's page, then post one of its forms with the page's token."""
        page = self.session.get(f"{self.web_url}/console/tickets/{ticket_id}", timeout=HTTP_TIMEOUT)
        assert page.status_code == 200
        return self.session.post(
            f"{self.web_url}/console/tickets/{ticket_id}/{action}",
            data={**fields, "csrf_token": csrf_token(page.text)},
            timeout=HTTP_TIMEOUT,
        )

    def messages(self, ticket_id: str) -> list:
        answer = self.session.get(
            f"{self.web_url}/console/api/tickets/{ticket_id}/messages", timeout=HTTP_TIMEOUT
        )
        assert answer.status_code == 200
        return answer.json()["messages"]


def sms_sent_to(connection: redis.Redis, conversation_id: str) -> list:
    """What Puente texted this conversation outside a reply (the development outbox)."""
    entries = [SEALER.open_json(raw) for raw in connection.lrange(keys.sms_outbox(), 0, -1)]
    return [e["body"] for e in entries if e["conversation"] == conversation_id]


def survivor_and_advocate(stack, phone_factory):
    """A texter with a fresh number, its conversation id, and an advocate's account."""
    connection = redis.Redis.from_url(stack.redis_url)
    username = f"ana-{uuid.uuid4().hex[:6]}"
    make_account(stack.redis_url, username, languages=("en",))
    phone = phone_factory()
    conversation = PhoneVault(
        SMS_ENV["PUENTE_SMS_HASH_KEY"], SMS_ENV["PUENTE_SMS_ENCRYPTION_KEY"], connection
    ).conversation_id(phone.number)
    return connection, Handoffs(connection, 3600, SEALER), username, phone, conversation


def test_an_sms_survivor_talks_with_an_advocate_then_the_bot_again(stack, phone_factory, content):
    connection, handoffs, username, phone, conversation = survivor_and_advocate(
        stack, phone_factory
    )

    assert "911" in "\n".join(phone.text("he is here with a knife and wont let me leave"))
    ticket_id = handoffs.active(conversation)
    assert ticket_id and handoffs.get(ticket_id).priority == "danger"

    ana = Advocate(stack.web_url, username)
    queue = ana.session.get(f"{stack.web_url}/console/", timeout=HTTP_TIMEOUT).text
    assert f'data-ticket="{ticket_id}"' in queue and phone.number not in queue
    ana.submit(ticket_id, "claim")
    ana.submit(ticket_id, "reply", text=REPLY)
    assert sms_sent_to(connection, conversation) == [f"Hi.\n{REPLY}"]  # unprompted: discreet

    assert phone.text("yes I am at my friend's house") == []  # to the advocate; the bot is silent
    assert [m["text"] for m in ana.messages(ticket_id) if m["from"] == "survivor"][-1] == (
        "yes I am at my friend's house"
    )
    ana.submit(ticket_id, "close", outcome="referred")
    handed_back = sms_sent_to(connection, conversation)[1:]
    closing = text_of(content, "utter_handoff_closed", "en")
    assert handed_back and handed_back[0].startswith(f"Hi.\n{closing}")
    assert phone.text("can my employer keep my passport"), "the bot did not answer again"
    assert handoffs.get(ticket_id).outcome == "referred"


def test_the_person_chooses_a_code_word_and_the_advocates_text_starts_with_it(stack, phone_factory):
    connection, handoffs, username, phone, conversation = survivor_and_advocate(
        stack, phone_factory
    )
    phone.text("I want to talk to a person")
    phone.text("yes")  # pass the chat to a person
    phone.text("yes")  # safe to write here
    asked = " ".join(phone.text("1"))  # the first numbered choice: any time
    assert "code word" in asked, asked
    phone.text("Tulip")
    phone.text("no")  # do not share the rest
    ticket_id = handoffs.active(conversation)
    assert ticket_id, "the handoff did not open"
    summary = handoffs.get(ticket_id).summary
    assert summary["contact_time"] == "any" and summary["code_word"] == "Tulip"

    ana = Advocate(stack.web_url, username)
    ana.submit(ticket_id, "claim")
    ana.submit(ticket_id, "reply", text=REPLY)
    assert sms_sent_to(connection, conversation) == [f"Tulip.\n{REPLY}"]
