"""Fuzzing the SMS and web endpoints of the running stack: hostile input never gets a 5xx.

Every request goes over real HTTP to the stack's processes (tests/conftest.py `stack`): signed
Twilio texts and status callbacks, forged and unsigned ones, the web chat's JSON API and page, the
content (NLG) endpoint, the development phone and the console's sign-in form. Every answer must
have no 5xx status and no traceback, and be what the endpoint speaks (TwiML, JSON or the form).
The processes' logs are read after each request: a traceback there fails the example that caused
it, and after the SMS fuzzing the whole of each log since the test began must hold none.

Hypothesis is derandomized (the same examples on every run, for CI) and keeps no database. A bug
the fuzzing found stays as an @example under the test that found it.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional
from xml.etree import ElementTree

import pytest
import redis
import requests
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from scripts.model import REPO
from tests.conftest import (
    HTTP_TIMEOUT,
    SMS_AUTH_TOKEN,
    SMS_ENV,
    SMS_PUBLIC_URL,
    Phone,
    csrf_token,
)
from webhook import MAX_REQUEST_BYTES, keys
from webhook.erase import erase_conversation
from webhook.phones import PhoneVault

pytestmark = pytest.mark.stack


def fuzz(examples: int) -> settings:
    """Hypothesis settings for a test of the running stack: reproducible, no time limit."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,  # the stack and the log reader span the test
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


MAX_SMS_MESSAGES = 3  # the default PUENTE_SMS_MAX_MESSAGES
MAX_CHAT_CHARS = 1000  # the default PUENTE_MAX_MESSAGE_CHARS
HUGE = 20_000  # characters: past every limit, and past 64 KB once URL-encoded if not ASCII
TRACEBACK_MARKERS = ("Traceback", 'File "')
LANGUAGES = sorted(
    path.name for path in (REPO / "content").iterdir() if path.is_dir() and path.name != "directory"
)
MACHINE_LANGUAGES = ["ne"]  # the tiny translation models of tests/conftest.py
RESPONSE_NAMES = sorted(yaml.safe_load((REPO / "domain.yml").read_text())["responses"])


