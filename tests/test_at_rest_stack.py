"""A stolen copy of Redis or the logs: after a full run, no number, no text, nothing kept forever.

One end-to-end run through the stack (a texter who gets a person, an advocate replying from the
console, a web chat), then a SCAN of every key in Redis (values decoded by type) and a read of every
process's log. Keys left by the rest of the session's stack tests are scanned too.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import List, Tuple

import pytest
import redis

from tests.conftest import SEALER, SMS_ENV, make_account, stored_values
from tests.test_console_stack import Advocate
from webhook.handoff import Handoffs
from webhook.phones import PhoneVault

pytestmark = pytest.mark.stack

# Words no content, model or test data holds: if one shows up in clear, it came from a message.
SMS_SECRET = "Zorblatt"
WEB_SECRET = "Quibbleton"
REPLY_SECRET = "Vantrexil"


def scan(connection: redis.Redis) -> Tuple[List[str], str]:
    """Keys without an expiry, and everything Redis holds as one searchable text."""
    forever, dump = [], []
    for key in connection.scan_iter(count=500):
        if connection.ttl(key) == -1:
            forever.append(key.decode())
        dump.append(key.decode("utf-8", "replace"))
        dump += [value.decode("utf-8", "replace") for value in stored_values(connection, key)]
    return forever, "\n".join(dump)


def digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def test_after_a_full_run_redis_and_the_logs_hold_no_number_no_text_and_nothing_forever(
    stack, phone_factory, chat_factory
):
    connection = redis.Redis.from_url(stack.redis_url)
    username = f"ana-{uuid.uuid4().hex[:6]}"
    make_account(stack.redis_url, username, languages=("en", "es"))

    phone = phone_factory()
    sms_words = [
        f"my boss {SMS_SECRET} keeps my passport",
        "I want to talk to a person",
        "yes",  # pass the chat to a person
        "yes",  # safe to write here
        f"after 6 pm, at {SMS_SECRET} farm",
        f"{SMS_SECRET} rose",  # the code word unprompted texts start with
        "yes",  # share what I told Puente
    ]
    for words in sms_words:
        phone.text(words)
    chat = chat_factory("es")
    chat.say(f"me llamo {WEB_SECRET} y mi patrón no me paga")
    chat.say("quiero hablar con una persona")
    chat.say("/affirm")
    chat.say("/stop_form")  # enough questions: straight to the advocate

    vault = PhoneVault(
        SMS_ENV["PUENTE_SMS_HASH_KEY"], SMS_ENV["PUENTE_SMS_ENCRYPTION_KEY"], connection
    )
    handoffs = Handoffs(connection, 3600, SEALER)
    conversations = [vault.conversation_id(phone.number), chat.conversation_id]
    tickets = [handoffs.active(conversation) for conversation in conversations]
    assert all(tickets), "a handoff did not open"
    ana = Advocate(stack.web_url, username)
    for ticket_id in tickets:
        ana.submit(ticket_id, "claim")
        ana.submit(ticket_id, "reply", text=f"Hello, I am Ana. {REPLY_SECRET} is my code.")
        ana.submit(ticket_id, "note", text=f"private note about {REPLY_SECRET}")
    phone.text(f"thank you, {SMS_SECRET} is gone now")

    forever, dump = scan(connection)
    assert forever == [], f"keys kept forever: {forever}"
    number = digits(phone.number)
    assert number[-10:] not in dump, "a phone number in clear"
    for secret in (SMS_SECRET, WEB_SECRET, REPLY_SECRET):
        assert secret not in dump, f"{secret!r} stored in clear"

    logs = "\n".join(Path(p).read_text(errors="replace") for p in stack.run_dir.glob("*.log"))
    assert logs, "no process logs captured"
    assert number[-10:] not in logs, "a phone number in the logs"
    for secret in (SMS_SECRET, WEB_SECRET, REPLY_SECRET):
        assert secret not in logs, f"{secret!r} in the logs"
