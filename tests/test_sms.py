"""The SMS endpoint through Flask's test client, with a real Redis and no Rasa behind it.

Everything here happens before Rasa (signatures, keywords, limits, retries) or when Rasa is down;
tests/test_sms_stack.py has the conversations through the whole running stack.
"""

from __future__ import annotations

import time
import uuid
from typing import Dict, List, Optional

import pytest
import redis
from twilio.request_validator import RequestValidator

from tests.conftest import (
    SEALER,
    SMS_APP_CONFIG,
    SMS_AUTH_TOKEN,
    SMS_ENV,
    SMS_PUBLIC_URL,
    FakeRasa,
    app_config,
    twiml_messages,
)
from webhook import create_app, keys
from webhook.phones import PhoneVault
from webhook.sms_state import SmsState

TOKEN = SMS_AUTH_TOKEN
PUBLIC = SMS_PUBLIC_URL
RATE_LIMIT = 4


@pytest.fixture
def sms_app(redis_url, tmp_path):
    """The test app (no Rasa) with the SMS channel configured as behind a proxy."""
    return create_app(app_config(redis_url, tmp_path, **SMS_APP_CONFIG, SMS_RATE_LIMIT=RATE_LIMIT))


@pytest.fixture
def db(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


class Texter:
    """One phone number posting Twilio-signed texts to the app."""

    def __init__(self, client, number: Optional[str] = None) -> None:
        self.client = client
        self.number = number or "+1555" + str(uuid.uuid4().int)[:7]

    def fields(self, body: str, **extra: str) -> Dict[str, str]:
        return {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "From": self.number,
            "To": "+15550001111",
            "Body": body,
            "NumMedia": "0",
            **extra,
        }

    def post(self, fields: Dict[str, str], url: str = PUBLIC + "/sms", token: str = TOKEN):
        signature = RequestValidator(token).compute_signature(url, fields)
        return self.client.post("/sms", data=fields, headers={"X-Twilio-Signature": signature})

    def text(self, body: str, **extra: str) -> List[str]:
        response = self.post(self.fields(body, **extra))
        assert response.status_code == 200, response.data
        assert response.mimetype == "application/xml"
        return twiml_messages(response.get_data(as_text=True))


@pytest.fixture
def phone(sms_app) -> Texter:
    return Texter(sms_app.test_client())


def conversation_of(number: str, db: redis.Redis) -> str:
    return PhoneVault(
        SMS_ENV["PUENTE_SMS_HASH_KEY"], SMS_ENV["PUENTE_SMS_ENCRYPTION_KEY"], db
    ).conversation_id(number)


# --- signatures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "how",
    ["forged with another token", "missing", "signed for a stale URL", "body changed after"],
)
def test_a_request_twilio_did_not_sign_is_refused_and_not_processed(phone, db, how):
    fields = phone.fields("my boss took my passport")
    if how == "forged with another token":
        response = phone.post(fields, token="not-the-token")
    elif how == "missing":
        response = phone.client.post("/sms", data=fields)
    elif how == "signed for a stale URL":
        response = phone.post(fields, url="https://old-tunnel.example.net/sms")
    else:
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC + "/sms", fields)
        fields["Body"] = "STOP"
        response = phone.client.post("/sms", data=fields, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    conversation = conversation_of(phone.number, db)
    assert not db.exists(keys.sms_address(conversation)), "a refused request was processed"
    assert not db.exists(keys.sms_opted_out(conversation))
    assert not db.exists(keys.sms_inbound(fields["MessageSid"]))


def test_without_its_secrets_the_channel_refuses_everything(app):
    texter = Texter(app.test_client())  # the plain test app: no auth token, no keys
    response = texter.post(texter.fields("hi"))
    assert response.status_code == 503


def test_the_query_string_is_part_of_what_twilio_signs(sms_app):
    texter = Texter(sms_app.test_client())
    fields = texter.fields("hi")
    signed_for = PUBLIC + "/sms?channel=sms"
    signature = RequestValidator(TOKEN).compute_signature(signed_for, fields)
    ok = texter.client.post(
        "/sms?channel=sms", data=fields, headers={"X-Twilio-Signature": signature}
    )
    assert ok.status_code == 200
    other = texter.client.post(
        "/sms?channel=whatsapp", data=fields, headers={"X-Twilio-Signature": signature}
    )
    assert other.status_code == 403


def test_a_request_without_sender_or_message_id_is_a_clear_400(phone):
    fields = phone.fields("hi")
    del fields["MessageSid"]
    assert phone.post(fields).status_code == 400


# --- when Rasa is down ------------------------------------------------------------------------


def test_with_rasa_down_the_person_still_gets_the_hotline_and_911(phone):
    notice, reply = phone.text("my boss took my passport")  # first contact: the notice first
    assert notice.startswith("Before you write") and "delete my data" in notice
    assert "1-888-373-7888" in reply and "911" in reply


# --- retries --------------------------------------------------------------------------------


def test_a_retried_message_gets_the_same_reply_and_counts_once(phone, db):
    fields = phone.fields("HELP")
    first = phone.post(fields)
    again = phone.post(fields)
    assert first.status_code == again.status_code == 200
    assert again.data == first.data
    counted = db.get(keys.sms_rate(conversation_of(phone.number, db)))
    assert int(counted) == 1, "the retry was counted again"


# --- keywords -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stop", "start", "stopped", "started"),
    [
        ("STOP", "START", "no more texts", "Welcome back"),
        ("stop", "unstop", "no more texts", "Welcome back"),
        ("PARAR", "INICIAR", "Ya no recibirás", "Hola de nuevo"),
        ("Baja", "comenzar", "Ya no recibirás", "Hola de nuevo"),
    ],
)
def test_stop_and_start_in_english_and_spanish(phone, db, stop, start, stopped, started):
    [confirmation] = phone.text(stop)
    assert stopped in confirmation
    assert "911" in confirmation
    conversation = conversation_of(phone.number, db)
    assert db.exists(keys.sms_opted_out(conversation))
    assert not db.exists(keys.sms_address(conversation)), "the number was kept after STOP"
    assert phone.text("hello are you there") == [], "Puente texted someone who opted out"
    [welcome] = phone.text(start)
    assert started in welcome
    assert not db.exists(keys.sms_opted_out(conversation))