class Default:
    """A field's ordinary value: a fresh number, a fresh MessageSid, a new conversation."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = Default()  # and None, where a field may be missing, leaves the field out


# --- strategies -------------------------------------------------------------------------------

ANY_CHAR = st.characters(exclude_categories=("Cs",))  # any code point but lone surrogates
ODD_CHARS = [
    "\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\r", "\n", "\r\n",
    "\t", "\u00a0", "\u00ad", "\u034f", "\u0301", "\u0600", "\u061c", "\u180e", "\u200b",
    "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2028", "\u2029", "\u2066", "\u2067", "\u2068", "\u2069", "\u3000", "\ufeff", "\ufffc",
    "\ufffd", "\uffff", "\U000e0001", "\U0010ffff", "😀", "👩\u200d👩\u200d👧", "🇺🇸",
    "🏳️\u200d🌈", "ﷺ", "é", "e\u0301", "ß", "İ", "ǅ", "Ⅻ", "٣", "²", "߀", "𝟘", "€", "[", "]",
    "{", "}", "<", ">", "&", "'", '"', "\\", "/", "%", "%s", "{0}", "${x}", "%(x)s", "]]>", "-->",
]  # fmt: skip
HOSTILE_TEXTS = [
    "", " ", "\x00", "\x00hi", "hi\x00", "STOP", "stop ", "ſtop", "START", "UNSTOP", "HELP",
    "AYUDA", "1", " 2. ", "3)", "10", "99", "0", "-1", "١", "/restart", "/greet", "/greet{",
    '/greet{"a":', '/greet{"language": ["x"]}', "/handoff_closed", "/ask_menu", "/affirm",
    "/request_human", "/nonexistent_intent", "/", "//", "/greet@0.5", "delete my data",
    "hi\nSTOP", "<Response><Message>x</Message></Response>", "]]><x/>",
    "<!DOCTYPE x [<!ENTITY a 'b'>]>&a;", "{{7*7}}", "{0}{1}{name}", "%s%s%n%d", "' OR '1'='1",
    "../../../../etc/passwd", "\u202eevil\u202c", "\u202e\u202dhello", "𝕙𝕖𝕝𝕝𝕠", "ｈｅｌｌｏ",
    "Привет", "مرحبا كيف حالك", "नमस्ते", "你好", "xin chào", "olá", "bonjou",
    "my boss took my passport", "i am in danger right now", "i want to leave the line",
    "English please", "español", "talk to a person",
]  # fmt: skip


def text_of_size(piece: str, size: int) -> str:
    """`piece` repeated to `size` characters (a big text without a big hypothesis buffer)."""
    return (piece * (size // len(piece) + 1))[:size]


sizes = st.one_of(
    st.sampled_from([MAX_CHAT_CHARS - 1, MAX_CHAT_CHARS, MAX_CHAT_CHARS + 1, 1600, 4000, HUGE]),
    st.integers(0, HUGE),
)
big_texts = st.builds(
    text_of_size,
    st.one_of(st.text(ANY_CHAR, min_size=1, max_size=8), st.sampled_from(ODD_CHARS)),
    sizes,
)
texts = st.one_of(
    st.text(ANY_CHAR, max_size=300),
    st.sampled_from(HOSTILE_TEXTS),
    st.lists(st.sampled_from(ODD_CHARS + HOSTILE_TEXTS), max_size=30).map("".join),
    big_texts,
)
short_texts = st.one_of(st.text(ANY_CHAR, max_size=40), st.sampled_from(HOSTILE_TEXTS))
# Anything JSON holds (NaN and the infinities too: Python's json writes and reads them).
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | short_texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(short_texts, inner, max_size=4),
    max_leaves=12,
)
# Printable Latin-1, no surrounding space: what an HTTP client lets into a header value.
header_texts = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), min_size=1).map(
    lambda text: text.strip(" \t\x85\xa0")
)

# Twilio's fields.
NUMBERS = [
    "0", "1", "10", "-1", "+1", " 1 ", "1.5", "1e3", "abc", "", "NaN", "0x10", "١", "²", "𝟙",
    "99999999999999999999", "9" * 5000, "\x00",
]  # fmt: skip
ADDRESSES = [
    "", " ", "+", "+1", "whatsapp:", "whatsapp:+15551234567", "WhatsApp:+15551234567",
    "+1555\x00", "+15551234567\n", " +15551234567", "\u202e+15551234567", "client:anonymous",
    "../../etc/passwd", "<script>", "+" + "9" * 100, "x" * 10_000, "+١٥٥٥١٢٣٤٥٦٧",
]  # fmt: skip
SIDS = ["", "SM", "x" * 10_000, "\x00", "SM" + "0" * 32, "*", "puente:*", " 2. "]
OPT_OUT_TYPES = ["STOP", "START", "HELP", "stop", "Stop", "ſtop", "HELP ", "UNKNOWN", ""]
TWILIO_FIELDS = {"MessageSid", "AccountSid", "From", "To", "Body", "NumMedia", "OptOutType"}
JUNK_NAMES = [
    "MediaUrl0", "MediaContentType0", "MediaUrl99", "NumSegments", "SmsStatus", "ErrorCode",
    "ButtonPayload", "ProfileName", "WaId", "To", "AccountSid", "X-Twilio-Signature",
    "__proto__", "csrf_token", "Body[]", "From ",
]  # fmt: skip
num_media = st.one_of(st.just(DEFAULT), st.none(), st.sampled_from(NUMBERS), short_texts)
senders = st.one_of(st.just(DEFAULT), st.none(), st.sampled_from(ADDRESSES), short_texts)
sids = st.one_of(st.just(DEFAULT), st.none(), st.sampled_from(SIDS), short_texts.filter(bool))
opt_out_types = st.one_of(st.none(), st.sampled_from(OPT_OUT_TYPES), short_texts)
junk_fields = st.dictionaries(
    st.one_of(st.sampled_from(JUNK_NAMES), st.text(ANY_CHAR, min_size=1, max_size=30)).filter(
        lambda name: name not in TWILIO_FIELDS - {"To", "AccountSid"}
    ),
    st.one_of(short_texts, big_texts.map(lambda text: text[:2000])),
    max_size=5,
)

# Bodies of any type.
CONTENT_TYPES = [
    None, "", "application/json", "application/json; charset=utf-8",
    "application/json; charset=latin-1", "application/vnd.api+json",
    "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-16",
    "multipart/form-data", "multipart/form-data; boundary=x", "text/plain", "text/xml",
    "application/octet-stream", "*/*", "json", "application/json; charset=\x00",
]  # fmt: skip
content_types = st.one_of(st.sampled_from(CONTENT_TYPES), header_texts)
RAW_BODIES = [
    b"", b"null", b"{", b"[", b'{"a":', b"\xff\xfe\x00", b"\x00" * 100, b"NaN", b"1e999",
    b'--x\r\nContent-Disposition: form-data; name="From"\r\n\r\n+1555\r\n--x--\r\n',
    b"From=%2B15551234567&Body=hi&MessageSid=SM1", b"%" * 100, b"&&&===&=&",
]  # fmt: skip
raw_bodies = st.one_of(
    st.binary(max_size=300),
    texts.map(lambda text: text.encode("utf-8")),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.sampled_from(RAW_BODIES),
    # Deep nesting: json.loads goes one level deeper into the stack per bracket.
    st.builds(
        lambda opener, depth: opener * depth,
        st.sampled_from([b"[", b'{"a":']),
        st.integers(1, 12_000),
    ),
    st.builds(lambda size: b"x" * size, st.integers(MAX_REQUEST_BYTES - 2, MAX_REQUEST_BYTES + 2)),
)


# --- checks -----------------------------------------------------------------------------------


def traceback_in(text: str) -> Optional[str]:
    """The first traceback in some log text, with what was logged just before it."""
    at = text.find("Traceback")
    return None if at < 0 else text[max(0, at - 400) : at + 4000]


class Logs:
    """What the stack's processes write to their logs (run_dir/<name>.log) from a point on."""

    def __init__(self, run_dir: Path) -> None:
        self.paths = sorted(run_dir.glob("*.log"))
        assert self.paths, f"no process logs in {run_dir}"
        self.start = {path: path.stat().st_size for path in self.paths}
        self.taken = dict(self.start)

    def _read(self, offsets: Dict[Path, int]) -> Dict[Path, bytes]:
        written = {}
        for path in self.paths:
            with path.open("rb") as log:
                log.seek(offsets[path])
                written[path] = log.read()
        return written

    @staticmethod
    def _text(written: Dict[Path, bytes]) -> str:
        return "".join(
            f"--- {path.name}\n" + data.decode("utf-8", errors="replace")
            for path, data in written.items()
            if data
        )

    def take(self) -> str:
        """What was logged since the last take (after each request, before any assertion)."""
        written = self._read(self.taken)
        for path, data in written.items():
            self.taken[path] += len(data)
        return self._text(written)

    def since_start(self) -> str:
        """Everything logged since this reader was made (the start of the test)."""
        return self._text(self._read(self.start))


