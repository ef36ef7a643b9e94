"""Texts the person did not just ask for: discreet, only to who wrote lately, in their hours."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import (
    SEALER,
    SMS_APP_CONFIG,
    ConsoleClient,
    app_config,
    make_account,
)
from webhook import create_app, keys, quiet
from webhook.delivery import OUTSIDE_WINDOW, REFUSED, deliver, send_held
from webhook.services import EXTENSION
from webhook.sms_channel import EXTENSION as SMS

PHONE = "+15550107788"
TTL = 3600
ZONE = ZoneInfo("America/New_York")  # the test app's office zone (webhook/config.py default)


def at(hour: int, minute: int = 0) -> float:
    """A moment on 2026-12-02 at this local time in the organisation's zone."""
    return datetime(2026, 12, 2, hour, minute, tzinfo=ZONE).timestamp()


@pytest.fixture
def sms_app(redis_url, tmp_path, db):
    return create_app(
        app_config(redis_url, tmp_path, SESSION_COOKIE_SECURE=False, **SMS_APP_CONFIG)
    )


def sms_ticket(app, summary, wrote=True):
    sms = app.extensions[SMS]
    conversation = sms.vault.conversation_id(PHONE)
    sms.vault.remember(conversation, PHONE, TTL)
    if wrote:
        sms.state.mark_wrote(conversation, TTL)
    return app.extensions[EXTENSION].handoffs.open(conversation, "sms", "en", "normal", summary)


def texted(db, conversation):
    outbox = [SEALER.open_json(raw) for raw in db.lrange(keys.sms_outbox(), 0, -1)]
    return [e["body"] for e in outbox if e["conversation"] == conversation]


def say(app, ticket, text, now=None):
    with app.app_context():
        return deliver(
            app.extensions[EXTENSION], app.extensions[SMS], ticket, [{"text": text}], now=now
        )


def test_an_unprompted_text_starts_with_the_persons_code_word(sms_app, db):
    ticket = sms_ticket(sms_app, {"code_word": "Tulip", "contact_time": "any"})
    assert say(sms_app, ticket, "Are you somewhere safe?").sent
    assert texted(db, ticket.conversation_id) == ["Tulip.\nAre you somewhere safe?"]


def test_without_a_code_word_it_starts_with_a_plain_greeting_in_their_language(sms_app, db):
    ticket = sms_ticket(sms_app, {"code_word": "skipped"})
    with sms_app.app_context():
        sent = deliver(
            sms_app.extensions[EXTENSION], sms_app.extensions[SMS], ticket, [{"text": "x"}], "es"
        )
    assert sent.sent and texted(db, ticket.conversation_id) == ["Hola.\nx"]


def test_in_quiet_hours_it_is_held_then_sent_when_their_window_opens(sms_app, db):
    ticket = sms_ticket(sms_app, {"contact_time": "evening", "code_word": "Tulip"})
    outcome = say(sms_app, ticket, "I can talk now.", now=at(10, 30))
    assert not outcome.sent and outcome.held_until.hour == 17
    assert texted(db, ticket.conversation_id) == []  # nothing during the day
    # Held encrypted: the words are not in Redis in clear.
    assert b"I can talk" not in b"".join(db.lrange(keys.sms_held(ticket.conversation_id), 0, -1))
    sms = sms_app.extensions[SMS]
    assert send_held(sms_app.extensions[EXTENSION], sms, now=at(16, 59)) == 0
    assert send_held(sms_app.extensions[EXTENSION], sms, now=at(17, 1)) == 1
    assert texted(db, ticket.conversation_id) == ["Tulip.\nI can talk now."]
    assert send_held(sms_app.extensions[EXTENSION], sms, now=at(18)) == 0  # sent once


def test_deleting_the_conversation_deletes_its_held_texts(sms_app, db):
    from webhook.erase import erase_conversation

    ticket = sms_ticket(sms_app, {"contact_time": "evening"})
    assert say(sms_app, ticket, "Later.", now=at(10)).held_until is not None
    assert erase_conversation(db, ticket.conversation_id)
    assert db.zscore(keys.sms_held_due(), ticket.conversation_id) is None
    assert not db.exists(keys.sms_held(ticket.conversation_id))
    assert send_held(sms_app.extensions[EXTENSION], sms_app.extensions[SMS], now=at(17, 5)) == 0