def test_yes_opts_back_in_only_someone_who_opted_out(phone):
    phone.text("STOP")
    [welcome] = phone.text("yes")
    assert "Welcome back" in welcome
    # Now "yes" is an ordinary answer for the assistant (here: Rasa is down, so the fallback,
    # after the privacy notice: it is the first message the assistant itself answers).
    *_, reply = phone.text("yes")
    assert "Welcome back" not in reply and "911" in reply


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("HELP", ["Msg&data rates may apply", "Reply STOP", "1-888-373-7888", "911"]),
        ("info", ["Msg&data rates may apply", "Reply STOP"]),
        ("AYUDA", ["Pueden aplicar tarifas", "PARAR", "1-888-373-7888", "911"]),
    ],
)
def test_help_says_what_puente_is_how_to_stop_and_the_hotline(phone, word, expected):
    reply = " ".join(phone.text(word))
    assert "Puente" in reply and "Test Org" in reply
    for words in expected:
        assert words in reply


def test_stop_in_a_spanish_conversation_is_confirmed_in_spanish(phone, db):
    conversation = conversation_of(phone.number, db)
    db.hset(keys.conversation_language(conversation), mapping={"code": "es", "source": "detected"})
    [reply] = phone.text("STOP")  # Twilio's English word, from someone who writes in Spanish
    assert "Ya no recibirás" in reply


def test_twilio_advanced_opt_out_type_is_honoured(phone, db):
    [reply] = phone.text("enough", OptOutType="STOP")  # a word only Twilio was told about
    assert "no more texts" in reply
    assert db.exists(keys.sms_opted_out(conversation_of(phone.number, db)))


def test_a_keyword_inside_a_sentence_is_not_a_keyword(phone, db):
    phone.text("please stop my boss from taking my pay")
    assert not db.exists(keys.sms_opted_out(conversation_of(phone.number, db)))


# --- photos, empty and huge messages, rate limit ------------------------------------------------


def test_a_photo_without_text_gets_a_kind_explanation(phone):
    [reply] = phone.text("", NumMedia="1", MediaUrl0="https://api.twilio.com/x/ME1")
    assert "cannot see photos" in reply
    assert "1-888-373-7888" in reply