@pytest.fixture
def logs(stack) -> Logs:
    return Logs(stack.run_dir)


@pytest.fixture
def db(stack) -> redis.Redis:
    return redis.Redis.from_url(stack.redis_url)


def check(response: requests.Response, what: Any, logs: Logs) -> str:
    """No 5xx, and no traceback in the answer or in what any process logged meanwhile."""
    logged = traceback_in(logs.take())
    body = response.text
    event(f"HTTP {response.status_code}")  # pytest --hypothesis-show-statistics
    assert response.status_code < 500, (
        f"{what!r} -> {response.status_code}\n{body[:2000]}\nlogged: {logged}"
    )
    for marker in TRACEBACK_MARKERS:
        assert marker not in body, f"{what!r}: a traceback in the answer\n{body[:3000]}"
    assert logged is None, f"{what!r} -> {response.status_code}; a traceback in a log:\n{logged}"
    return body


def check_json(response: requests.Response, what: Any, logs: Logs) -> Any:
    """A clean answer in JSON; returns it."""
    body = check(response, what, logs)
    content_type = response.headers.get("Content-Type", "")
    assert content_type.startswith("application/json"), (what, content_type, body[:500])
    try:
        return json.loads(body)
    except ValueError as error:
        raise AssertionError(f"{what!r}: not JSON ({error})\n{body[:2000]}") from error


def twiml_messages(twiml: str, what: Any) -> List[str]:
    """The <Message>s of a TwiML answer; fails when the answer is not TwiML."""
    try:
        root = ElementTree.fromstring(twiml)
    except ElementTree.ParseError as error:
        raise AssertionError(f"{what!r}: not XML ({error})\n{twiml[:2000]}") from error
    assert root.tag == "Response", twiml
    assert all(child.tag == "Message" for child in root), twiml
    return ["".join(message.itertext()) for message in root]


def reset_sms_state(db: redis.Redis, sender: Any = None, message_sid: Any = None) -> None:
    """Start the sender afresh: no count, no opt-out, no history, no earlier reply to this text.

    So no example is answered by the rate limit, by silence after a STOP or from memory, a hostile
    From that hypothesis draws again starts a new conversation, and a failing example does the
    same thing again when hypothesis replays it.
    """
    for pattern in (keys.sms_rate("*"), keys.sms_opted_out("*")):
        for key in db.scan_iter(match=pattern):
            db.delete(key)
    if isinstance(sender, str):
        vault = PhoneVault(SMS_ENV["PUENTE_SMS_HASH_KEY"], SMS_ENV["PUENTE_SMS_ENCRYPTION_KEY"], db)
        erase_conversation(db, vault.conversation_id(sender))
    if isinstance(message_sid, str):
        db.delete(keys.sms_inbound(message_sid))


def encoded_size(fields: Dict[str, str]) -> int:
    """The bytes of the form body requests sends for these fields."""
    return len(urllib.parse.urlencode(fields))


def set_fields(fields: Dict[str, str], values: Dict[str, Any]) -> Dict[str, str]:
    """`fields` with each of `values` set, left as it is (DEFAULT) or removed (None)."""
    fields = dict(fields)
    for name, value in values.items():
        if value is None:
            fields.pop(name, None)
        elif value is not DEFAULT:
            fields[name] = value
    return fields


