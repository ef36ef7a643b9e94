"""SMS through the whole stack: signed Twilio requests, Rasa, the actions, Redis and content."""

from __future__ import annotations

import json
import re
from typing import List

import pytest
import redis

from tests.conftest import SEALER, SMS_ENV, SMS_RATE_LIMIT, Phone, stored_values
from webhook import keys
from webhook.phones import PhoneVault
from webhook.segments import encoding, segments

pytestmark = pytest.mark.stack

MAX_SEGMENTS = 3  # the default PUENTE_SMS_MAX_SEGMENTS_PER_MESSAGE
MAX_MESSAGES = 3  # the default PUENTE_SMS_MAX_MESSAGES
MENU_LINE = re.compile(r"^(\d) (.+)$", re.MULTILINE)


@pytest.fixture
def db(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


def conversation_of(phone: Phone, db: redis.Redis) -> str:
    vault = PhoneVault(SMS_ENV["PUENTE_SMS_HASH_KEY"], SMS_ENV["PUENTE_SMS_ENCRYPTION_KEY"], db)
    return vault.conversation_id(phone.number)


def user_texts(db: redis.Redis, conversation: str) -> List[str]:
    """What Rasa's tracker in Redis says the person wrote, in order."""
    stored = db.get(keys.rasa_tracker(conversation))
    assert stored is not None, "Rasa has no tracker for this conversation"
    events = SEALER.open_json(stored)["events"]
    return [e["text"] for e in events if e["event"] == "user"]


def assert_sms_sized(replies: List[str]) -> None:
    assert 1 <= len(replies) <= MAX_MESSAGES, replies
    for reply in replies:
        assert segments(reply) <= MAX_SEGMENTS, (encoding(reply), len(reply), reply)


def menu(replies: List[str]) -> List[str]:
    """The numbered choices at the end of a reply."""
    return [title for _, title in MENU_LINE.findall(replies[-1])]


@pytest.mark.parametrize(
    ("first", "starts", "erase"),
    [
        ("my boss took my passport", "Before you write:", "delete my data"),
        ("mi patrón me quitó el pasaporte", "Antes de escribir:", "borrar mis datos"),
    ],
)
def test_the_first_text_of_a_new_conversation_says_what_is_kept_in_one_sms(
    phone_factory, first, starts, erase
):
    phone = phone_factory()
    replies = phone.text(first)
    notice = replies[0]
    # The first SMS is the notice, whole: who reads, how long, how to erase; nothing else in it.
    assert notice.startswith(starts) and f'"{erase}"' in notice and "30" in notice, replies
    assert notice.rstrip().endswith(".") and len(replies) >= 2, replies
    if starts.startswith("Before"):
        assert segments(notice) == 1, (len(notice), notice)  # one SMS segment in English
    # Said once: the next text does not repeat it.
    assert not any(r.startswith(starts) for r in phone.text("what is a t visa"))


def test_a_conversation_over_sms_in_english(phone_factory, db, record_summary):
    phone = phone_factory()
    greeting = phone.text("hi")
    assert_sms_sized(greeting)
    assert any("Puente" in reply for reply in greeting)
    assert "Reply with a number:" in greeting[-1]
    choices = menu(greeting)
    assert len(choices) >= 3, greeting

    number = 1 + [("T visa" in choice) for choice in choices].index(True)
    answer = phone.text(str(number))  # a choice of the menu, by its number
    assert_sms_sized(answer)
    assert "T visa" in " ".join(answer), (choices, answer)

    passport = phone.text("my boss took my passport and wont give it back")
    assert_sms_sized(passport)
    said = " ".join(passport)
    assert "passport" in said.lower()
    assert "1-888-373-7888" in said or "Reply with a number:" in said, "no next step"

    conversation = conversation_of(phone, db)
    texts = user_texts(db, conversation)
    assert texts[0] == "hi" and texts[-1] == "my boss took my passport and wont give it back"
    assert texts[1].startswith("/"), "the number did not become the menu's choice"
    record_summary("SMS conversation (en), as TwiML replies: " + json.dumps(greeting + answer))


def test_a_conversation_over_sms_in_spanish_split_for_ucs2(phone_factory, db):
    phone = phone_factory()
    replies = phone.text("mi patron tiene mi pasaporte y no me lo quiere dar")
    assert_sms_sized(replies)
    said = " ".join(replies)
    assert "pasaporte" in said
    assert any(encoding(reply) == "UCS-2" for reply in replies), "expected accented Spanish"
    for reply in replies:  # split at sentence or line ends, never inside a word
        assert reply == reply.strip()
    thanks = phone.text("muchas gracias por la ayuda")
    assert_sms_sized(thanks)
    assert "Thank" not in " ".join(thanks), "answered in English"


def test_special_characters_reach_rasa_intact(phone_factory, db):
    phone = phone_factory()
    sent = ["¡Ayuda! mi jefe me grita", "my boss 😡 took my passport 🛂", "老板拿走了我的护照"]
    for text in sent:
        assert phone.text(text), f"no reply to {text!r}"
    assert user_texts(db, conversation_of(phone, db)) == sent


def test_a_retry_is_answered_once_with_the_same_reply(phone_factory, db):
    phone = phone_factory()
    fields = phone.fields("what is a t visa")
    first = phone.post(fields)
    retry = phone.post(fields)
    assert first.status_code == retry.status_code == 200
    assert retry.text == first.text
    assert user_texts(db, conversation_of(phone, db)) == ["what is a t visa"]


def test_stop_help_start_in_a_spanish_conversation(phone_factory, db):
    phone = phone_factory()
    phone.text("hola, tengo una pregunta sobre mi trabajo")
    help_text = " ".join(phone.text("AYUDA"))
    assert "PARAR" in help_text and "911" in help_text
    stopped = " ".join(phone.text("STOP"))  # Twilio's English word, confirmed in Spanish
    assert "Ya no recibirás" in stopped
    assert db.exists(keys.sms_opted_out(conversation_of(phone, db)))
    assert phone.text("hola otra vez, necesito ayuda") == [], "texted after STOP"
    started = " ".join(phone.text("START"))
    assert "Hola de nuevo" in started
    assert phone.text("que es la visa t"), "no answer after opting back in"


def test_rate_limit_through_the_stack(phone_factory):
    phone = phone_factory()
    for index in range(SMS_RATE_LIMIT):
        assert phone.text(f"what are my rights {index}"), f"message {index + 1} got no answer"
    [polite] = phone.text("what are my rights at work")
    assert "many messages" in polite
    assert phone.text("what are my rights now") == []


def test_whatsapp_uses_the_same_endpoint(phone_factory, db):
    phone = phone_factory("whatsapp:+1555")
    replies = phone.text("hi")
    assert any("Puente" in reply for reply in replies)
    assert user_texts(db, conversation_of(phone, db)) == ["hi"]


def test_a_photo_with_no_text(phone_factory):
    [reply] = phone_factory().text("", media=1)
    assert "cannot see photos" in reply


@pytest.mark.parametrize(
    ("first", "delete", "yes", "done"),
    [
        ("my boss has my passport", "delete this conversation", "yes", "deleted"),
        ("mi patrón tiene mi pasaporte", "borrar mis datos", "sí", "borró"),
    ],
)
def test_delete_my_data_over_sms_leaves_nothing_about_the_person(
    phone_factory, db, first, delete, yes, done
):
    phone = phone_factory()
    phone.text(first)
    conversation = conversation_of(phone, db)
    assert list(db.scan_iter(match=f"*{conversation}*")), "nothing was kept to delete"
    question = phone.text(delete)
    assert menu(question), question
    choice = 1 + [c.lower().startswith(yes) for c in menu(question)].index(True)
    assert done in " ".join(phone.text(str(choice)))
    # A scan of every key, names and values: nothing names the conversation or the number.
    digits = phone.number.lstrip("+").encode()
    for key in db.scan_iter("*"):
        assert conversation.encode() not in key and digits not in key, key
        values = stored_values(db, key)
        assert not any(conversation.encode() in v or digits in v for v in values), key


def test_no_phone_number_in_redis_rasa_or_logs(stack, phone_factory, db):
    phone = phone_factory()
    for text in ("hi", "1", "my boss took my passport", "HELP", "STOP", "START"):
        phone.text(text)
    digits = phone.number.lstrip("+")
    found = []
    for key in db.scan_iter("*"):
        if digits.encode() in key:
            found.append(f"key {key!r}")
        if any(digits.encode() in value for value in stored_values(db, key)):
            found.append(f"value of {key!r}")
    for log_file in stack.run_dir.glob("*.log"):
        if digits in log_file.read_text(errors="replace"):
            found.append(f"log {log_file.name}")
    assert not found, f"the phone number {phone.number} was found in: {found}"
