"""Speed, scale and memory of the whole stack, driven with Twilio-signed texts as Twilio would.

Usage: python -m scripts.bench [--quick] [--rasa N] [--workers N] [--out FILE]   (make bench)

It starts every process (by default two Rasa servers and two gunicorn workers, as deployed), then:
- turns per second and latency at 1, 8 and 32 conversations at once, over SMS and, with the same
  messages, against Rasa's bare REST webhook (the ratio of the two p95s at 8 is the target);
- a sustained open-loop run (30 texts a second for 60 s), then checks every conversation's
  Rasa tracker in Redis: each text once, in the order sent (none lost, none duplicated);
- each process's peak memory and CPU per text, and when each process became ready;
- how a turn slows as one conversation goes on (120 texts from one person);
- where Rasa's start-up goes (imports, model load), in a fresh process.
Figures go to a JSON file and a short table.
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import psutil
import redis
import requests
from twilio.request_validator import RequestValidator

from bot.sealing import Sealer, new_key
from scripts.model import REPO, ensure_model, rasa_env
from scripts.stack import Stack
from webhook import keys
from webhook.phones import PhoneVault

MESSAGES = [
    "hi",
    "my boss took my passport",
    "mi patron tiene mi pasaporte",
    "what is a T visa",
    "que es la visa T",
    "no me han pagado en dos meses",
    "who reads this",
    "thanks",
]
CONCURRENCY = (1, 8, 32)
TEXTS_PER_LEVEL = 240  # spread over the conversations of one level
SUSTAINED_RATE = 30  # texts a second
SUSTAINED_SECONDS = 60
SUSTAINED_PHONES = 150  # each texts every 5 s at 30/s: a conversation's texts never overlap
HTTP_TIMEOUT_SECONDS = 30
MEMORY_SAMPLE_SECONDS = 0.5
HOLDING_MARK = "sms_holding"
LONG_CONVERSATION = 120  # texts from one person, one after the other
LONG_WINDOW = 10  # the median of each run of this many texts is reported


def bench_sms_env() -> Dict[str, str]:
    """Throwaway secrets, and no rate limit in the way of thousands of texts."""
    return {
        "TWILIO_AUTH_TOKEN": "bench-" + secrets.token_hex(8),
        "PUENTE_SMS_HASH_KEY": secrets.token_hex(32),
        "PUENTE_SMS_ENCRYPTION_KEY": new_key(),
        "PUENTE_DATA_KEYS": new_key(),
        "PUENTE_SMS_RATE_LIMIT": "100000",
    }


@dataclass
class Sample:
    """One request: how long it took and what came back."""

    ms: float
    ok: bool
    holding: bool = False


@dataclass
class Level:
    """Figures of one run at one level of concurrency."""

    target: str
    concurrency: int
    texts: int
    errors: int
    holding: int
    turns_per_second: float
    median_ms: float
    p95_ms: float
    p99_ms: float


def percentile(ordered: List[float], share: float) -> float:
    """The nearest-rank percentile of sorted values."""
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summarise(target: str, concurrency: int, samples: List[Sample], seconds: float) -> Level:
    ordered = sorted(sample.ms for sample in samples)
    return Level(
        target=target,
        concurrency=concurrency,
        texts=len(samples),
        errors=sum(not sample.ok for sample in samples),
        holding=sum(sample.holding for sample in samples),
        turns_per_second=round(len(samples) / seconds, 1),
        median_ms=round(statistics.median(ordered), 1),
        p95_ms=round(percentile(ordered, 0.95), 1),
        p99_ms=round(percentile(ordered, 0.99), 1),
    )


class Texter:
    """Posts Twilio-signed texts to the stack's SMS webhook, as Twilio does."""

    def __init__(self, stack: Stack, holding_texts: List[str]) -> None:
        self.url = f"{stack.web_url}/sms"
        self.validator = RequestValidator(stack.extra_env["TWILIO_AUTH_TOKEN"])
        self.holding_texts = holding_texts
        self.local = threading.local()

    def send(self, number: str, text: str) -> Sample:
        session = self.local.__dict__.setdefault("session", requests.Session())
        fields = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "From": number,
            "To": "+15550001111",
            "Body": text,
            "NumMedia": "0",
        }
        headers = {"X-Twilio-Signature": self.validator.compute_signature(self.url, fields)}
        started = time.perf_counter()
        try:
            response = session.post(
                self.url, data=fields, headers=headers, timeout=HTTP_TIMEOUT_SECONDS
            )
        except requests.RequestException:
            return Sample((time.perf_counter() - started) * 1000, ok=False)
        ms = (time.perf_counter() - started) * 1000
        ok = response.status_code == 200 and "<Response" in response.text
        holding = any(text[:40] in response.text for text in self.holding_texts)
        return Sample(ms, ok=ok, holding=holding)