def post_raw(url: str, body: bytes, content_type: Optional[str]) -> requests.Response:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return requests.post(url, data=body, headers=headers, timeout=HTTP_TIMEOUT)


def new_conversation(stack) -> str:
    response = requests.post(stack.web_url + "/api/chat/start", timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()["conversation_id"]


# --- SMS: Twilio-signed texts -----------------------------------------------------------------


def test_signed_texts_with_hostile_fields_are_answered_with_twiml(stack, phone_factory, db, logs):
    """Random Body, From, MessageSid, NumMedia, OptOutType and junk fields, correctly signed.

    Each example texts from a fresh number, or after the rate limit and opt-outs are reset, so
    every one reaches the real code, Rasa included. Then the logs of the whole fuzzing are read.
    """

    @fuzz(examples=150)
    @given(
        body=st.one_of(st.none(), texts),
        sender=senders,
        sid=sids,
        media=num_media,
        opt_out=opt_out_types,
        junk=junk_fields,
        retry=st.booleans(),
    )
    # Found: a NumMedia that is not a number raises in sms.answer(): the person gets the "cannot
    # answer right now" fallback instead of an answer, and web.log a traceback.
    @example(
        body="hi", sender=DEFAULT, sid=DEFAULT, media="abc", opt_out=None, junk={}, retry=False
    )
    def text(body, sender, sid, media, opt_out, junk, retry):
        phone = phone_factory()
        fields = set_fields(
            {**phone.fields(""), **junk},
            {
                "Body": body,
                "From": sender,
                "MessageSid": sid,
                "NumMedia": media,
                "OptOutType": opt_out,
            },
        )
        reset_sms_state(db, sender, sid)
        response = phone.post(fields)  # signed as Twilio signs it, for the public URL
        twiml = check(response, fields, logs)
        if encoded_size(fields) > MAX_REQUEST_BYTES:
            assert response.status_code == 413, (response.status_code, twiml[:500])
            return
        if not fields.get("From") or not fields.get("MessageSid"):
            assert response.status_code == 400, (response.status_code, twiml[:500])
            return
        assert response.status_code == 200, (fields, response.status_code, twiml[:500])
        assert response.headers["Content-Type"].startswith("application/xml")
        messages = twiml_messages(twiml, fields)
        assert len(messages) <= MAX_SMS_MESSAGES, messages
        # A text from a new conversation is always answered (a STOP too: it is confirmed).
        assert messages, fields
        if retry:  # Twilio retries: the same message gets the very same answer, once worked out
            again = phone.post(fields)
            assert check(again, ("retry", fields), logs) == twiml

    text()
    logged = traceback_in(logs.since_start())
    assert logged is None, f"a traceback in a log during the SMS fuzzing:\n{logged}"


# --- SMS: forged, unsigned and not-a-form requests --------------------------------------------

FORGERIES = [
    "none", "garbage", "local_url", "wrong_token", "other_fields", "truncated", "other_path",
    "http_scheme", "changed_case",
]  # fmt: skip
any_fields = st.dictionaries(
    st.one_of(
        st.sampled_from(sorted(TWILIO_FIELDS | {"MessageStatus"})),
        st.text(ANY_CHAR, min_size=1, max_size=20),
    ),
    short_texts,
    max_size=8,
)


def forged_signature(forgery: str, url: str, fields: Dict[str, str], garbage: str) -> str:
    """A signature that is not Twilio's for these fields at this URL ("" sends none)."""
    twilio = RequestValidator(SMS_AUTH_TOKEN)
    valid = twilio.compute_signature(url, fields)
    other_path = url[: -len("/status")] if url.endswith("/status") else url + "/status"
    local = url.replace(SMS_PUBLIC_URL, "http://127.0.0.1")
    changed = {**fields, "Body": fields.get("Body", "") + "!"}
    return {
        "none": "",
        "garbage": garbage or "x",
        "local_url": twilio.compute_signature(local, fields),
        "wrong_token": RequestValidator("not-the-auth-token").compute_signature(url, fields),
        "other_fields": twilio.compute_signature(url, changed),
        "truncated": valid[:-4],
        "other_path": twilio.compute_signature(other_path, fields),
        "http_scheme": twilio.compute_signature(url.replace("https://", "http://"), fields),
        "changed_case": valid.swapcase(),
    }[forgery]


@fuzz(examples=120)
@given(
    path=st.sampled_from(["/sms", "/sms/status"]),
    fields=any_fields,
    forgery=st.sampled_from(FORGERIES),
    garbage=header_texts,
)
def test_unsigned_and_forged_requests_are_refused(stack, logs, path, fields, forgery, garbage):
    signature = forged_signature(forgery, SMS_PUBLIC_URL + path, fields, garbage)
    assert signature != RequestValidator(SMS_AUTH_TOKEN).compute_signature(
        SMS_PUBLIC_URL + path, fields
    )
    response = Phone(stack.web_url, "+15550000000", path=path).post(fields, signature=signature)
    body = check(response, (path, fields, forgery), logs)
    expected = 413 if encoded_size(fields) > MAX_REQUEST_BYTES else 403
    assert response.status_code == expected, (forgery, response.status_code, body[:300])


@fuzz(examples=60)
@given(
    path=st.sampled_from(["/sms", "/sms/status"]),
    method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH"]),
    body=raw_bodies,
    content_type=content_types,
)
def test_signed_requests_that_are_not_forms_are_refused(
    stack, logs, path, method, body, content_type
):
    # Signed over no fields: what the endpoint sees when it reads no form from the body.
    signature = RequestValidator(SMS_AUTH_TOKEN).compute_signature(SMS_PUBLIC_URL + path, {})
    headers = {"X-Twilio-Signature": signature}
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = requests.request(
        method, stack.web_url + path, data=body, headers=headers, timeout=HTTP_TIMEOUT
    )
    what = (path, method, content_type, body[:200], len(body))
    text = check(response, what, logs)
    assert 400 <= response.status_code < 500, (what, response.status_code, text[:300])


# --- SMS: Twilio's delivery status callbacks --------------------------------------------------

STATUSES = ["queued", "sent", "delivered", "undelivered", "failed", "read", "", " ", "x" * 10_000]


@fuzz(examples=100)
@given(
    sid=st.one_of(st.just(DEFAULT), st.none(), st.sampled_from(SIDS), short_texts),
    status=st.one_of(st.none(), st.sampled_from(STATUSES), short_texts, big_texts),
    error_code=st.one_of(st.none(), st.sampled_from(NUMBERS), short_texts),
    junk=junk_fields,
)
def test_signed_status_callbacks_with_hostile_fields(stack, logs, sid, status, error_code, junk):
    phone = Phone(stack.web_url, "+15550000000", path="/sms/status")
    fields = set_fields(
        {**junk, "MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "0" * 32},
        {"MessageSid": sid, "MessageStatus": status, "ErrorCode": error_code},
    )
    response = phone.post(fields)
    body = check(response, fields, logs)
    if encoded_size(fields) > MAX_REQUEST_BYTES:
        assert response.status_code == 413, body[:300]
    elif not fields.get("MessageSid") or not fields.get("MessageStatus"):
        assert response.status_code == 400, body[:300]
    else:
        assert response.status_code == 204, (response.status_code, body[:300])


# --- the web chat's JSON API and page ---------------------------------------------------------

CONVERSATION_IDS = [
    "", "a" * 31, "a" * 33, "a" * 32, "-" * 32, "_" * 32, "a" * 32 + "\n", "\n" + "a" * 32,
    "é" * 32, "../../../../etc/passwd", "..%2F..%2F" + "a" * 22, "a" * 16 + "/" * 16,
    "a" * 31 + "\x00", "x" * 10_000, "*" * 32, "puente:tracker:" + "a" * 17,
    "sms-" + "0" * 28, "٣" * 32,
]  # fmt: skip
conversation_ids = st.one_of(
    st.just(DEFAULT), st.sampled_from(CONVERSATION_IDS), st.text(ANY_CHAR, max_size=40), json_values
)
language_values = st.one_of(
    st.none(),
    st.sampled_from(LANGUAGES + MACHINE_LANGUAGES + ["EN", "en-US", "xx", "", "../en"]),
    json_values,
)
chat_messages = st.fixed_dictionaries(
    {},
    optional={
        "conversation_id": conversation_ids,
        "text": st.one_of(texts, json_values),
        "language": language_values,
        "hint": language_values,
        "junk": json_values,
    },
)
# Well-formed but for what they say: each one reaches Rasa.
well_formed_messages = st.fixed_dictionaries(
    {"conversation_id": st.just(DEFAULT), "text": texts.filter(lambda text: len(text) < 1100)},
    optional={"language": language_values, "hint": language_values},
)
JSON_TYPES = ["application/json", "application/json; charset=utf-8", "application/vnd.api+json"]


@fuzz(examples=120)
@given(
    payload=st.one_of(well_formed_messages, chat_messages, json_values),
    content_type=st.sampled_from(JSON_TYPES),
    ascii_only=st.booleans(),
)
def test_chat_messages_with_hostile_json_get_a_json_answer(
    stack, db, logs, payload, content_type, ascii_only
):
    if isinstance(payload, dict) and payload.get("conversation_id") is DEFAULT:
        payload = {**payload, "conversation_id": new_conversation(stack)}
    elif isinstance(payload, dict) and isinstance(payload.get("conversation_id"), str):
        erase_conversation(db, payload["conversation_id"])  # drawn again: a new conversation
    body = json.dumps(payload, ensure_ascii=ascii_only).encode("utf-8")
    response = post_raw(stack.web_url + "/api/chat/message", body, content_type)
    answer = check_json(response, payload, logs)
    if len(body) > MAX_REQUEST_BYTES:
        assert response.status_code == 413, answer
    assert response.status_code in (200, 400, 413), (payload, response.status_code, answer)
    if response.status_code != 200:
        assert isinstance(answer.get("error"), str), answer
        return
    assert answer["language"] in LANGUAGES + MACHINE_LANGUAGES, answer
    assert answer["messages"] or answer["relayed"] or answer["deleted"], answer
    for message in answer["messages"]:
        assert isinstance(message["text"], str) and message["text"], answer
        assert isinstance(message["buttons"], list), answer


LONG_CONVERSATION_TURNS = 30


def test_a_long_conversation_is_still_answered(stack, chat_factory, content, logs):
    """Found by the SMS fuzz, as it shrank an example texting one hostile From many times.

    Rasa's own NLG posted the whole tracker to the content endpoint for every reply, ~3.4 KB more
    each turn: past MAX_REQUEST_BYTES (64 KB) the endpoint answered 413, and from then on every
    message got the "cannot answer right now" reply (turn 20 of "hi"). bot/nlg.py now sends only
    the response, its arguments and the language.
    """
    chat = chat_factory("en")
    fallback = content.ui_text("service_unavailable", "en")
    for turn in range(1, LONG_CONVERSATION_TURNS + 1):
        answer = chat.say("hi")
        logged = traceback_in(logs.take())
        texts = chat.texts(answer)
        assert logged is None, f"turn {turn}: a traceback in a log\n{logged}"
        assert texts and fallback not in texts, f"turn {turn}: {texts}"


API_PATHS = [
    "/api/chat/start", "/api/chat/message", "/nlg", "/dev/phone/send", "/dev/phone/outbox",
    "/console/sign-in",
]  # fmt: skip


@pytest.mark.parametrize("path", API_PATHS)
@fuzz(examples=40)
@given(body=raw_bodies, content_type=content_types)
# Found: JSON nested deeper than Python's recursion limit raises RecursionError in json.loads,
# which get_json(silent=True) does not catch (only ValueError): a 500 on every JSON endpoint.
@example(body=b"[" * 2000, content_type="application/json")
def test_raw_bodies_of_any_type_never_break_an_endpoint(stack, logs, path, body, content_type):
    response = post_raw(stack.web_url + path, body, content_type)
    what = (path, content_type, body[:300], len(body))
    if path == "/console/sign-in":
        check(response, what, logs)  # the form again, or an error page
    else:
        check_json(response, what, logs)


@fuzz(examples=100)
@given(
    conversation_id=st.one_of(
        st.just(DEFAULT), st.none(), st.sampled_from(CONVERSATION_IDS), short_texts
    ),
    after=st.one_of(
        st.none(),
        st.integers(-(2**70), 2**70).map(str),
        st.sampled_from(
            ["", "0", "00", "-0", "+1", " 1", "1.0", "1e3", "١", "²", "𝟙", "Ⅻ", "߀", "\x00",
             "9" * 19, "9" * 4300, "9" * 4301, "0" * 5000]
        ),
        short_texts,
    ),
)  # fmt: skip
# Found: str.isdigit() lets these through, then int() or Redis fails: a 500 each.
@example(conversation_id=DEFAULT, after="²")  # a digit int() does not read
@example(conversation_id=DEFAULT, after="9" * 19)  # past Redis's 64-bit list index
@example(conversation_id=DEFAULT, after="9" * 4301)  # past int()'s 4300 digits
def test_chat_updates_with_hostile_query_get_a_json_answer(stack, logs, conversation_id, after):
    values = {"conversation_id": conversation_id, "after": after}
    if conversation_id is DEFAULT:
        values["conversation_id"] = new_conversation(stack)
    params = {name: value for name, value in values.items() if value is not None}
    url = stack.web_url + "/api/chat/updates"
    response = requests.get(url, params=params, timeout=HTTP_TIMEOUT)
    answer = check_json(response, params, logs)
    assert response.status_code in (200, 400), (params, response.status_code, answer)
    if response.status_code == 200:
        assert isinstance(answer["messages"], list) and isinstance(answer["next"], int), answer


@fuzz(examples=60)
@given(
    language=st.one_of(
        st.sampled_from(LANGUAGES + MACHINE_LANGUAGES + ["EN", "..", "%2e%2e", "x" * 10_000]),
        st.text(ANY_CHAR, min_size=1, max_size=40),
    ),
    quoted=st.booleans(),
)
def test_chat_ui_strings_for_any_language_get_a_json_answer(stack, logs, language, quoted):
    segment = urllib.parse.quote(language, safe="") if quoted else language
    response = requests.get(f"{stack.web_url}/api/chat/ui/{segment}", timeout=HTTP_TIMEOUT)
    answer = check_json(response, language, logs)
    assert response.status_code in (200, 404), (language, response.status_code, answer)
    if response.status_code == 200:
        assert answer["language"] in LANGUAGES and isinstance(answer["strings"], dict), answer


ACCEPT_LANGUAGES = [
    "es", "zh-CN,zh;q=0.9", "*", "en;q=abc", "fr;q=1e999", "es;q=-1", "en;q=nan", ",,,;;;",
    "x" * 5000, "ne", "tl;q=0.5, vi;q=0.6",
]  # fmt: skip


@fuzz(examples=40)
@given(
    lang=st.one_of(st.none(), short_texts),
    accept=st.one_of(st.none(), st.sampled_from(ACCEPT_LANGUAGES), header_texts),
)
def test_the_chat_page_renders_for_any_language_preference(stack, logs, lang, accept):
    headers = {} if accept is None else {"Accept-Language": accept}
    params = {} if lang is None else {"lang": lang}
    url = stack.web_url + "/"
    response = requests.get(url, params=params, headers=headers, timeout=HTTP_TIMEOUT)
    page = check(response, (lang, accept), logs)
    assert response.status_code == 200 and "<html" in page.lower(), response.status_code


# --- the content (NLG) endpoint Rasa calls ----------------------------------------------------

metadata = st.one_of(st.fixed_dictionaries({}, optional={"language": language_values}), json_values)
events = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {"event": st.sampled_from(["user", "bot", "action", "slot"])},
            optional={"metadata": metadata, "text": short_texts},
        ),
        json_values,
    ),
    max_size=5,
)
# Placeholder values as the actions send them (content.py argument_text): hours, languages, and
# {ui text name: value} dicts; and anything else JSON holds.
UI_NAMES = sorted(yaml.safe_load((REPO / "content" / "en" / "ui.yml").read_text())["ui"])
PLACEHOLDERS = [
    "provider_name", "provider_hours", "provider_languages", "provider_contact", "goal_number",
    "goal_count", "goal_text", "number", "title", "opens_at", "value", "org_name",
]  # fmt: skip
HOURS = [
    "24/7", "unknown", "mon-fri 09:00-17:00", "daily 08:00-20:00", "sat 10:00-14:00", "MON-FRI",
    "mon-fri", "", " ", "weekdays 9-5", "lunes 9-5", "9-5", "mon-sun", "é",
]  # fmt: skip
argument_values = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"hours": st.one_of(st.lists(st.one_of(st.sampled_from(HOURS), short_texts)), json_values)}
    ),
    st.fixed_dictionaries(
        {
            "languages": st.one_of(
                st.lists(st.one_of(st.sampled_from(LANGUAGES + ["xx", ""]), short_texts)),
                json_values,
            )
        }
    ),
    st.dictionaries(st.one_of(st.sampled_from(UI_NAMES), short_texts), json_values, max_size=3),
)
nlg_requests = st.fixed_dictionaries(
    {},
    optional={
        "response": st.one_of(st.sampled_from(RESPONSE_NAMES), short_texts, json_values),
        "arguments": st.one_of(
            st.dictionaries(
                st.one_of(st.sampled_from(PLACEHOLDERS), short_texts), argument_values, max_size=4
            ),
            json_values,
        ),
        "tracker": st.one_of(
            st.fixed_dictionaries({}, optional={"events": st.one_of(events, json_values)}),
            json_values,
        ),
        "channel": st.one_of(st.fixed_dictionaries({"name": short_texts}), json_values),
    },
)


