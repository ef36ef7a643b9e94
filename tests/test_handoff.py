"""Handoff tickets against a real Redis: relay, claim races, danger first, close; office hours."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from tests.conftest import HANDOFF_TTL, app_config
from webhook import create_app, keys
from webhook.handoff import CLAIMED, CLOSED, WAITING
from webhook.office_hours import OfficeHours
from webhook.services import services
from webhook.turns import Reply, in_english_with_notice, what_happens_next

TTL = HANDOFF_TTL


def test_while_a_person_has_the_conversation_every_message_goes_to_them(handoffs, db):
    assert handoffs.relay("conv-a", "hello?") is None  # the bot has it: nothing relayed
    ticket = handoffs.open("conv-a", "web", "es", "normal", {"need": "housing"})
    assert ticket.status == WAITING and ticket.summary == {"need": "housing"}
    assert handoffs.relay("conv-a", "<script>alert(1)</script>") == ticket.id
    assert [m["text"] for m in handoffs.messages(ticket.id)] == ["<script>alert(1)</script>"]
    assert handoffs.open("conv-a", "web", "es", "normal", {}).id == ticket.id  # never two
    assert 0 < db.ttl(keys.ticket(ticket.id)) <= TTL  # nothing kept forever
    assert 0 < db.ttl(keys.ticket_messages(ticket.id)) <= TTL


def test_danger_waits_ahead_of_everyone_and_an_open_ticket_can_become_danger(handoffs):
    first = handoffs.open("conv-1", "sms", "en", "normal", {}, now=1000)
    second = handoffs.open("conv-2", "web", "es", "normal", {}, now=2000)
    danger = handoffs.open("conv-3", "sms", "vi", "danger", {}, now=3000)
    assert [t.id for t in handoffs.waiting()] == [danger.id, first.id, second.id]
    raised = handoffs.open("conv-2", "web", "es", "danger", {})
    assert raised.id == second.id
    # Danger first, and among danger the one waiting longest.
    assert [t.id for t in handoffs.waiting()] == [second.id, danger.id, first.id]


def test_two_advocates_race_for_one_ticket_and_exactly_one_wins(handoffs):
    for round_ in range(20):
        ticket = handoffs.open(f"conv-{round_}", "web", "en", "normal", {})
        barrier = threading.Barrier(2)
        wins = []

        def claim(name, ticket_id=ticket.id, barrier=barrier, wins=wins):
            barrier.wait()
            if handoffs.claim(ticket_id, name):
                wins.append(name)

        threads = [threading.Thread(target=claim, args=(name,)) for name in ("ana", "ben")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(wins) == 1, wins
        claimed = handoffs.get(ticket.id)
        assert claimed.status == CLAIMED and claimed.advocate == wins[0]
        assert ticket.id not in [t.id for t in handoffs.waiting()]


def test_closing_hands_the_conversation_back_once(handoffs):
    ticket = handoffs.open("conv-b", "sms", "en", "normal", {})
    handoffs.claim(ticket.id, "ana")
    closed = handoffs.close(ticket.id, "ana", "referred")
    assert closed.status == CLOSED and closed.outcome == "referred"
    assert handoffs.active("conv-b") is None
    assert handoffs.relay("conv-b", "thanks") is None  # the bot answers again
    assert handoffs.close(ticket.id, "ana", "resolved") is None  # already closed
    with pytest.raises(ValueError):
        handoffs.close(ticket.id, "ana", "whatever")


def test_a_new_handoff_after_a_closed_one_is_a_new_ticket(handoffs):
    first = handoffs.open("conv-c", "web", "en", "normal", {})
    handoffs.close(first.id, "ana", "resolved")
    second = handoffs.open("conv-c", "web", "en", "normal", {})
    assert second.id != first.id and second.status == WAITING


OFFICE = OfficeHours.parse("mon-fri 09:00-17:00", "America/Chicago", "2026-12-25")


@pytest.mark.parametrize(
    ("now", "opens"),
    [
        # Friday 18:00 in Chicago (00:00 UTC Saturday): opens Monday 09:00.
        ("2026-12-05T00:00:00+00:00", "2026-12-07T09:00:00-06:00"),
        # Christmas Eve after hours: Christmas is a holiday, so Saturday, Sunday... Monday the 28th.
        ("2026-12-24T23:30:00+00:00", "2026-12-28T09:00:00-06:00"),
        # Early on a Tuesday: the same morning.
        ("2026-12-01T12:10:00+00:00", "2026-12-01T09:00:00-06:00"),
    ],
)
def test_after_hours_the_next_opening_skips_weekends_and_holidays(now, opens):
    when = datetime.fromisoformat(now)
    assert not OFFICE.is_open(when)
    assert OFFICE.next_opening(when) == datetime.fromisoformat(opens)


def test_what_happens_next_is_honest_about_the_hour(redis_url, tmp_path):
    app = create_app(
        app_config(
            redis_url,
            tmp_path,
            OFFICE_HOURS="mon-fri 09:00-17:00",
            OFFICE_TIMEZONE="America/Chicago",
        )
    )
    with app.app_context():
        svc = services()
        saturday = datetime(2026, 12, 5, 18, 0, tzinfo=timezone.utc)
        after = what_happens_next(svc, "es", now=saturday)
        assert "lun 09:00" in after and "1-888-373-7888" in after and "911" in after
        tuesday_noon = datetime(2026, 12, 1, 18, 0, tzinfo=timezone.utc)
        assert what_happens_next(svc, "en", now=tuesday_noon) == svc.content.ui_text(
            "handoff_open", "en"
        )


def test_a_handoff_asked_in_a_language_puente_cannot_write_still_opens(redis_url, tmp_path):
    command = {"puente_command": "handoff", "priority": "danger", "summary": {}}
    reply = Reply(language="en", messages=[{"text": "x", "buttons": []}], commands=[command])
    with create_app(app_config(redis_url, tmp_path)).app_context():
        shown = in_english_with_notice(services(), reply, "de")
    assert shown.commands == [command]  # turns.handle opens the ticket from it


def test_a_ticket_that_expired_unclaimed_leaves_the_queue(handoffs, db):
    gone = handoffs.open("conv-gone", "web", "en", "normal", {})
    kept = handoffs.open("conv-kept", "web", "en", "normal", {})
    db.delete(keys.ticket(gone.id))  # what its TTL does
    assert [t.id for t in handoffs.waiting()] == [kept.id]
    assert db.zscore(keys.handoff_queue(), gone.id) is None


def test_the_person_can_leave_the_line_only_while_nobody_has_claimed_it(handoffs):
    waiting = handoffs.open("conv-w", "sms", "es", "normal", {})
    left = handoffs.leave("conv-w")
    assert left.status == CLOSED and left.outcome == "left"
    assert handoffs.relay("conv-w", "hola") is None and handoffs.waiting() == []
    assert handoffs.messages(waiting.id)[-1]["text"] == "left"
    claimed = handoffs.open("conv-c", "web", "en", "normal", {})
    handoffs.claim(claimed.id, "ana")
    assert handoffs.leave("conv-c") is None  # a person has it: the words go to them
    assert handoffs.get(claimed.id).status == CLAIMED
    assert handoffs.leave("conv-nobody") is None


@pytest.mark.parametrize(
    "text, leaves",
    [
        ("back to Puente", True),
        ('"Volver a Puente!"', True),
        ("VOLVER AL BOT", True),
        ("volver a puente por favor, quiero saber de visas", False),
        ("puente", False),
    ],
)
def test_leaving_is_the_whole_message_in_any_case_accents_or_quotes(text, leaves):
    from tests.conftest import REPO
    from webhook.leave_queue import LeavePhrases

    assert LeavePhrases.load(REPO / "content").said(text) is leaves


def test_claimed_tickets_are_listed_until_closed(handoffs):
    first = handoffs.open("conv-1", "web", "en", "normal", {})
    second = handoffs.open("conv-2", "sms", "es", "normal", {})
    handoffs.claim(first.id, "ana", now=10)
    handoffs.claim(second.id, "ben", now=20)
    assert [t.id for t in handoffs.claimed()] == [first.id, second.id]
    handoffs.close(first.id, "ana", "resolved")
    assert [t.id for t in handoffs.claimed()] == [second.id]


def test_deleting_the_conversation_deletes_its_tickets_and_what_they_say(handoffs, db):
    from webhook.erase import erase_conversation

    first = handoffs.open("conv-del", "web", "es", "normal", {"need": "housing"})
    handoffs.relay("conv-del", "mi patron me amenaza")
    handoffs.claim(first.id, "ana")
    handoffs.close(first.id, "ana", "referred")
    second = handoffs.open("conv-del", "web", "es", "danger", {})
    db.hset(keys.ticket_translations(second.id), "0", "my boss threatens me")
    other = handoffs.open("conv-other", "web", "en", "normal", {})
    assert erase_conversation(db, "conv-del")
    for ticket_id in (first.id, second.id):
        assert not any(db.exists(key) for key in keys.about_ticket(ticket_id))
        assert not any(db.zscore(listing, ticket_id) for listing in keys.ticket_lists())
    assert [t.id for t in handoffs.waiting()] == [other.id]  # nobody else's is touched
    assert not list(db.scan_iter(match="*conv-del*"))
    # Only the anonymous counts remain, and they say the person deleted it.
    counted = {t.id: t for t in handoffs.opened_since(0)}
    assert counted[first.id].deleted and counted[first.id].outcome == "referred"
    assert counted[second.id].deleted and counted[second.id].priority == "danger"
    assert not counted[other.id].deleted
    assert handoffs.deleted(first.id) and not handoffs.deleted(other.id)
    for ticket_id in (first.id, second.id):
        kept = {
            k.decode(): v.decode() for k, v in db.hgetall(keys.ticket_figures(ticket_id)).items()
        }
        assert "conv-del" not in str(kept) and "housing" not in str(kept)
        assert 0 < db.ttl(keys.ticket_figures(ticket_id)) <= 90 * 86_400