class BareRasa:
    """Posts the same messages straight to Rasa's REST webhook, taking turns among servers."""

    def __init__(self, stack: Stack) -> None:
        self.urls = [f"{url}/webhooks/rest/webhook" for url in stack.rasa_urls]
        self.turn = 0
        self.local = threading.local()

    def send(self, sender: str, text: str) -> Sample:
        session = self.local.__dict__.setdefault("session", requests.Session())
        self.turn += 1
        url = self.urls[self.turn % len(self.urls)]
        started = time.perf_counter()
        try:
            response = session.post(
                url, json={"sender": sender, "message": text}, timeout=HTTP_TIMEOUT_SECONDS
            )
            ok = response.status_code == 200 and bool(response.json())
        except (requests.RequestException, ValueError):
            ok = False
        return Sample((time.perf_counter() - started) * 1000, ok=ok)


def closed_loop(send: Callable[[str, str], Sample], concurrency: int, prefix: str) -> tuple:
    """`concurrency` conversations, each sending its next text as soon as it has an answer."""
    per_worker = max(len(MESSAGES), TEXTS_PER_LEVEL // concurrency)

    def conversation(index: int) -> List[Sample]:
        # A new person every len(MESSAGES) texts: a campaign brings many short conversations,
        # and Rasa's cost per turn grows with the conversation's length.
        return [
            send(f"{prefix}{index:03d}{n // len(MESSAGES):03d}", MESSAGES[n % len(MESSAGES)])
            for n in range(per_worker)
        ]

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(conversation, range(concurrency)))
    seconds = time.perf_counter() - started
    return [sample for samples in results for sample in samples], seconds