@fuzz(examples=150)
@given(payload=st.one_of(nlg_requests, nlg_requests, json_values))
# Found: nlg.generate() calls .get() on whatever the JSON holds: a 500 for each of these.
@example(payload=[0])
@example(payload={"response": "utter_greet", "tracker": {"events": [0]}})
@example(
    payload={"response": "utter_greet", "tracker": {"events": [{"event": "user", "metadata": [0]}]}}
)
@example(payload={"response": "utter_greet", "arguments": [0]})
# Found: a dict placeholder value is rendered as {ui text name: value} (content.py labelled), or
# as hours or languages; any other shape raises KeyError or TypeError: a 500.
@example(payload={"response": "utter_greet", "arguments": {"x": {"nope": 0}}})
@example(payload={"response": "utter_greet", "arguments": {"x": {"hours": None}}})
@example(payload={"response": "utter_greet", "arguments": {"x": {"hours": ["lunes 9-5"]}}})
@example(payload={"response": "utter_greet", "arguments": {"x": {"languages": [0]}}})
def test_the_content_endpoint_answers_any_json_with_a_text(stack, logs, payload):
    response = post_raw(stack.nlg_url + "/nlg", json.dumps(payload).encode(), "application/json")
    answer = check_json(response, payload, logs)
    assert response.status_code == 200, (payload, response.status_code, answer)
    assert isinstance(answer["text"], str) and answer["text"], answer
    assert isinstance(answer.get("buttons", []), list), answer


