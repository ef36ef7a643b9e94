"""Fixtures: a real Redis, the trained model, the whole stack on loopback, Flask clients."""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import redis
import requests

from scripts.model import REPO, ensure_model
from scripts.stack import Stack, free_port, redis_ok, redis_server_binary
from webhook import create_app

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


@pytest.fixture(scope="session")
def neutral_site() -> Iterator[NeutralSite]:
    site = NeutralSite()
    yield site
    site.close()


@pytest.fixture(scope="session")
def stack(model_path: Path, redis_url: str, neutral_site: NeutralSite) -> Iterator[Stack]:
    """Rasa, the action server, the content endpoint and the web chat as separate processes."""
    run_dir = Path(tempfile.mkdtemp(prefix="puente-stack-"))
    the_stack = Stack(
        redis_url=redis_url,
        run_dir=run_dir,
        model=model_path,
        extra_env={"PUENTE_QUICK_EXIT_URL": neutral_site.url, "PUENTE_ORG_NAME": "Test Org"},
    )
    the_stack.start()
    yield the_stack
    the_stack.stop()
    if os.environ.get("PUENTE_KEEP_LOGS") is None:
        shutil.rmtree(run_dir, ignore_errors=True)


class Chat:
    """A person using the web chat through its JSON endpoints."""

    def __init__(self, base_url: str, hint: str = "en") -> None:
        self.base_url = base_url
        self.hint = hint
        self.conversation_id = requests.post(
            f"{base_url}/api/chat/start", timeout=HTTP_TIMEOUT
        ).json()["conversation_id"]
        self.language = hint

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
        return answer

    @staticmethod
    def texts(answer: Dict[str, Any]) -> List[str]:
        return [message["text"] for message in answer["messages"]]


@pytest.fixture
def chat_factory(stack: Stack):
    """Start a new web chat conversation against the running stack."""

    def make(hint: str = "en") -> Chat:
        return Chat(stack.web_url, hint)

    return make


@pytest.fixture
def app(redis_url: str, tmp_path: Path):
    """The web app with a private copy of content/ and no Rasa behind it."""
    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    return create_app(
        {
            "TESTING": True,
            "REDIS_URL": redis_url,
            "CONTENT_DIR": str(content),
            "CONTENT_RELOAD_SECONDS": 0,
            "RASA_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
            "RASA_TIMEOUT_SECONDS": 2,
            "ORG_NAME": "Test Org",
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


_SUMMARY: List[str] = []


@pytest.fixture
def record_summary():
    """Add a line to the figures printed at the end of the test run."""
    return _SUMMARY.append


def pytest_terminal_summary(terminalreporter) -> None:
    if _SUMMARY:
        terminalreporter.section("Puente figures")
        for line in _SUMMARY:
            terminalreporter.write_line(line)
