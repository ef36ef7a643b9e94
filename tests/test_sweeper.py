"""The unclaimed-timeout update against a real Redis: once per ticket, by web or SMS."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from scripts.model import REPO
from scripts.stack import free_port
from tests.conftest import DATA_KEY, HANDOFF_TTL, SEALER, SMS_APP_CONFIG, app_config
from webhook import create_app, keys
from webhook.handoff import WAITING
from webhook.services import EXTENSION, Services
from webhook.sms_channel import EXTENSION as SMS
from webhook.sweeper import STILL_WAITING_EVENT, STILL_WAITING_TEXT, run_forever, sweep
from webhook.web_outbox import WebOutbox

TTL = HANDOFF_TTL
LIMIT = 600
OPENED = 1_000.0
LATE = OPENED + LIMIT + 1  # waited longer than the limit
PHONE = "+15557654321"


class Ticks(threading.Event):
    """A stop event that lets the loop go round `rounds` times without waiting at all."""

    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.left = rounds

    def wait(self, timeout=None) -> bool:
        self.left -= 1
        return self.left < 0


@pytest.fixture
def services(app) -> Services:
    """The test app's services (no Rasa, a private copy of content/)."""
    return app.extensions[EXTENSION]


def web_sent(db, conversation_id: str):
    """What a web chat page would fetch from the conversation's outbox."""
    return WebOutbox(db, TTL, SEALER).since(conversation_id, 0)


def still_waiting(content, language: str):
    """The update as the web outbox holds it, in `language`, placeholders filled."""
    return {"text": content.ui_text(STILL_WAITING_TEXT, language), "buttons": []}


def marked(services: Services, ticket_id: str) -> bool:
    """Whether the ticket has been marked as updated."""
    return services.handoffs.get(ticket_id).updated_at is not None


def test_a_web_ticket_waiting_too_long_gets_one_update_however_often_it_is_swept(
    services, handoffs, db, content
):
    ticket = handoffs.open("conv-web", "web", "es", "normal", {}, now=OPENED)
    assert sweep(services, None, LIMIT, now=LATE) == 1
    assert sweep(services, None, LIMIT, now=LATE + 60) == 0
    assert sweep(services, None, LIMIT, now=LATE + 3600) == 0
    sent = web_sent(db, "conv-web")
    assert sent == [still_waiting(content, "es")]
    assert sent[0]["text"] != content.ui_text(STILL_WAITING_TEXT, "en")  # in Spanish
    assert "{" not in sent[0]["text"] and content.values("es")["hotline_phone"] in sent[0]["text"]
    updated = handoffs.get(ticket.id)
    assert updated.updated_at == LATE
    assert updated.status == WAITING and [t.id for t in handoffs.waiting()] == [ticket.id]
    # The advocate sees in the history that the person was told.
    assert [(m["from"], m["text"]) for m in handoffs.messages(ticket.id)] == [
        ("system", STILL_WAITING_EVENT)
    ]