# --- the development phone (it texts the SMS endpoint, signed) --------------------------------

simulator_requests = st.fixed_dictionaries(
    {},
    optional={
        "from": st.one_of(st.just(DEFAULT), st.sampled_from(ADDRESSES), json_values),
        "body": st.one_of(texts.map(lambda text: text[:2100]), json_values),
        "media": st.one_of(st.booleans(), json_values),
    },
)


@fuzz(examples=50)
@given(
    path=st.sampled_from(["/dev/phone/send", "/dev/phone/outbox"]),
    payload=st.one_of(simulator_requests, json_values),
)
def test_the_development_phone_with_hostile_json(stack, db, logs, path, payload):
    if isinstance(payload, dict) and payload.get("from") is DEFAULT:
        payload = {**payload, "from": "+1555" + str(uuid.uuid4().int)[:7]}
    reset_sms_state(db, payload.get("from") if isinstance(payload, dict) else None)
    response = post_raw(stack.web_url + path, json.dumps(payload).encode(), "application/json")
    answer = check_json(response, (path, payload), logs)
    assert response.status_code in (200, 400), (payload, response.status_code, answer)
    if path == "/dev/phone/send" and response.status_code == 200:
        # What the SMS endpoint answered the simulator's signed text.
        assert answer["status"] == 200, answer
        for marker in TRACEBACK_MARKERS:
            assert marker not in answer["twiml"], answer
        assert twiml_messages(answer["twiml"], payload) == answer["messages"], answer
        assert answer["messages"], answer  # the sender starts afresh: always answered


