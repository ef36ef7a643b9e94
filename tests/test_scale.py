"""Two Rasa servers and two gunicorn web workers on one Redis: nothing lost, doubled or reordered.

The stack here is this module's own (scripts/stack.py with rasa_instances=2, web_workers=2): the
web layer takes turns between "rasa" and "rasa-2", and each conversation's order is kept by the
locks both keep in Redis. One SCALE line sums it up in the "faults injected" list.
"""

from __future__ import annotations

import os
import random
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

import pytest
import redis

from scripts.stack import Stack
from tests.conftest import (
    Phone,
    own_stack,
    phones_for,
    sms_conversation,
    sms_turns,
    tracker_events,
    tracker_user_texts,
    twiml_messages,
)

pytestmark = pytest.mark.stack

RASA_SERVERS = ("rasa", "rasa-2")
PHONES = 16
TEXTS_EACH = 6  # under the SMS rate limit (12), so every text is a turn
TOPICS = [
    "hi",
    "what is a t visa",
    "my boss took my passport",
    "what are my rights at work",
    "who can read these messages",
    "thank you",
]
# Ten different questions, and a few words of the answer each must get (not another's answer).
AT_ONCE = {
    "what is a t visa": "T visa",
    "what is a u visa": "U visa",
    "my boss took my passport": "passport",
    "my employer does not pay my wages": "paid",
    "who can read these messages": "Test Org",
    "i am afraid of being deported": "punished",
    "what is continued presence": "Continued Presence",
    "thank you": "welcome",
    "what is the hotline number": "Hotline is open 24/7",
    "what are my rights at work": "H-2A",
}
MIN_SHARE = 0.2  # each Rasa server does at least this part of the work when they take turns


@pytest.fixture(scope="module")
def scale_stack(model_path) -> Iterator[Stack]:
    yield from own_stack(model_path, "puente-scale-", rasa_instances=2, web_workers=2)


@pytest.fixture
def db(scale_stack: Stack) -> redis.Redis:
    return redis.Redis.from_url(scale_stack.redis_url)


@pytest.fixture
def new_phone(scale_stack: Stack) -> Callable[[], Phone]:
    return phones_for(scale_stack)


@pytest.fixture(scope="module")
def summary(fault_report) -> Iterator[Dict[str, str]]:
    """What each test found, printed as one SCALE line when the module is done."""
    found: Dict[str, str] = {}
    yield found
    parts = [found[key] for key in ("parallel", "one conversation", "rasa killed") if key in found]
    if parts:
        fault_report(f"SCALE {len(RASA_SERVERS)} rasa + 2 web workers: " + "; ".join(parts))


def fallback(content) -> str:
    return content.ui_text("service_unavailable", "en")