def long_conversation(send: Callable[[str, str], Sample], sender: str) -> Dict[str, float]:
    """One person texting on and on: median ms of texts 1-10, 51-60, ... (Rasa reads and
    rewrites the whole conversation each turn, so a turn costs more the longer it goes)."""
    samples = [send(sender, MESSAGES[n % len(MESSAGES)]) for n in range(LONG_CONVERSATION)]
    return {
        f"texts {start + 1}-{start + LONG_WINDOW}": round(
            statistics.median(s.ms for s in samples[start : start + LONG_WINDOW]), 1
        )
        for start in range(0, LONG_CONVERSATION, LONG_CONVERSATION // 4)
    }


@dataclass
class Sustained:
    """The open-loop run and what the trackers say about it."""

    rate_asked: int
    seconds: int
    texts: int
    errors: int
    holding: int
    turns_per_second: float
    median_ms: float
    p95_ms: float
    p99_ms: float
    conversations: int
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0


def sustained(texter: Texter, rate: int, seconds: int, prefix: str) -> tuple:
    """Texts at a fixed rate whatever the answers' pace; returns the samples and what was sent."""
    total = rate * seconds
    sent: Dict[str, List[str]] = {}
    numbers = [f"{prefix}{index:04d}" for index in range(SUSTAINED_PHONES)]
    plan = []
    for index in range(total):
        number = numbers[index % len(numbers)]
        text = f"{MESSAGES[(index // len(numbers)) % len(MESSAGES)]} #{index}"
        sent.setdefault(number, []).append(text)
        plan.append((number, text))
    samples: List[Optional[Sample]] = [None] * total
    started = time.perf_counter()

    def fire(index: int) -> None:
        samples[index] = texter.send(*plan[index])

    with ThreadPoolExecutor(max_workers=rate * 4) as pool:
        for index in range(total):
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(fire, index)
    elapsed = time.perf_counter() - started
    return [sample for sample in samples if sample is not None], sent, elapsed


def check_trackers(connection: redis.Redis, sealer: Sealer, vault: PhoneVault, sent: dict) -> dict:
    """For each conversation: texts Rasa never saw, saw twice, or saw out of order."""
    lost = duplicated = out_of_order = 0
    for number, texts in sent.items():
        stored = connection.get(keys.rasa_tracker(vault.conversation_id(number)))
        tracker = sealer.open_json(stored, {}) if stored else {}
        seen = [
            event.get("text")
            for event in tracker.get("events", [])
            if event.get("event") == "user" and event.get("text") in set(texts)
        ]
        lost += len(set(texts) - set(seen))
        duplicated += len(seen) - len(set(seen))
        if [text for text in seen if text in texts] != [text for text in texts if text in seen]:
            out_of_order += 1
    return {"lost": lost, "duplicated": duplicated, "out_of_order": out_of_order}


class MemoryWatch:
    """Samples every process's resident memory (with its children) and keeps the peaks."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.peaks: Dict[str, float] = {}
        self.peak_total = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def sample(self) -> None:
        total = 0.0
        for name, service in self.stack.services.items():
            if not service.running():
                continue
            try:
                mib = rss_mib(service.process.pid)
            except psutil.Error:
                continue
            self.peaks[name] = max(self.peaks.get(name, 0.0), mib)
            total += mib
        self.peak_total = max(self.peak_total, total)

    def run(self) -> None:
        while not self.stop.wait(MEMORY_SAMPLE_SECONDS):
            self.sample()

    def __enter__(self) -> "MemoryWatch":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process and its living children have used so far."""
    total = 0.0
    for process in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


class CpuMeter:
    """CPU milliseconds each process spent per text over one run (where a turn's time goes)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.before = self.read()

    def read(self) -> Dict[str, float]:
        return {
            name: cpu_seconds(service.process.pid)
            for name, service in self.stack.services.items()
            if service.running()
        }

    def per_text(self, texts: int) -> Dict[str, float]:
        after = self.read()
        return {
            name: round((after[name] - self.before.get(name, 0.0)) * 1000 / max(1, texts), 1)
            for name in after
        }


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (gunicorn's workers), in MiB."""
    process = psutil.Process(pid)
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


STARTUP_PROBE = """
import time
t0 = time.perf_counter()
import tensorflow
t1 = time.perf_counter()
import rasa.core.run
from rasa.core.agent import Agent
t2 = time.perf_counter()
Agent.load({model!r})
t3 = time.perf_counter()
print(round(t1 - t0, 2), round(t2 - t1, 2), round(t3 - t2, 2))
"""


def startup_breakdown(model: Path) -> Dict[str, float]:
    """Where a Rasa process's start-up goes: TensorFlow, the rest of Rasa, loading the model."""
    out = subprocess.run(
        [sys.executable, "-c", STARTUP_PROBE.format(model=str(model))],
        cwd=REPO,
        env=rasa_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    tensorflow, rasa, load = (float(x) for x in out.stdout.strip().splitlines()[-1].split())
    return {"import_tensorflow_s": tensorflow, "import_rest_of_rasa_s": rasa, "model_load_s": load}


def holding_texts() -> List[str]:
    """The holding text in every language, to recognise it in an answer."""
    from webhook.content import ContentStore

    store = ContentStore(REPO / "content", org_name="", retention_days=30, check_seconds=0)
    return [store.sms_text(HOLDING_MARK, code) for code in store.languages]


def table(results: dict) -> str:
    """The short table for a closing note."""
    lines = [
        "| target | conversations | texts | turns/s | median ms | p95 ms | p99 ms | errors "
        "| holding |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for level in results["levels"]:
        lines.append(
            f"| {level['target']} | {level['concurrency']} | {level['texts']} | "
            f"{level['turns_per_second']} | {level['median_ms']} | {level['p95_ms']} | "
            f"{level['p99_ms']} | {level['errors']} | {level['holding']} |"
        )
    run = results["sustained"]
    lines += [
        "",
        f"p95 SMS / p95 bare Rasa at 8 conversations: {results['p95_ratio_at_8']}",
        f"sustained: asked {run['rate_asked']}/s for {run['seconds']} s; answered "
        f"{run['texts']} texts at {run['turns_per_second']}/s, p95 {run['p95_ms']} ms, "
        f"errors {run['errors']}, holding {run['holding']}; trackers of "
        f"{run['conversations']} conversations: lost {run['lost']}, duplicated "
        f"{run['duplicated']}, out of order {run['out_of_order']}",
        "",
        "| process | ready after s | peak memory MiB |",
        "| --- | --- | --- |",
    ]
    for name, mib in results["memory_peak_mib"].items():
        lines.append(f"| {name} | {results['ready_seconds'].get(name, '')} | {mib:.0f} |")
    lines.append(f"| all together (peak of the sum) | | {results['memory_peak_total_mib']:.0f} |")
    processes = list(results["memory_peak_mib"])
    lines += [
        "",
        "| CPU ms per text | " + " | ".join(processes) + " | all |",
        "| --- |" + " --- |" * (len(processes) + 1),
    ]
    for run_name, per_process in results["cpu_ms_per_text"].items():
        cells = [str(per_process.get(name, "")) for name in processes]
        lines.append(
            f"| {run_name} | " + " | ".join(cells) + f" | {sum(per_process.values()):.1f} |"
        )
    lines.append("")
    lines.append(
        f"stack answering (web, content, actions and one Rasa ready): "
        f"{results['answering_after_s']} s; every process ready: {results['stack_ready_s']} s"
    )
    lines.append(f"Rasa start-up in a fresh process: {results['rasa_startup']}")
    lines.append(
        f"one conversation of {LONG_CONVERSATION} texts, median ms: "
        + ", ".join(f"{window} {ms}" for window, ms in results["long_conversation_ms"].items())
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa", type=int, default=2, help="Rasa servers (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--quick", action="store_true", help="a 10 s sustained run")
    parser.add_argument("--out", type=Path, default=REPO / ".run" / "bench.json")
    args = parser.parse_args()
    seconds = 10 if args.quick else SUSTAINED_SECONDS

    model = ensure_model()
    results: dict = {"rasa_servers": args.rasa, "web_workers": args.workers}
    results["rasa_startup"] = startup_breakdown(model)
    env = bench_sms_env()
    stack = Stack(model=model, extra_env=env, rasa_instances=args.rasa, web_workers=args.workers)
    started = time.monotonic()
    stack.start()
    results["stack_ready_s"] = round(time.monotonic() - started, 1)
    ready = stack.ready_seconds
    results["ready_seconds"] = {name: round(seconds, 1) for name, seconds in ready.items()}
    # Answering needs one Rasa server: the web layer skips one that is not up yet.
    first_rasa = min(s for name, s in ready.items() if name.startswith("rasa"))
    others = [s for name, s in ready.items() if not name.startswith("rasa")]
    results["answering_after_s"] = round(max(others + [first_rasa]), 1)
    try:
        texter = Texter(stack, holding_texts())
        bare = BareRasa(stack)
        levels = []
        cpu_ms: Dict[str, Dict[str, float]] = {}
        with MemoryWatch(stack) as memory:
            for concurrency in CONCURRENCY:
                run_id = f"{secrets.randbelow(10**6):06d}"
                for target, send, prefix in (
                    ("sms", texter.send, f"+1555{run_id}"),
                    ("rasa", bare.send, f"bare-{run_id}-"),
                ):
                    cpu = CpuMeter(stack)
                    samples, took = closed_loop(send, concurrency, prefix)
                    levels.append(summarise(target, concurrency, samples, took))
                    cpu_ms[f"{target} at {concurrency}"] = cpu.per_text(len(samples))
                    print(levels[-1], cpu_ms[f"{target} at {concurrency}"], flush=True)
            results["long_conversation_ms"] = long_conversation(texter.send, "+15557770000")
            samples, sent, took = sustained(texter, SUSTAINED_RATE, seconds, "+1666")
        level = summarise("sms", 0, samples, took)
        connection = redis.Redis.from_url(stack.redis_url)
        vault = PhoneVault(env["PUENTE_SMS_HASH_KEY"], env["PUENTE_SMS_ENCRYPTION_KEY"], connection)
        checked = check_trackers(connection, Sealer(env["PUENTE_DATA_KEYS"]), vault, sent)
        results["sustained"] = asdict(
            Sustained(
                rate_asked=SUSTAINED_RATE,
                seconds=seconds,
                texts=level.texts,
                errors=level.errors,
                holding=level.holding,
                turns_per_second=level.turns_per_second,
                median_ms=level.median_ms,
                p95_ms=level.p95_ms,
                p99_ms=level.p99_ms,
                conversations=len(sent),
                **checked,
            )
        )
        results["levels"] = [asdict(level) for level in levels]
        results["cpu_ms_per_text"] = cpu_ms
        at_8 = {level.target: level.p95_ms for level in levels if level.concurrency == 8}
        results["p95_ratio_at_8"] = round(at_8["sms"] / at_8["rasa"], 2)
        results["memory_peak_mib"] = {name: round(mib) for name, mib in memory.peaks.items()}
        results["memory_peak_total_mib"] = round(memory.peak_total)
    finally:
        stack.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(table(results))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
