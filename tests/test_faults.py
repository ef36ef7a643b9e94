"""Faults survived: a texter keeps getting answers while processes die, stall or restart.

Everything runs through a stack of this module's own (its own Redis too), because these tests
kill, stop and pause processes; each test brings back what it broke. Each test adds one line to
the "faults injected" list printed at the end of the run: what was injected, what the texter got.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, TypeVar
from xml.etree.ElementTree import ParseError

import pytest
import redis
import requests

from scripts.stack import Stack
from tests.conftest import (
    HTTP_TIMEOUT,
    SEALER,
    Phone,
    own_stack,
    phones_for,
    privacy_notice,
    sms_conversation,
    sms_turns,
    text_of,
    tracker_user_texts,
    twiml_messages,
)
from webhook import keys
from webhook.handoff import Handoffs
from webhook.sms_state import PENDING, SmsState

pytestmark = pytest.mark.stack

HOTLINE = "1-888-373-7888"
LOAD_PHONES = 8
LOAD_PACE_SECONDS = 0.05  # between one phone's texts
TEXTS_BEFORE_KILL = 6  # each phone texts this many times before Rasa is killed
TEXTS_AFTER_KILL = 3  # and this many times while Rasa is dead
SHORT_DEADLINE_SECONDS = 2  # PUENTE_SMS_REPLY_DEADLINE_SECONDS of the slow-Rasa tests
DEADLINE_MARGIN_SECONDS = 1.5
PAUSE_SECONDS = 4  # how long Rasa stays frozen (SIGSTOP) in the slow-Rasa tests
LATE_REPLY_SECONDS = 15  # the real reply reaches the outbox this soon after Rasa resumes
REDIS_RECOVERY_SECONDS = 6  # texts after a Redis restart may fail this long, then never
ENGLISH_LOAD = [
    "what is a t visa",
    "my employer does not pay my wages",
    "i am afraid of being deported",
    "who can read these messages",
]
SPANISH_LOAD = [
    "que es la visa t",
    "mi patron no me paga el salario",
    "tengo miedo de que me deporten",
    "quien puede leer estos mensajes",
]
OPENERS = {"en": "my boss took my passport", "es": "mi patron tiene mi pasaporte"}
T = TypeVar("T")


@pytest.fixture(scope="module")
def fault_stack(model_path) -> Iterator[Stack]:
    """The whole stack, its own Redis with AOF (everysec), as deployed. Texters here may write
    far more than the rate limit allows: the limit is not what these tests are about."""
    yield from own_stack(
        model_path, "puente-faults-", extra_env={"PUENTE_SMS_RATE_LIMIT": "100000"}
    )


@pytest.fixture
def db(fault_stack: Stack) -> redis.Redis:
    """The fault stack's Redis (not the session's: never emptied under a running test)."""
    return redis.Redis.from_url(fault_stack.redis_url)


@pytest.fixture
def handoffs(db: redis.Redis) -> Handoffs:
    return Handoffs(db, 3600, SEALER)


@pytest.fixture
def new_phone(fault_stack: Stack) -> Callable[[], Phone]:
    """A phone with a number never used before, texting the fault stack."""
    return phones_for(fault_stack)


def wait_for(check: Callable[[], T], seconds: float, what: str, every: float = 0.1) -> T:
    """Poll until `check` returns something true; fail with `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"after {seconds} s: {what}")
        time.sleep(every)


@contextlib.contextmanager
def stopped(stack: Stack, name: str) -> Iterator[None]:
    """One process stopped for the block, then started again (and ready) whatever happened."""
    stack.stop_service(name)
    try:
        yield
    finally:
        stack.restart_service(name)


@contextlib.contextmanager
def paused(stack: Stack, name: str) -> Iterator[None]:
    """One process frozen (SIGSTOP) for the block: it accepts connections and answers nothing."""
    group = stack.services[name].process.pid
    os.killpg(group, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(group, signal.SIGCONT)


@contextlib.contextmanager
def web_setting(stack: Stack, name: str, value: str) -> Iterator[None]:
    """The web process restarted with one more setting for the block, then as it was."""
    web = stack.services["web"]
    before = web.env
    web.env = {**before, name: value}
    stack.stop_service("web")
    try:
        stack.restart_service("web")
        yield
    finally:
        web.env = before
        stack.stop_service("web")
        stack.restart_service("web")


def fallback(content, language: str) -> str:
    """What Puente texts when it cannot answer: the 24/7 hotline and 911."""
    return content.ui_text("service_unavailable", language)


def holding(content, language: str) -> str:
    """What Puente texts when its answer is slower than Twilio waits: the answer follows."""
    return content.sms_text("sms_holding", language)


def without_notice(content, replies: List[str]) -> List[str]:
    """The replies without the privacy notice a new conversation gets first."""
    notices = {privacy_notice(content, code) for code in ("en", "es")}
    return replies[1:] if replies and replies[0] in notices else replies


def is_real(content, replies: List[str]) -> bool:
    """A reply from the bot: something said, and neither the fallback nor the holding text."""
    stock = {fallback(content, code) for code in ("en", "es")}
    stock |= {holding(content, code) for code in ("en", "es")}
    return bool(replies) and not stock & set(replies)


def outbox_bodies(db: redis.Redis, conversation_id: str) -> List[str]:
    """Texts sent to a conversation outside a reply (no Twilio credentials: the dev outbox)."""
    entries = SmsState(db, 3600, SEALER).outbox()
    return [e["body"] for e in entries if e.get("conversation") == conversation_id]


def rasa_locks(db: redis.Redis, conversations: List[str]) -> List[str]:
    """The conversations Rasa holds a lock of (bot/stores.py): a turn under way or waiting."""
    return [
        c
        for c, held in zip(
            conversations, db.mget([keys.rasa_lock(c) for c in conversations]), strict=True
        )
        if held
    ]


def greeting_again(content, language: str) -> str:
    """How Puente greets someone whose conversation goes on."""
    return text_of(content, "utter_greet_again", language)


def final_reply(
    content, db: redis.Redis, text: Text, conversation: str, language: str
) -> List[str]:
    """What the texter finally got for a text: its reply or, after the holding text, the reply
    sent by text once the turn ended."""
    if text.replies != [holding(content, language)]:
        return text.replies
    return wait_for(
        lambda: outbox_bodies(db, conversation), LATE_REPLY_SECONDS, "no late reply was sent"
    )


def described(content, replies: List[str], language: str = "en") -> str:
    """What a texter got, in a few words, for the fault lines."""
    if replies == [fallback(content, language)]:
        return "the fallback (hotline + 911)"
    if replies == [holding(content, language)]:
        return "the holding text"
    return "a real reply" if is_real(content, replies) else repr(replies)


def is_subsequence(part: List[str], whole: List[str]) -> bool:
    """True when `part` appears in `whole` in the same order (other items may come between)."""
    remaining = iter(whole)
    return all(item in remaining for item in part)


# --- Rasa killed under load ---------------------------------------------------------------------


@dataclass
class Text:
    """One text sent during the load, and what came back."""

    body: str
    sent_at: float
    answered_at: float = 0.0
    status: Optional[int] = None  # None: no HTTP answer at all
    replies: List[str] = field(default_factory=list)
    error: str = ""


def send(phone: Phone, body: str) -> Text:
    """Text once; never raises: a broken answer is recorded as what it was."""
    text = Text(body, time.monotonic())
    try:
        response = phone.post(phone.fields(body))
        text.status = response.status_code
        if response.status_code == 200:
            text.replies = twiml_messages(response.text)
    except requests.RequestException as error:
        text.error = type(error).__name__
    except (ParseError, AssertionError):
        text.error = "not TwiML"
    text.answered_at = time.monotonic()
    return text


def keep_texting(phone: Phone, bodies: List[str], log: List[Text], stop: threading.Event) -> None:
    for body in itertools.cycle(bodies):
        log.append(send(phone, body))
        if stop.wait(LOAD_PACE_SECONDS):
            return


def test_rasa_killed_mid_load_every_text_answered_and_conversations_go_on(
    fault_stack, content, db, new_phone, fault_report
):
    languages = ["en", "es"] * (LOAD_PHONES // 2)
    phones = [new_phone() for _ in languages]
    with ThreadPoolExecutor(LOAD_PHONES) as pool:
        openers = list(pool.map(lambda p, code: send(p, OPENERS[code]), phones, languages))
    assert all(is_real(content, t.replies) for t in openers), [t.replies for t in openers]

    rasa = fault_stack.services["rasa"]
    conversations = [sms_conversation(phone.number) for phone in phones]
    logs: List[List[Text]] = [[] for _ in phones]
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=keep_texting,
            args=(phone, ENGLISH_LOAD if code == "en" else SPANISH_LOAD, log, stop),
        )
        for phone, code, log in zip(phones, languages, logs, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        wait_for(
            lambda: all(len(log) >= TEXTS_BEFORE_KILL for log in logs),
            60,
            "the load did not get going",
        )
        # Killed while it is inside a turn: Rasa holds a conversation's lock in Redis meanwhile.
        wait_for(lambda: rasa_locks(db, conversations), 30, "rasa was never inside a turn", 0.002)
        os.killpg(rasa.process.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        rasa.process.wait()
        mid_turn = rasa_locks(db, conversations)  # turns Rasa died in the middle of
        wait_for(
            lambda: all(
                sum(t.sent_at > killed_at for t in list(log)) >= TEXTS_AFTER_KILL for log in logs
            ),
            60,
            "the phones did not go on texting after the kill",
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(HTTP_TIMEOUT * 2)

    texts = [t for log in logs for t in log]
    broken = [t for t in texts if t.status != 200 or t.error]
    kinds: Dict[str, List[Text]] = {"real": [], "fallback": [], "other": []}
    for code, log in zip(languages, logs, strict=True):
        for t in log:
            said = without_notice(content, t.replies)
            if said == [fallback(content, code)]:
                kinds["fallback"].append(t)
            elif is_real(content, said):
                kinds["real"].append(t)
            else:
                kinds["other"].append(t)

    restart_started = time.monotonic()
    fault_stack.restart_service("rasa")
    restart_seconds = time.monotonic() - restart_started
    with ThreadPoolExecutor(LOAD_PHONES) as pool:
        again = list(pool.map(lambda phone: send(phone, "hi"), phones))
    finally_got = [
        final_reply(content, db, t, conversation, code)
        for t, conversation, code in zip(again, conversations, languages, strict=True)
    ]
    greeted = [
        t.status == 200 and said[:1] != [] and said[0].startswith(greeting_again(content, code))
        for t, said, code in zip(again, finally_got, languages, strict=True)
    ]
    held = sum(
        t.replies == [holding(content, code)] for t, code in zip(again, languages, strict=True)
    )
    fault_report(
        f"FAULT rasa killed (SIGKILL) mid-load, {LOAD_PHONES} phones texting: {len(texts)} texts, "
        f"{len(broken)} without a 200 TwiML answer, {len(kinds['fallback'])} got the fallback "
        f"reply, {len(kinds['real'])} a real reply, {len(kinds['other'])} anything else; "
        f"rasa back after {restart_seconds:.0f} s, then {sum(greeted)}/{LOAD_PHONES} phones were "
        f"answered as a conversation that goes on, in its language ({len(mid_turn)} of them "
        f"with a turn under way when Rasa died; {held} answered after the holding text)"
    )

    assert broken == [], [(t.body, t.status, t.error) for t in broken]
    assert kinds["other"] == [], [(t.body, t.replies) for t in kinds["other"]]
    # Before the kill the bot answered; every text sent to a dead Rasa got the fallback.
    assert any(t.answered_at < killed_at for t in kinds["real"])
    assert all(t in kinds["fallback"] for t in texts if t.sent_at > killed_at)

    assert all(greeted), list(zip(languages, finally_got, strict=True))
    for phone, log in zip(phones, logs, strict=True):
        # Rasa's memory of each conversation is whole: what it answered is still there, in order.
        answered = [t.body for t in log if t in kinds["real"]]
        kept = tracker_user_texts(db, sms_conversation(phone.number))
        assert is_subsequence(answered, kept) and kept[-1] == "hi", (answered, kept)


def test_a_conversation_rasa_died_in_the_middle_of_is_answered_once_rasa_is_back(
    fault_stack, content, db, new_phone, fault_report
):
    phone = new_phone()
    assert is_real(content, phone.text("my boss took my passport"))
    conversation = sms_conversation(phone.number)
    rasa = fault_stack.services["rasa"]
    # The content endpoint frozen holds Rasa inside the turn, so it surely dies mid-turn.
    with paused(fault_stack, "nlg"), ThreadPoolExecutor(1) as pool:
        during = pool.submit(send, phone, "what is a t visa")
        wait_for(lambda: rasa_locks(db, [conversation]), HTTP_TIMEOUT, "rasa never took the turn")
        os.killpg(rasa.process.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        rasa.process.wait()
    assert during.result().replies == [fallback(content, "en")]
    fault_stack.restart_service("rasa")
    back_after = time.monotonic() - killed_at
    again = send(phone, "hi")
    # The dead turn's ticket holds the conversation for at most a turn's time (bot/stores.py):
    # the next text is answered at once, or after the holding text, by text.
    reply = final_reply(content, db, again, conversation, "en")
    answered = bool(reply) and reply[0].startswith(greeting_again(content, "en"))
    fault_report(
        f"FAULT rasa killed (SIGKILL) in the middle of a turn: rasa back after {back_after:.0f} s; "
        f"the conversation's next text then got {described(content, again.replies)} "
        f"in {again.answered_at - again.sent_at:.1f} s"
        + ("" if reply is again.replies else f", then {described(content, reply)} by text")
    )
    assert again.status == 200 and answered, (again.replies, reply)


# --- a process down ---------------------------------------------------------------------------


def test_action_server_stopped_a_texter_still_gets_a_way_to_a_person(
    fault_stack, content, handoffs, new_phone, fault_report
):
    in_danger, not_understood = new_phone(), new_phone()
    with stopped(fault_stack, "actions"):
        danger = without_notice(content, in_danger.text("he locked the door and took my phone"))
        missed = without_notice(content, not_understood.text("qwpoeiruty zxmcnvb"))
    ticket_id = handoffs.active(sms_conversation(in_danger.number))
    ticket = handoffs.get(ticket_id) if ticket_id else None
    fault_report(
        "FAULT action server stopped: a danger text got "
        f"{'911 first' if danger and '911' in danger[0] else 'NO 911 first'}, "
        f"{'the hotline' if HOTLINE in ' '.join(danger) else 'NO hotline'} and "
        f"{'a priority handoff' if ticket and ticket.priority == 'danger' else 'NO handoff'}; "
        f"a text Puente did not understand got "
        f"{'the hotline' if HOTLINE in ' '.join(missed) else 'NO hotline'} "
        f"({len(missed)} text(s))"
    )
    assert "911" in danger[0] and HOTLINE in danger[0], danger
    # and says what happens next (packed with the menu in one SMS)
    assert content.ui_text("handoff_open", "en") in "\n".join(danger), danger
    assert ticket is not None and ticket.priority == "danger" and ticket.channel == "sms"
    assert HOTLINE in " ".join(missed), missed


def test_content_endpoint_stopped_the_texter_gets_the_hotline_and_911_in_their_language(
    fault_stack, content, new_phone, fault_report
):
    english, spanish = new_phone(), new_phone()
    assert is_real(content, english.text("what is a t visa"))
    assert is_real(content, spanish.text("que es la visa t"))
    with stopped(fault_stack, "nlg"):
        during = {"en": english.text("what is a u visa"), "es": spanish.text("que es la visa u")}
    after = english.text("what is a u visa")
    fault_report(
        "FAULT content endpoint (nlg) stopped: "
        + ", ".join(
            f"{code} texter got "
            + ("the fallback in " + code if said == [fallback(content, code)] else repr(said))
            for code, said in during.items()
        )
        + f"; after its restart: {'a real reply' if is_real(content, after) else repr(after)}"
    )
    for code, said in during.items():
        assert said == [fallback(content, code)]
        assert HOTLINE in said[0] and "911" in said[0]
    assert is_real(content, after) and "U visa" in " ".join(after), after


def test_redis_restarted_handoff_kept_and_everyone_reconnects_alone(
    fault_stack, content, handoffs, new_phone, fault_report
):
    in_danger, other = new_phone(), new_phone()
    replies = "\n".join(in_danger.text("he is here with a knife and wont let me leave"))
    assert "911" in replies and content.ui_text("handoff_open", "en") in replies
    ticket_id = handoffs.active(sms_conversation(in_danger.number))
    assert ticket_id and handoffs.get(ticket_id).priority == "danger"
    assert is_real(content, other.text("what is a t visa"))
    others = {name: s.process.pid for name, s in fault_stack.services.items() if name != "redis"}

    with stopped(fault_stack, "redis"):
        while_down = send(other, "what is a u visa")
    restarted_at = time.monotonic()
    waiting = [t.id for t in handoffs.waiting()]
    attempts: List[Text] = []

    def real_reply() -> bool:
        attempts.append(send(other, "what is a u visa"))
        return is_real(content, attempts[-1].replies)

    recovered = wait_for(real_reply, REDIS_RECOVERY_SECONDS, "no real reply after the restart", 1)
    recovered_after = time.monotonic() - restarted_at
    relayed = in_danger.text("please hurry")
    got = "the fallback" if while_down.replies == [fallback(content, "en")] else while_down.replies
    same = {name: s.process.pid for name, s in fault_stack.services.items() if name in others}
    alive = all(fault_stack.services[name].running() for name in others)
    fault_report(
        f"FAULT redis stopped and restarted (AOF everysec): the text sent while it was down got "
        f"HTTP {while_down.status} with {got}; "
        f"the danger handoff opened before is {'still' if ticket_id in waiting else 'NOT'} in "
        f"the queue; a real reply again on attempt {len(attempts)} ({recovered_after:.1f} s), "
        f"{'no other process restarted' if same == others and alive else 'OTHERS RESTARTED'}"
    )
    assert while_down.status == 200 and while_down.replies == [fallback(content, "en")]
    assert HOTLINE in while_down.replies[0] and "911" in while_down.replies[0]
    assert ticket_id in waiting
    assert recovered and "U visa" in " ".join(attempts[-1].replies)
    # The web layer, Rasa, the actions and the content endpoint reconnected by themselves.
    assert same == others and alive
    # The person waiting for an advocate is still with the advocate, not the bot.
    assert relayed == [] and handoffs.messages(ticket_id)[-1]["text"] == "please hurry"


def test_a_retry_while_rasa_is_down_is_answered_the_same_and_handled_once(
    fault_stack, content, new_phone, fault_report
):
    phone = new_phone()
    assert is_real(content, phone.text("hi"))
    fields = phone.fields("what is a t visa")
    turns_before = sms_turns(fault_stack)
    with stopped(fault_stack, "rasa"):
        first, retry = phone.post(fields), phone.post(fields)
        turns = sms_turns(fault_stack) - turns_before
    fault_report(
        f"FAULT rasa stopped, Twilio retries a message (same MessageSid): "
        f"HTTP {first.status_code} then {retry.status_code}, the retry's TwiML "
        f"{'byte-identical' if retry.content == first.content else 'DIFFERENT'}, "
        f"the message handled {turns:.0f} time(s)"
    )
    assert first.status_code == retry.status_code == 200
    assert twiml_messages(first.text) == [fallback(content, "en")]
    assert retry.content == first.content
    assert turns == 1


def test_a_turn_rasa_takes_too_long_for_leaves_no_words_in_any_log(
    fault_stack, content, db, new_phone, fault_report
):
    phone = new_phone()
    assert is_real(content, phone.text("hi"))
    conversation = sms_conversation(phone.number)
    words = "cupboard behind the bakery"
    with paused(fault_stack, "nlg"):  # Rasa waits on it past the web layer's timeout
        answer = send(phone, f"my boss hid my passport in the {words}")
        late = wait_for(
            lambda: outbox_bodies(db, conversation), LATE_REPLY_SECONDS, "no late reply was sent"
        )
    assert is_real(content, phone.text("thank you"))  # Rasa is done with the slow turn
    logged = sorted(
        path.name
        for path in fault_stack.run_dir.glob("*.log")
        if words in path.read_text(errors="replace")
    )
    fault_report(
        f"FAULT content endpoint frozen past the web layer's Rasa timeout: the texter got "
        f"{described(content, answer.replies)}, then {described(content, late)} by text; "
        f"the message's words found in {', '.join(logged) or 'no log'}"
    )
    assert answer.replies == [holding(content, "en")] and late == [fallback(content, "en")]
    assert logged == []


# --- Rasa slower than Twilio waits --------------------------------------------------------------


@pytest.fixture(scope="class")
def short_deadline(fault_stack: Stack) -> Iterator[Stack]:
    """The web layer answers an SMS within 2 s, whatever Rasa does (the rest follows by text)."""
    with web_setting(fault_stack, "PUENTE_SMS_REPLY_DEADLINE_SECONDS", str(SHORT_DEADLINE_SECONDS)):
        yield fault_stack


@pytest.mark.usefixtures("short_deadline")
class TestRasaSlowerThanTheDeadline:
    def test_holding_text_in_time_then_the_real_reply_by_text(
        self, fault_stack, content, db, new_phone, fault_report
    ):
        phone = new_phone()
        assert is_real(content, phone.text("hi"))
        conversation = sms_conversation(phone.number)
        with paused(fault_stack, "rasa"):
            asked_at = time.monotonic()
            answer = send(phone, "what is a t visa")
            remaining = PAUSE_SECONDS - (time.monotonic() - asked_at)
            time.sleep(max(0.0, remaining))  # the fault itself: Rasa frozen this long
        late = wait_for(
            lambda: outbox_bodies(db, conversation), LATE_REPLY_SECONDS, "no late reply was sent"
        )
        late_after = time.monotonic() - asked_at
        answer_seconds = answer.answered_at - answer.sent_at
        got = "the holding text" if answer.replies == [holding(content, "en")] else answer.replies
        then = "the real reply" if is_real(content, late) else late
        fault_report(
            f"FAULT rasa frozen {PAUSE_SECONDS} s (SIGSTOP), reply deadline "
            f"{SHORT_DEADLINE_SECONDS} s: the texter got {got} in {answer_seconds:.1f} s, "
            f"then {then} by outbound text {late_after:.1f} s after writing"
        )
        assert answer.status == 200 and answer.replies == [holding(content, "en")]
        assert HOTLINE in answer.replies[0] and "911" in answer.replies[0]
        assert answer_seconds < SHORT_DEADLINE_SECONDS + DEADLINE_MARGIN_SECONDS
        assert is_real(content, late) and "T visa" in " ".join(late), late

    def test_a_retry_while_the_first_is_in_flight_gets_the_same_answer(
        self, fault_stack, content, db, new_phone, fault_report
    ):
        phone = new_phone()
        assert is_real(content, phone.text("hi"))
        conversation = sms_conversation(phone.number)
        fields = phone.fields("what is a u visa")
        turns_before = sms_turns(fault_stack)
        with paused(fault_stack, "rasa"), ThreadPoolExecutor(2) as pool:
            first = pool.submit(phone.post, fields)
            wait_for(
                lambda: db.get(keys.sms_inbound(fields["MessageSid"])) == PENDING,
                HTTP_TIMEOUT,
                "the first delivery was never taken in",
            )
            retry = pool.submit(phone.post, fields).result()
            first = first.result()
        late = wait_for(
            lambda: outbox_bodies(db, conversation), LATE_REPLY_SECONDS, "no late reply was sent"
        )
        # The next text is answered after any turn of this conversation still going on.
        assert is_real(content, phone.text("thank you"))
        late = outbox_bodies(db, conversation)
        kept = tracker_user_texts(db, conversation)
        turns = sms_turns(fault_stack) - turns_before
        said = twiml_messages(first.text)
        got = "the holding text" if said == [holding(content, "en")] else said
        fault_report(
            f"FAULT rasa frozen, Twilio retries while the first delivery waits: HTTP "
            f"{first.status_code} and {retry.status_code}, "
            f"{'the same' if retry.content == first.content else 'DIFFERENT'} TwiML ({got}); "
            f"the message handled {turns - 1:.0f} time(s), its answer texted "
            f"{sum('U visa' in body for body in late)} time(s)"
        )
        assert first.status_code == retry.status_code == 200
        assert retry.content == first.content
        assert said == [holding(content, "en")]
        assert kept.count("what is a u visa") == 1 and kept[-1] == "thank you", kept
        assert turns == 2  # the message (once) and "thank you"
        assert is_real(content, late) and sum("The U visa" in body for body in late) == 1, late
