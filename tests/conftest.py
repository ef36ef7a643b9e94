"""Fixtures: a real Redis, the trained model, the whole stack on loopback, Flask clients."""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional
from xml.etree import ElementTree

import pytest
import redis
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families
from twilio.request_validator import RequestValidator

from bot.sealing import Sealer
from scripts.model import REPO, ensure_model
from scripts.stack import Stack, free_port, redis_ok, redis_server_binary
from webhook import create_app
from webhook.content import ContentStore, fill

# The SMS channel as a deployment behind a proxy would have it: Twilio signs the public URL.
SMS_AUTH_TOKEN = "test-auth-token-" + "0" * 16
SMS_PUBLIC_URL = "https://puente.example.org"
SMS_RATE_LIMIT = 12
SMS_ENV = {
    "TWILIO_AUTH_TOKEN": SMS_AUTH_TOKEN,
    "PUENTE_PUBLIC_URL": SMS_PUBLIC_URL,
    "PUENTE_SMS_HASH_KEY": "test-hash-key-" + "1" * 32,
    "PUENTE_SMS_ENCRYPTION_KEY": "dGVzdC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcyEhISE=",
    "PUENTE_SMS_RATE_LIMIT": str(SMS_RATE_LIMIT),
    "PUENTE_SMS_SIMULATOR": "1",
}
# Encrypts conversation text at rest in every process (bot/sealing.py); tests open it with SEALER.
DATA_KEY = "dGVzdC1kYXRhLWtleS1mb3ItcHVlbnRlLXRlc3RzISE="
DATA_ENV = {"PUENTE_DATA_KEYS": DATA_KEY}
SEALER = Sealer(DATA_KEY)
# Fictional local providers (never used unless PUENTE_DIRECTORY_FILE names them).
EXAMPLE_DIRECTORY = REPO / "content" / "directory" / "example_local.csv"
NEUTRAL_PAGE = b"<!doctype html><html lang='en'><title>Weather</title><h1>Weather today</h1></html>"
HTTP_TIMEOUT = 30


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free loopback port, for this test session only."""
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="puente-redis-")
    process = subprocess.Popen(
        [
            redis_server_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    ready = redis_ok(url)
    for _ in range(200):
        if ready():
            break
        threading.Event().wait(0.05)
    else:
        process.kill()
        pytest.fail("redis-server did not start")
    yield url
    process.terminate()
    process.wait(10)
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client on the session's Redis, emptied after each test."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.flushdb()


@pytest.fixture
def db(redis_url: str) -> Iterator[redis.Redis]:
    """The session's Redis, empty at the start and the end of the test."""
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    yield connection
    connection.flushdb()


HANDOFF_TTL = 3600


@pytest.fixture
def handoffs(db: redis.Redis):
    """Handoff tickets in the emptied Redis, kept an hour."""
    from webhook.handoff import Handoffs

    return Handoffs(db, HANDOFF_TTL, SEALER)


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The Rasa model trained from the repository's data (trained now if the data changed)."""
    return ensure_model()


class NeutralSite:
    """A stand-in for the neutral site Quick Exit opens, served from another port."""

    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(NEUTRAL_PAGE)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/weather"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


class FakeRasa:
    """A stand-in for Rasa's REST webhook: one fixed answer after `delay` seconds; counts calls."""

    ANSWER = "The answer that took its time."

    def __init__(self, delay: float = 0.0) -> None:
        answer = json.dumps([{"recipient_id": "x", "text": self.ANSWER}]).encode()
        self.calls = 0
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                self.rfile.read(int(self.headers["Content-Length"]))
                fake.calls += 1
                time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def neutral_site() -> Iterator[NeutralSite]:
    site = NeutralSite()
    yield site
    site.close()


# Tiny real translation models (tests/argos_tiny.py): Nepali has no written texts in Puente, so a
# Nepali message goes through them. Each model always outputs its one sentence.
MACHINE_LANGUAGE = "ne"
MACHINE_TO_ENGLISH = "my boss took my passport"
MACHINE_FROM_ENGLISH = "यो स्वचालित अनुवाद हो"


