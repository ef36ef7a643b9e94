"""Figures for the README and the closing notes: train and load time, start-up, memory, latency.

Usage: python -m scripts.bench   (make bench)
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import requests

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


def latencies(url: str, body) -> list:
    """Milliseconds per request over ROUNDS passes of MESSAGES."""
    session = requests.Session()
    results = []
    for round_number in range(ROUNDS):
        for index, text in enumerate(MESSAGES):
            started = time.perf_counter()
            response = session.post(url, json=body(round_number, index, text), timeout=30)
            response.raise_for_status()
            results.append((time.perf_counter() - started) * 1000)
    return results


def describe(values: list) -> str:
    ordered = sorted(values)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms (n={len(ordered)})"


def main() -> None:
    print(f"train from scratch: {train_from_scratch():.1f} s")
    model = ensure_model()
    print(f"model load (fresh process, imports included): {load_seconds(model):.1f} s")
    stack = Stack(model=model)
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

        web = latencies(f"{stack.web_url}/api/chat/message", web_body)
        bare = latencies(
            f"{stack.rasa_url}/webhooks/rest/webhook",
            lambda r, i, text: {"sender": f"bench-{r}-{i % 2}", "message": text},
        )
        print(f"web chat turn: {describe(web)}")
        print(f"Rasa REST webhook alone (same messages): {describe(bare)}")
        for name, service in stack.services.items():
            print(f"memory {name}: {rss_mib(service.process.pid):.0f} MiB")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