def test_a_text_inside_their_window_goes_at_once(sms_app, db):
    ticket = sms_ticket(sms_app, {"contact_time": "morning"})
    assert say(sms_app, ticket, "Good morning.", now=at(9)).sent
    assert texted(db, ticket.conversation_id) == ["Hi.\nGood morning."]


def test_nothing_goes_to_a_number_that_has_not_written_lately(sms_app, db):
    ticket = sms_ticket(sms_app, {}, wrote=False)
    outcome = say(sms_app, ticket, "Hello?")
    assert not outcome.sent and outcome.reason == OUTSIDE_WINDOW
    assert texted(db, ticket.conversation_id) == []


def test_a_held_text_is_dropped_if_they_stopped_writing_before_it_was_due(sms_app, db):
    ticket = sms_ticket(sms_app, {"contact_time": "evening"})
    assert say(sms_app, ticket, "Later.", now=at(10)).held_until is not None
    db.delete(keys.sms_wrote(ticket.conversation_id))  # the outbound window closed meanwhile
    assert send_held(sms_app.extensions[EXTENSION], sms_app.extensions[SMS], now=at(17, 5)) == 0
    assert texted(db, ticket.conversation_id) == []


def test_nothing_goes_to_a_number_that_opted_out(sms_app, db):
    ticket = sms_ticket(sms_app, {})
    sms_app.extensions[SMS].state.set_opted_out(ticket.conversation_id, True)
    outcome = say(sms_app, ticket, "Hello?")
    assert not outcome.sent and outcome.reason == REFUSED
    assert texted(db, ticket.conversation_id) == []


def test_the_advocate_is_told_what_became_of_the_reply(sms_app, redis_url, db):
    ticket = sms_ticket(sms_app, {"code_word": "Tulip", "contact_safe": "yes"}, wrote=False)
    make_account(redis_url, "ana")
    ana = ConsoleClient(sms_app.test_client())
    ana.sign_in("ana")
    url = f"/console/tickets/{ticket.id}"
    ana.post(f"{url}/claim", url)
    page = ana.client.get(url).get_data(as_text=True)
    assert 'starts with "Tulip."' in page.replace("&#34;", '"')  # the advocate knows the opener
    answer = ana.post(f"{url}/reply", url, text="Hi, this is Ana.")
    shown = ana.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Not sent" in shown and "(not sent)" in shown
    assert texted(db, ticket.conversation_id) == []


@pytest.mark.parametrize(
    ("choice", "hour", "opens"),
    [
        ("morning", 7, 8),
        ("morning", 8, None),
        ("morning", 12, 8),  # tomorrow
        ("afternoon", 16, None),
        ("evening", 21, 17),  # tomorrow
        ("any", 3, None),
        ("after 6 pm", 3, None),  # their own words: the advocate reads them; no automatic hold
        (None, 3, None),
    ],
)
def test_the_windows(choice, hour, opens):
    now = datetime(2026, 12, 2, hour, 15, tzinfo=ZONE)
    got = quiet.next_allowed(choice, now)
    assert (got.hour if got else None) == opens
    if got is not None:
        assert got > now and (got - now).total_seconds() < 24 * 3600


def test_the_button_titles_show_the_hours_the_code_holds(content):
    buttons = content.response("utter_ask_contact_time", "en")["buttons"]
    titles = {b["payload"].removeprefix("time:"): b["title"] for b in buttons}
    assert "8 am to 12" in titles["morning"] and quiet.CONTACT_WINDOWS["morning"] == (8, 12)
    assert "12 to 5 pm" in titles["afternoon"] and quiet.CONTACT_WINDOWS["afternoon"] == (12, 17)
    assert "5 to 9 pm" in titles["evening"] and quiet.CONTACT_WINDOWS["evening"] == (17, 21)