@pytest.fixture(scope="session")
def translation_dir(tmp_path_factory) -> Path:
    """A translation models folder with ne->en and en->ne tiny models installed."""
    from tests.argos_tiny import build_tiny_model
    from webhook.translator import install_model

    root = tmp_path_factory.mktemp("translation")
    packages, built = root / "packages", root / "built"
    for source, target, sentence in (
        (MACHINE_LANGUAGE, "en", MACHINE_TO_ENGLISH),
        ("en", MACHINE_LANGUAGE, MACHINE_FROM_ENGLISH),
    ):
        install_model(build_tiny_model(built, source, target, sentence), packages)
    return packages


@pytest.fixture(scope="session")
def stack(
    model_path: Path, redis_url: str, neutral_site: NeutralSite, translation_dir: Path
) -> Iterator[Stack]:
    """Rasa, the action server, the content endpoint and the web chat as separate processes."""
    run_dir = Path(tempfile.mkdtemp(prefix="puente-stack-"))
    the_stack = Stack(
        redis_url=redis_url,
        run_dir=run_dir,
        model=model_path,
        extra_env={
            "PUENTE_QUICK_EXIT_URL": neutral_site.url,
            "PUENTE_ORG_NAME": "Test Org",
            "PUENTE_TRANSLATION_DIR": str(translation_dir),
            "PUENTE_DIRECTORY_FILE": str(EXAMPLE_DIRECTORY),
            "PUENTE_OFFICE_HOURS": "24/7",  # after-hours answers: tests/test_handoff.py
            "PUENTE_SECURE_COOKIES": "0",  # the console over plain HTTP on loopback
            **SMS_ENV,
            **DATA_ENV,
        },
    )
    the_stack.start()
    yield the_stack
    the_stack.stop()
    if os.environ.get("PUENTE_KEEP_LOGS") is None:
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    """The domain as the action server receives it: domain.yml as a dict."""
    return yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def content() -> ContentStore:
    """Every text in content/, as the running stack serves it."""
    return ContentStore(REPO / "content", org_name="Test Org")


def stored_values(connection: redis.Redis, key: bytes) -> Iterator[bytes]:
    """Every stored byte string of one key, whatever its type."""
    kind = connection.type(key).decode()
    if kind == "string":
        yield connection.get(key) or b""
    elif kind == "hash":
        for field, value in connection.hgetall(key).items():
            yield field
            yield value
    elif kind == "list":
        yield from connection.lrange(key, 0, -1)
    elif kind == "set":
        yield from connection.smembers(key)
    elif kind == "zset":
        yield from connection.zrange(key, 0, -1)
    elif kind == "stream":
        for _, entry in connection.xrange(key):
            for field, value in entry.items():
                yield field
                yield value


def privacy_notice(content: ContentStore, language: str) -> str:
    """What Puente says first to a conversation it does not know, before anything else."""
    return content.ui_text("privacy_notice", language)


def text_of(content: ContentStore, name: str, language: str, **values: Any) -> str:
    """A response's text in a language, filled as Puente sends it."""
    return fill(content.response(name, language)["text"], values)