def test_a_huge_message_is_refused_politely(phone, sms_app):
    limit = sms_app.config["SMS_MAX_BODY_CHARS"]
    [reply] = phone.text("a" * (limit + 1))
    assert "too long" in reply and "911" in reply


def test_the_rate_limit_answers_once_politely_then_stays_quiet(phone):
    for _ in range(RATE_LIMIT):
        assert phone.text("HELP")
    [polite] = phone.text("HELP")
    assert "many messages" in polite and "911" in polite
    assert phone.text("HELP") == []
    other = Texter(phone.client)
    assert other.text("HELP"), "one sender's limit silenced another"


def test_stop_still_works_over_the_rate_limit(phone, db):
    for _ in range(RATE_LIMIT + 2):
        phone.text("HELP")
    phone.text("STOP")
    assert db.exists(keys.sms_opted_out(conversation_of(phone.number, db)))


# --- delivery status callback ----------------------------------------------------------------


def test_the_delivery_status_callback_is_signed_and_recorded(sms_app, db):
    client = sms_app.test_client()
    fields = {"MessageSid": "SM" + uuid.uuid4().hex, "MessageStatus": "delivered"}
    url = PUBLIC + "/sms/status"
    unsigned = client.post("/sms/status", data=fields)
    assert unsigned.status_code == 403
    assert not db.exists(keys.sms_status(fields["MessageSid"]))
    signature = RequestValidator(TOKEN).compute_signature(url, fields)
    signed = client.post("/sms/status", data=fields, headers={"X-Twilio-Signature": signature})
    assert signed.status_code == 204
    assert db.hget(keys.sms_status(fields["MessageSid"]), "status") == b"delivered"


def test_no_phone_number_in_redis_keys_or_values(phone, db):
    for body in ("HELP", "STOP", "START", "my boss took my passport"):
        phone.text(body)
    digits = phone.number.lstrip("+")
    for key in db.scan_iter("*"):
        assert digits.encode() not in key
        kind = db.type(key)
        if kind == b"string":
            assert digits.encode() not in db.get(key), key
        elif kind == b"hash":
            assert digits.encode() not in b"".join(k + v for k, v in db.hgetall(key).items()), key


def test_the_simulator_never_runs_with_real_twilio_credentials(app):
    with pytest.raises(RuntimeError):
        create_app({**app.config, "SMS_SIMULATOR": True, "TWILIO_ACCOUNT_SID": "AC" + "1" * 32})


# --- a slow Rasa: a holding text within Twilio's deadline, the answer after ------------------


@pytest.fixture
def slow_phone(redis_url, tmp_path):
    rasa = FakeRasa(delay=1.5)
    app = create_app(
        app_config(
            redis_url,
            tmp_path,
            **SMS_APP_CONFIG,
            RASA_URL=rasa.url,
            RASA_TIMEOUT_SECONDS=5,
            SMS_REPLY_DEADLINE_SECONDS=0.3,
        )
    )
    yield Texter(app.test_client())
    rasa.close()


def outbox_for(db: redis.Redis, conversation_id: str) -> List[str]:
    """Texts the outbound module wrote to the development outbox for one conversation."""
    entries = SmsState(db, 3600, SEALER).outbox()
    return [entry["body"] for entry in entries if entry.get("conversation") == conversation_id]


def test_a_slow_answer_gets_a_holding_text_in_time_and_the_answer_by_outbound(slow_phone, db):
    slow_phone.text("hi")  # the first contact's privacy notice, and the number is kept
    conversation_id = conversation_of(slow_phone.number, db)
    started = time.monotonic()
    [holding] = slow_phone.text("my boss took my passport")
    assert time.monotonic() - started < 1.5, "the TwiML answer waited for Rasa"
    assert "another text soon" in holding and "911" in holding and "1-888-373-7888" in holding
    deadline = time.monotonic() + 10
    # The answers to "hi" and to this message, each once.
    while outbox_for(db, conversation_id).count(FakeRasa.ANSWER) < 2:
        assert time.monotonic() < deadline, outbox_for(db, conversation_id)
        time.sleep(0.1)
    time.sleep(0.5)
    assert outbox_for(db, conversation_id).count(FakeRasa.ANSWER) == 2