def io_bytes(group: int) -> int:
    """Bytes the processes of a process group read and wrote (sockets included), from /proc."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) != group:
                continue
            counters = dict(line.split(": ") for line in (entry / "io").read_text().splitlines())
            total += int(counters["rchar"]) + int(counters["wchar"])
        except (OSError, ValueError, IndexError, KeyError):
            continue  # a process that just ended
    return total


def rasa_io(stack: Stack) -> Dict[str, int]:
    return {name: io_bytes(stack.services[name].process.pid) for name in RASA_SERVERS}


def text(phone: Phone, body: str) -> Tuple[int, List[str]]:
    """Send one text; the HTTP status and the texts Puente answered with."""
    response = phone.post(phone.fields(body))
    return response.status_code, twiml_messages(response.text) if response.ok else []


def turns_in_order(events: List[dict]) -> List[Tuple[str, List[str]]]:
    """(user text, the bot's texts after it until the next user text), in tracker order."""
    turns: List[Tuple[str, List[str]]] = []
    for event in events:
        if event["event"] == "user":
            turns.append((event["text"], []))
        elif event["event"] == "bot" and event.get("text") and turns:
            turns[-1][1].append(event["text"])
    return turns


def test_many_phones_at_once_every_text_once_in_order_on_both_rasa_servers(
    scale_stack, content, db, new_phone, summary
):
    phones = [new_phone() for _ in range(PHONES)]
    # Every text of the run is different, so one landing in another conversation would show.
    sent = {
        phone.number: [f"{topic} #{n}.{i}" for i, topic in enumerate(TOPICS)]
        for n, phone in enumerate(phones)
    }
    turns_before, io_before = sms_turns(scale_stack), rasa_io(scale_stack)

    def conversation(phone: Phone) -> List[Tuple[int, List[str]]]:
        return [text(phone, body) for body in sent[phone.number]]

    with ThreadPoolExecutor(PHONES) as pool:
        answers = dict(zip((p.number for p in phones), pool.map(conversation, phones), strict=True))
    handled = sms_turns(scale_stack) - turns_before
    io_after = rasa_io(scale_stack)

    total = PHONES * TEXTS_EACH
    unanswered = [
        (number, status, replies)
        for number, said in answers.items()
        for status, replies in said
        if status != 200 or not replies or fallback(content) in replies
    ]
    kept = {p.number: tracker_user_texts(db, sms_conversation(p.number)) for p in phones}
    lost = sum(len(set(sent[n]) - set(kept[n])) for n in sent)
    doubled = sum(len(kept[n]) - len(set(kept[n])) for n in sent)
    in_order = sum(kept[n] == sent[n] for n in sent)
    work = {name: io_after[name] - io_before[name] for name in RASA_SERVERS}
    shares = {name: work[name] / max(1, sum(work.values())) for name in RASA_SERVERS}
    summary["parallel"] = (
        f"{total} texts from {PHONES} phones, {len(unanswered)} without a real reply, "
        f"{lost} lost, {doubled} duplicated, order kept in {in_order}/{PHONES}, "
        f"handled {handled:.0f} times; rasa I/O split "
        + "/".join(f"{shares[name]:.0%}" for name in RASA_SERVERS)
    )

    assert unanswered == []
    assert handled == total  # each MessageSid handled once: none dropped, none twice
    for phone in phones:
        assert kept[phone.number] == sent[phone.number], phone.number
    for name in RASA_SERVERS:
        assert shares[name] >= MIN_SHARE, (name, work)


def test_ten_texts_at_once_on_one_conversation_kept_in_one_order(
    scale_stack, content, db, new_phone, summary
):
    phone = new_phone()
    bodies = list(AT_ONCE)
    random.shuffle(bodies)
    start = threading.Barrier(len(bodies))

    def together(body: str) -> Tuple[int, List[str]]:
        start.wait()
        return text(phone, body)

    with ThreadPoolExecutor(len(bodies)) as pool:
        answers = dict(zip(bodies, pool.map(together, bodies), strict=True))
    turns = turns_in_order(tracker_events(db, sms_conversation(phone.number)))
    kept = [said for said, _ in turns]
    # Each message's bot replies came right after it (never another's in between): each reply
    # the tracker shows after a message is in the answer that message got.
    interleaved = [
        said
        for said, bot in turns
        if not bot or any(reply[:40] not in "\n".join(answers[said][1]) for reply in bot)
    ]
    wrong = [
        body for body, (_, replies) in answers.items() if AT_ONCE[body] not in " ".join(replies)
    ]
    summary["one conversation"] = (
        f"{len(bodies)} at once on one conversation: "
        f"{sum(status == 200 for status, _ in answers.values())} answered 200, "
        f"{len(wrong)} with another text's answer, {len(kept)} in the tracker "
        f"({len(set(kept))} different), "
        + ("kept in one order" if not interleaved else f"{len(interleaved)} interleaved")
    )

    assert all(status == 200 for status, _ in answers.values()), answers
    assert wrong == [], {body: answers[body] for body in wrong}
    assert sorted(kept) == sorted(bodies), kept  # each once
    assert interleaved == [], turns


def test_with_one_rasa_server_killed_the_other_answers_every_text(
    scale_stack, content, new_phone, summary
):
    phones = [new_phone() for _ in range(2 * len(RASA_SERVERS) * 2)]
    rasa = scale_stack.services["rasa"]
    os.killpg(rasa.process.pid, signal.SIGKILL)
    rasa.process.wait()
    try:
        with ThreadPoolExecutor(len(phones)) as pool:
            answers = list(pool.map(lambda phone: text(phone, "what is a t visa"), phones))
    finally:
        scale_stack.restart_service("rasa")
    answered = [
        status == 200 and fallback(content) not in replies and "T visa" in " ".join(replies)
        for status, replies in answers
    ]
    summary["rasa killed"] = (
        f"with rasa killed, {sum(answered)}/{len(phones)} new texts got a real reply from rasa-2"
    )
    assert all(answered), answers