class Chat:
    """A person using the web chat through its JSON endpoints; what was said is kept in order."""

    def __init__(self, base_url: str, hint: str = "en") -> None:
        self.base_url = base_url
        self.hint = hint
        self.conversation_id = requests.post(
            f"{base_url}/api/chat/start", timeout=HTTP_TIMEOUT
        ).json()["conversation_id"]
        self.language = hint
        self.transcript: List[Dict[str, Any]] = []  # {"persona": text, "Puente": [texts]}

    def say(self, text: str, language: Optional[str] = None) -> Dict[str, Any]:
        """Send one message; return the JSON answer (language, messages)."""
        response = requests.post(
            f"{self.base_url}/api/chat/message",
            json={
                "conversation_id": self.conversation_id,
                "text": text,
                "language": language,
                "hint": self.hint,
            },
            timeout=HTTP_TIMEOUT,
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        self.language = answer["language"]
        self.transcript.append({"persona": text, "Puente": self.texts(answer)})
        return answer

    @staticmethod
    def texts(answer: Dict[str, Any]) -> List[str]:
        return [message["text"] for message in answer["messages"]]


class Phone:
    """A phone texting Puente through Twilio: each text is a signed form POST, as Twilio sends."""

    def __init__(self, web_url: str, number: str, path: str = "/sms") -> None:
        self.web_url = web_url
        self.number = number
        self.path = path
        self.sent = 0

    def post(
        self, fields: Dict[str, str], url: Optional[str] = None, signature: Optional[str] = None
    ) -> requests.Response:
        """POST the fields to the SMS endpoint, signed for `url` (default: the public URL)."""
        signed_url = url or f"{SMS_PUBLIC_URL}{self.path}"
        if signature is None:
            signature = RequestValidator(SMS_AUTH_TOKEN).compute_signature(signed_url, fields)
        headers = {"X-Twilio-Signature": signature} if signature else {}
        return requests.post(
            f"{self.web_url}{self.path}", data=fields, headers=headers, timeout=HTTP_TIMEOUT
        )

    def fields(self, body: str, media: int = 0, sid: Optional[str] = None) -> Dict[str, str]:
        """Twilio's inbound message fields for one text from this phone."""
        self.sent += 1
        fields = {
            "MessageSid": sid or "SM" + uuid.uuid4().hex,
            "AccountSid": "AC" + "0" * 32,
            "From": self.number,
            "To": "+15550001111",
            "Body": body,
            "NumMedia": str(media),
            "NumSegments": "1",
        }
        for index in range(media):
            fields[f"MediaUrl{index}"] = f"https://api.twilio.com/media/ME{index}"
            fields[f"MediaContentType{index}"] = "image/jpeg"
        return fields

    def text(self, body: str, media: int = 0, sid: Optional[str] = None) -> List[str]:
        """Send a text; return the texts Puente answers with (the TwiML's messages)."""
        response = self.post(self.fields(body, media, sid))
        assert response.status_code == 200, (response.status_code, response.text)
        return twiml_messages(response.text)


def twiml_messages(twiml: str) -> List[str]:
    """The bodies of the <Message> elements of a TwiML answer."""
    root = ElementTree.fromstring(twiml)
    assert root.tag == "Response", twiml
    return [message.text or "" for message in root.iter("Message")]


def phones_for(stack: Stack) -> Callable[..., Phone]:
    """A maker of new phones (each a fresh random number) texting `stack`."""

    def make(prefix: str = "+1555") -> Phone:
        return Phone(stack.web_url, prefix + str(uuid.uuid4().int)[:7])

    return make


@pytest.fixture
def phone_factory(stack: Stack):
    """A new phone (a fresh random number) texting the running stack."""
    return phones_for(stack)


@pytest.fixture
def chat_factory(stack: Stack):
    """Start a new web chat conversation against the running stack."""

    def make(hint: str = "en") -> Chat:
        return Chat(stack.web_url, hint)

    return make


def app_config(redis_url: str, tmp_path: Path, **extra: Any) -> Dict[str, Any]:
    """Settings of a test app: a private copy of content/, no Rasa behind it, plus `extra`."""
    content = tmp_path / "content"
    if not content.exists():
        shutil.copytree(REPO / "content", content)
    return {
        "TESTING": True,
        "REDIS_URL": redis_url,
        "CONTENT_DIR": str(content),
        "CONTENT_RELOAD_SECONDS": 0,
        "RASA_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "RASA_TIMEOUT_SECONDS": 2,
        "ORG_NAME": "Test Org",
        "TRANSLATION_DIR": "",  # no models: a developer's installed ones must not change tests
        "DATA_KEYS": DATA_KEY,
        **extra,
    }


# The SMS channel's settings for a test app (the stack gets the same through SMS_ENV).
SMS_APP_CONFIG = {
    "TWILIO_AUTH_TOKEN": SMS_AUTH_TOKEN,
    "PUBLIC_URL": SMS_PUBLIC_URL,
    "SMS_HASH_KEY": SMS_ENV["PUENTE_SMS_HASH_KEY"],
    "SMS_ENCRYPTION_KEY": SMS_ENV["PUENTE_SMS_ENCRYPTION_KEY"],
}


@pytest.fixture
def app(redis_url: str, tmp_path: Path):
    """The web app with a private copy of content/ and no Rasa behind it."""
    return create_app(app_config(redis_url, tmp_path))


@pytest.fixture
def client(app):
    return app.test_client()


_SUMMARY: List[str] = []


@pytest.fixture
def record_summary():
    """Add a line to the figures printed at the end of the test run."""
    return _SUMMARY.append


# The advocate console: accounts, and a client signed in through the real form (flaskr's `auth`).
CONSOLE_PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token a console page put in its forms."""
    found = CSRF_FIELD.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def make_account(redis_url: str, username: str, role: str = "advocate", languages=("en",)):
    """A console account in the given Redis."""
    from webhook.accounts import Accounts

    connection = redis.Redis.from_url(redis_url)
    return Accounts(connection).create(username, CONSOLE_PASSWORD, role, list(languages), username)


class ConsoleClient:
    """A Flask test client that signs in and posts console forms with their CSRF token."""

    def __init__(self, client) -> None:
        self.client = client

    def sign_in(self, username: str, password: str = CONSOLE_PASSWORD):
        token = csrf_token(self.client.get("/console/sign-in").get_data(as_text=True))
        return self.client.post(
            "/console/sign-in",
            data={"username": username, "password": password, "csrf_token": token},
        )

    def post(self, path: str, page: str, **fields: str):
        """Open `page`, then post its form to `path` with the page's CSRF token."""
        token = csrf_token(self.client.get(page).get_data(as_text=True))
        return self.client.post(path, data={**fields, "csrf_token": token})


@pytest.fixture
def console_app(redis_url: str, tmp_path: Path, translation_dir: Path):
    """The web app over plain HTTP (test client), with the tiny translation models; no Rasa."""
    return create_app(
        app_config(
            redis_url,
            tmp_path,
            SESSION_COOKIE_SECURE=False,
            TRANSLATION_DIR=str(translation_dir),
        )
    )


@pytest.fixture
def console_factory(console_app):
    """A new browser-like client of the console (its own cookies)."""
    return lambda: ConsoleClient(console_app.test_client())


# Faults injected into a running stack (tests/test_faults.py, tests/test_scale.py): one line each,
# printed after the run even when every test passed, so a reader sees what was survived.
_FAULTS: List[str] = []


@pytest.fixture(scope="session")
def fault_report():
    """Add a line ("FAULT what was injected: what the texter got") to the "faults injected" list."""
    return _FAULTS.append


def pytest_terminal_summary(terminalreporter) -> None:
    """The figures and the faults survived, after the run, passed or not."""
    for title, lines in (("Puente figures", _SUMMARY), ("faults injected", _FAULTS)):
        if lines:
            terminalreporter.section(title)
            for line in lines:
                terminalreporter.write_line(line)


def own_stack(
    model: Path, prefix: str, extra_env: Optional[Dict[str, str]] = None, **options: Any
) -> Iterator[Stack]:
    """A whole stack with a Redis of its own, for tests that stop, kill or multiply processes
    (never the session's `stack`, which other tests share): a fixture does `yield from` it.
    `options` go to Stack."""
    run_dir = Path(tempfile.mkdtemp(prefix=prefix))
    the_stack = Stack(
        run_dir=run_dir,
        model=model,
        extra_env={
            "PUENTE_ORG_NAME": "Test Org",
            "PUENTE_OFFICE_HOURS": "24/7",
            "PUENTE_TRANSLATION_DIR": "",  # a developer's installed models must not change tests
            **SMS_ENV,
            **DATA_ENV,
            **(extra_env or {}),
        },
        **options,
    )
    the_stack.start()
    try:
        yield the_stack
    finally:
        the_stack.stop()
        if os.environ.get("PUENTE_KEEP_LOGS") is None:
            shutil.rmtree(run_dir, ignore_errors=True)


def sms_conversation(number: str) -> str:
    """The conversation id the web layer gives a phone number (webhook/phones.py)."""
    from webhook.phones import PhoneVault

    vault = PhoneVault(SMS_ENV["PUENTE_SMS_HASH_KEY"], SMS_ENV["PUENTE_SMS_ENCRYPTION_KEY"], None)
    return vault.conversation_id(number)


def tracker_events(connection: redis.Redis, conversation_id: str) -> List[Dict[str, Any]]:
    """The events of Rasa's tracker of a conversation, as Rasa keeps it in Redis (bot/stores.py)."""
    from webhook import keys

    stored = connection.get(keys.rasa_tracker(conversation_id))
    return SEALER.open_json(stored)["events"] if stored is not None else []


def tracker_user_texts(connection: redis.Redis, conversation_id: str) -> List[str]:
    """What Rasa's tracker says the person wrote, in order."""
    return [e["text"] for e in tracker_events(connection, conversation_id) if e["event"] == "user"]


def sms_turns(stack: Stack) -> float:
    """SMS messages the web layer handled, all workers together (Prometheus puente_turns_total)."""
    text = requests.get(f"{stack.web_url}/metrics", timeout=HTTP_TIMEOUT).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "puente_turns_total" and sample.labels.get("channel") == "sms"
    )
