"""Figures for the README and the closing notes: train and load time, start-up, memory, latency.

Usage: python -m scripts.bench   (make bench)
"""

from __future__ import annotations

import secrets
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

import psutil
import requests
from twilio.request_validator import RequestValidator

from bot.sealing import new_key
from scripts.model import PROJECT_ARGS, REPO, ensure_model, rasa_command, rasa_env
from scripts.stack import Stack

MESSAGES = [
    "hi",
    "my boss took my passport",
    "mi patron tiene mi pasaporte",
    "they said ill be deported if i talk",
    "que es la visa T",
    "no me han pagado en dos meses",
    "who reads this",
    "thanks",
]
ROUNDS = 25


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def train_from_scratch() -> float:
    """Seconds to train the model with no cache, into a throwaway folder."""
    with tempfile.TemporaryDirectory() as out:
        _, seconds = timed(
            lambda: subprocess.run(
                [
                    rasa_command(),
                    "train",
                    *PROJECT_ARGS,
                    "--out",
                    out,
                    "--force",
                    "--quiet",
                ],
                cwd=REPO,
                env=rasa_env(),
                check=True,
                capture_output=True,
            )
        )
    return seconds


def load_seconds(model: Path) -> float:
    """Seconds to load the model in a fresh Python process (imports included)."""
    code = (
        "import time; t = time.perf_counter(); from rasa.core.agent import Agent; "
        f"Agent.load({str(model)!r}); print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [str(Path(rasa_command()).parent / "python"), "-c", code],
        cwd=REPO,
        env=rasa_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children."""
    process = psutil.Process(pid)
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        total += child.memory_info().rss
    return total / 2**20


def latencies(send: Callable[[requests.Session, int, int, str], requests.Response]) -> list:
    """Milliseconds per request over ROUNDS passes of MESSAGES."""
    session = requests.Session()
    results = []
    for round_number in range(ROUNDS):
        for index, text in enumerate(MESSAGES):
            started = time.perf_counter()
            response = send(session, round_number, index, text)
            response.raise_for_status()
            results.append((time.perf_counter() - started) * 1000)
    return results


def bench_sms_env() -> dict:
    """The SMS channel with throwaway secrets, and no rate limit in the way of 200 messages."""
    return {
        "TWILIO_AUTH_TOKEN": "bench-" + secrets.token_hex(8),
        "PUENTE_SMS_HASH_KEY": secrets.token_hex(32),
        "PUENTE_SMS_ENCRYPTION_KEY": new_key(),
        "PUENTE_DATA_KEYS": new_key(),
        "PUENTE_SMS_RATE_LIMIT": "100000",
    }


def sms_sender(stack: Stack) -> Callable[[requests.Session, int, int, str], requests.Response]:
    """Posts a Twilio-signed text, as Twilio would, from one number per round and pair."""
    url = f"{stack.web_url}/sms"

    def send(session: requests.Session, round_number: int, index: int, text: str):
        fields = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "From": f"+1555{round_number:05d}{index % 2}",
            "To": "+15550001111",
            "Body": text,
            "NumMedia": "0",
        }
        signature = RequestValidator(stack.extra_env["TWILIO_AUTH_TOKEN"]).compute_signature(
            url, fields
        )
        return session.post(url, data=fields, headers={"X-Twilio-Signature": signature}, timeout=30)

    return send


def describe(values: list) -> str:
    ordered = sorted(values)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms (n={len(ordered)})"


def language_figures() -> None:
    """Detection latency per message, and translation latency with a tiny real argos model."""
    from tests.argos_tiny import build_tiny_model
    from webhook.content import load_catalog
    from webhook.language import Detector
    from webhook.translator import Translator

    languages = load_catalog(REPO / "content").languages
    detector = Detector(languages)
    samples = [
        line
        for path in sorted((REPO / "tests" / "language").glob("detect_*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    timings = []
    for text in samples * 10:
        _, seconds = timed(lambda text=text: detector.detect(text))
        timings.append(seconds * 1000)
    print(f"language detection ({len(languages)} languages): {describe(timings)}")
    with tempfile.TemporaryDirectory() as scratch:
        translator = Translator(Path(scratch) / "packages")
        translator.install(build_tiny_model(Path(scratch), "ne", "en", "my boss took my passport"))
        timings = []
        for index, text in enumerate(samples):
            # A new text each time: the cache would otherwise answer in microseconds.
            _, seconds = timed(lambda t=f"{text} {index}": translator.translate(t, "en", "ne"))
            timings.append(seconds * 1000)
        print(f"translation, tiny argos model, uncached: {describe(timings)}")


def main() -> None:
    language_figures()
    print(f"train from scratch: {train_from_scratch():.1f} s")
    model = ensure_model()
    print(f"model load (fresh process, imports included): {load_seconds(model):.1f} s")
    stack = Stack(model=model, extra_env=bench_sms_env())
    _, ready = timed(stack.start)
    try:
        print(f"whole stack ready (all processes started and answering): {ready:.1f} s")
        web_ids = {}

        def web_body(round_number, index, text):
            key = (round_number, index % 2)
            if key not in web_ids:
                web_ids[key] = requests.post(f"{stack.web_url}/api/chat/start", timeout=5).json()[
                    "conversation_id"
                ]
            return {"conversation_id": web_ids[key], "text": text}

        web = latencies(
            lambda s, r, i, text: s.post(
                f"{stack.web_url}/api/chat/message", json=web_body(r, i, text), timeout=30
            )
        )
        sms = latencies(sms_sender(stack))
        bare = latencies(
            lambda s, r, i, text: s.post(
                f"{stack.rasa_url}/webhooks/rest/webhook",
                json={"sender": f"bench-{r}-{i % 2}", "message": text},
                timeout=30,
            )
        )
        print(f"web chat turn: {describe(web)}")
        print(f"SMS turn (Twilio-signed form post, TwiML answer): {describe(sms)}")
        print(f"Rasa REST webhook alone (same messages): {describe(bare)}")
        for name, service in stack.services.items():
            print(f"memory {name}: {rss_mib(service.process.pid):.0f} MiB")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