def test_two_processes_sweeping_at_once_send_exactly_one_update(app, handoffs, db):
    # Each "process" has its own Services and so its own Redis connection pool.
    processes = [Services.from_config(app.config) for _ in range(2)]
    for round_ in range(20):
        conversation = f"conv-{round_}"
        handoffs.open(conversation, "web", "en", "normal", {}, now=OPENED + round_)
        barrier = threading.Barrier(len(processes))
        counts = []

        def run(services, barrier=barrier, counts=counts, round_=round_):
            barrier.wait()
            counts.append(sweep(services, None, LIMIT, now=LATE + round_))

        threads = [threading.Thread(target=run, args=(each,)) for each in processes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(counts) == 1, counts
        assert len(web_sent(db, conversation)) == 1


def test_a_ticket_younger_than_the_limit_gets_nothing_yet(services, handoffs, db):
    ticket = handoffs.open("conv-young", "web", "en", "normal", {}, now=OPENED)
    assert sweep(services, None, LIMIT, now=OPENED + LIMIT - 1) == 0
    assert web_sent(db, "conv-young") == []
    assert handoffs.get(ticket.id).updated_at is None
    assert handoffs.messages(ticket.id) == []
    assert sweep(services, None, LIMIT, now=OPENED + LIMIT) == 1  # at the limit, it is due


def test_a_claimed_or_closed_ticket_gets_nothing(services, handoffs, db):
    claimed = handoffs.open("conv-claimed", "web", "en", "normal", {}, now=OPENED)
    handoffs.claim(claimed.id, "ana", now=OPENED + 10)
    closed = handoffs.open("conv-closed", "web", "en", "normal", {}, now=OPENED)
    handoffs.close(closed.id, "ana", "resolved", now=OPENED + 20)
    assert sweep(services, None, LIMIT, now=LATE) == 0
    assert web_sent(db, "conv-claimed") == [] and web_sent(db, "conv-closed") == []
    # Marking a ticket that is not waiting fails too, and never recreates an expired one.
    assert not handoffs.mark_updated(claimed.id, LATE)
    assert not handoffs.mark_updated("no-such-ticket", LATE)
    assert not db.exists(keys.ticket("no-such-ticket"))


def test_an_erased_conversation_is_not_written_to_again(services, handoffs, db):
    handoffs.open("conv-erased", "web", "en", "normal", {}, now=OPENED)
    db.delete(*keys.about_conversation("conv-erased"))  # "delete my data" while waiting
    assert sweep(services, None, LIMIT, now=LATE) == 0
    assert not db.exists(keys.web_outbox("conv-erased"))


def test_a_language_puente_does_not_write_gets_the_english_update(services, handoffs, db, content):
    handoffs.open("conv-ne", "web", "ne", "normal", {}, now=OPENED)
    assert sweep(services, None, LIMIT, now=LATE) == 1
    assert web_sent(db, "conv-ne") == [still_waiting(content, "en")]


def test_an_sms_ticket_is_updated_through_the_outbound_module(
    redis_url, tmp_path, db, content, caplog
):
    app = create_app(app_config(redis_url, tmp_path, **SMS_APP_CONFIG))
    sms = app.extensions[SMS]
    conversation = sms.vault.conversation_id(PHONE)
    sms.vault.remember(conversation, PHONE, TTL)
    sms.state.mark_wrote(conversation, TTL)  # they wrote lately: texts may go to them
    services = app.extensions[EXTENSION]
    services.handoffs.open(conversation, "sms", "vi", "normal", {}, now=OPENED)
    caplog.set_level("INFO")
    assert sweep(services, sms, LIMIT, now=LATE) == 1
    assert sweep(services, sms, LIMIT, now=LATE + 60) == 0
    outbox = [SEALER.open_json(raw) for raw in db.lrange(keys.sms_outbox(), 0, -1)]
    text = content.ui_text(STILL_WAITING_TEXT, "vi")
    greeting = content.ui_text("discreet_greeting", "vi")
    assert [e["body"] for e in outbox if e["conversation"] == conversation] == [
        f"{greeting}\n{text}"
    ]
    assert web_sent(db, conversation) == []
    # The logs say an update went, never to whom or what it said.
    logged = json.dumps([vars(record) for record in caplog.records], default=str)
    assert "handoff still-waiting update" in logged
    for secret in (PHONE, conversation, text):
        assert secret not in logged


def test_an_sms_ticket_without_its_number_is_not_counted(redis_url, tmp_path, db):
    app = create_app(app_config(redis_url, tmp_path, **SMS_APP_CONFIG))
    services = app.extensions[EXTENSION]
    ticket = services.handoffs.open("conv-no-number", "sms", "en", "normal", {}, now=OPENED)
    assert sweep(services, app.extensions[SMS], LIMIT, now=LATE) == 0
    assert db.llen(keys.sms_outbox()) == 0
    assert services.handoffs.messages(ticket.id) == []  # nothing went: nothing noted
    assert marked(services, ticket.id)  # and it is not tried again and again


def test_a_sweep_without_redis_returns_zero_and_does_not_raise(tmp_path):
    app = create_app(app_config(f"redis://127.0.0.1:{free_port()}/0", tmp_path))
    assert sweep(app.extensions[EXTENSION], None, LIMIT, now=LATE) == 0


def test_the_loop_sweeps_with_the_apps_settings(app, handoffs, db, content):
    handoffs.open("conv-loop", "web", "en", "normal", {}, now=time.time() - 2 * LIMIT)
    app.config["HANDOFF_UPDATE_SECONDS"] = LIMIT
    run_forever(app, 15, Ticks(1))
    assert web_sent(db, "conv-loop") == [still_waiting(content, "en")]


def test_the_loop_outlives_a_failed_sweep(app, handoffs, db, caplog):
    handoffs.open("conv-loop", "web", "en", "normal", {}, now=OPENED)
    app.config["HANDOFF_UPDATE_SECONDS"] = "not a number"  # every sweep raises TypeError
    stop = Ticks(3)
    run_forever(app, 15, stop)  # returns: the loop went round until told to stop
    assert stop.left < 0
    failures = [r for r in caplog.records if r.getMessage() == "handoff sweep failed"]
    assert len(failures) == 3 and failures[0].error == "TypeError"
    assert web_sent(db, "conv-loop") == []


def test_an_sms_update_waits_for_the_persons_hours_and_is_not_sent_once_claimed(
    redis_url, tmp_path, db
):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    def at(hour: int, minute: int) -> float:
        return datetime(2026, 12, 2, hour, minute, tzinfo=ZoneInfo("America/New_York")).timestamp()

    app = create_app(app_config(redis_url, tmp_path, **SMS_APP_CONFIG))
    sms, services = app.extensions[SMS], app.extensions[EXTENSION]
    evening, later = "+15557650001", "+15557650002"
    tickets = []
    for phone in (evening, later):
        conversation = sms.vault.conversation_id(phone)
        sms.vault.remember(conversation, phone, TTL)
        sms.state.mark_wrote(conversation, TTL)
        summary = {"contact_time": "evening"}
        ticket = services.handoffs.open(conversation, "sms", "en", "normal", summary, now=at(10, 0))
        tickets.append(ticket)
    assert sweep(services, sms, LIMIT, now=at(10, 30)) == 0  # their hours are closed
    assert db.llen(keys.sms_outbox()) == 0 and not any(marked(services, t.id) for t in tickets)
    services.handoffs.claim(tickets[1].id, "ana", now=at(12, 0))  # an advocate took this one
    assert sweep(services, sms, LIMIT, now=at(17, 5)) == 1  # only the one still waiting
    sent = [SEALER.open_json(raw) for raw in db.lrange(keys.sms_outbox(), 0, -1)]
    assert [e["conversation"] for e in sent] == [tickets[0].conversation_id]


def test_the_sweep_command_runs_as_its_own_process_and_stops_on_sigterm(
    redis_url, handoffs, db, content
):
    """Beside gunicorn, `flask --app webhook sweep` is the one process that sweeps."""
    handoffs.open("conv-cli", "web", "pt", "normal", {}, now=time.time() - 2 * LIMIT)
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "PUENTE_DATA_KEYS": DATA_KEY,
        "PUENTE_HANDOFF_UPDATE_SECONDS": str(LIMIT),
        "PUENTE_SWEEP_INTERVAL_SECONDS": "0.2",
        "PUENTE_TRANSLATION_DIR": "",
    }
    flask = [sys.executable, "-m", "flask", "--app", "webhook", "sweep"]
    process = subprocess.Popen(flask, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not web_sent(db, "conv-cli"):
            assert time.monotonic() < deadline and process.poll() is None, "no update was sent"
            time.sleep(0.2)
        assert web_sent(db, "conv-cli") == [still_waiting(content, "pt")]
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=10)
    assert process.returncode == 0, errors