# --- the console's sign-in form ---------------------------------------------------------------

sign_in_fields = st.fixed_dictionaries(
    {},
    optional={
        "username": st.one_of(
            st.sampled_from(["admin", "dev", "ADMIN ", "a" * 40, "a" * 41, "\x00", "'--", "é"]),
            short_texts,
            big_texts.map(lambda text: text[:3000]),
            json_values,
        ),
        "password": st.one_of(
            st.sampled_from(["a" * 200, "a" * 201]),
            short_texts,
            big_texts.map(lambda text: text[:3000]),
            json_values,
        ),
        "csrf_token": st.one_of(st.just(DEFAULT), short_texts),
        "remember": short_texts,
        "next": st.sampled_from(["https://evil.example", "//evil.example", "/console/"]),
    },
)


def forget_failed_sign_ins(db: redis.Redis) -> None:
    """Clear the sign-in throttle (the stack's console tests sign in from this same address)."""
    for key in db.scan_iter(match=keys.failed_sign_ins("*", "*")):
        db.delete(key)


@fuzz(examples=80)
@given(
    fields=st.one_of(sign_in_fields, sign_in_fields, json_values),
    as_json=st.booleans(),
    token_header=st.booleans(),
)
# Found: a JSON body with the CSRF token in its header (Flask-WTF accepts both) reaches
# SignInForm, which reads any JSON as form data: a 500 for a JSON array, or a number for a name.
@example(fields=[0], as_json=True, token_header=True)
@example(fields={"username": 0, "password": "x"}, as_json=True, token_header=True)
def test_the_console_sign_in_refuses_hostile_forms(stack, db, logs, fields, as_json, token_header):
    """Junk names and passwords, with or without the CSRF token, as a form or as JSON."""
    session = requests.Session()
    url = stack.web_url + "/console/sign-in"
    page = session.get(url, timeout=HTTP_TIMEOUT)
    assert page.status_code == 200
    token = csrf_token(page.text)
    if isinstance(fields, dict) and fields.get("csrf_token") is DEFAULT:
        fields = {**fields, "csrf_token": token}
    headers = {"X-CSRFToken": token} if token_header else {}
    if as_json or not isinstance(fields, dict):
        body = json.dumps(fields).encode()
        headers["Content-Type"] = "application/json"
    else:
        as_text = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
        body = urllib.parse.urlencode(as_text).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    forget_failed_sign_ins(db)  # every example gets past the throttle, to the password check
    try:
        response = session.post(
            url, data=body, headers=headers, timeout=HTTP_TIMEOUT, allow_redirects=False
        )
        answer = check(response, (fields, headers), logs)
    finally:
        forget_failed_sign_ins(db)
    if len(body) > MAX_REQUEST_BYTES:
        assert response.status_code == 413, response.status_code
        return
    # Never signed in (no account has these names): refused, or the form again with why.
    assert response.status_code in (400, 401, 429), (fields, response.status_code, answer[:500])
    if response.status_code in (401, 429):
        assert 'name="password"' in answer, answer[:1000]
