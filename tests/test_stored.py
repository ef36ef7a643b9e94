"""An organisation can prove what it keeps: every key about a conversation and its expiry."""

from __future__ import annotations

from tests.conftest import SMS_APP_CONFIG, app_config
from webhook import create_app, keys
from webhook.handoff import Handoffs
from webhook.sms_channel import channel

PHONE = "+15550104477"


def make_app(redis_url, tmp_path):
    return create_app(app_config(redis_url, tmp_path, **SMS_APP_CONFIG))


def conversation_with_a_ticket(app, db) -> tuple:
    """An SMS conversation as the web layer leaves it: language, number, a handoff ticket."""
    with app.app_context():
        sms = channel()
        conversation = sms.vault.conversation_id(PHONE)
        sms.vault.remember(conversation, PHONE, 3600)
        sms.state.count_message(conversation, 600)
        handoffs: Handoffs = app.extensions["puente"].handoffs
        ticket = handoffs.open(conversation, "sms", "es", "normal", {"need": "housing"})
        handoffs.relay(conversation, "mi jefe tiene mi pasaporte")
    db.hset(keys.conversation_language(conversation), mapping={"code": "es", "source": "detected"})
    db.expire(keys.conversation_language(conversation), 3600)
    return conversation, ticket.id


def test_show_prints_every_key_about_a_conversation_and_when_it_expires(db, redis_url, tmp_path):
    app = make_app(redis_url, tmp_path)
    conversation, ticket_id = conversation_with_a_ticket(app, db)
    db.set("puente:unrelated", "x", ex=60)
    shown = app.test_cli_runner().invoke(args=["data", "show", conversation]).output
    lines = shown.splitlines()[1:]
    listed = {line.split("\t")[0] for line in lines}
    expected = {
        keys.sms_address(conversation),
        keys.conversation_language(conversation),
        keys.handoff(conversation),
        keys.conversation_tickets(conversation),
        keys.ticket(ticket_id),
        keys.ticket_messages(ticket_id),
        keys.ticket_figures(ticket_id),
    }
    assert expected <= listed, shown
    assert "puente:unrelated" not in listed
    assert all("expires in" in line and "never" not in line for line in lines), shown
    assert PHONE not in shown and "pasaporte" not in shown


def test_show_and_erase_by_phone_number_read_from_stdin(db, redis_url, tmp_path):
    app = make_app(redis_url, tmp_path)
    conversation, ticket_id = conversation_with_a_ticket(app, db)
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["data", "show", "--phone-stdin"], input=PHONE + "\n").output
    assert conversation in shown and keys.ticket(ticket_id) in shown
    erased = runner.invoke(args=["data", "erase", "--phone-stdin"], input=PHONE + "\n")
    assert erased.exit_code == 0 and "keys left: 0" in erased.output
    assert not list(db.scan_iter(match=f"*{conversation}*"))
    after = runner.invoke(args=["data", "show", conversation]).output
    assert after.startswith(f"conversation {conversation}: 0 keys")


def test_show_without_an_id_is_a_usage_error(db, redis_url, tmp_path):
    result = make_app(redis_url, tmp_path).test_cli_runner().invoke(args=["data", "show"])
    assert result.exit_code != 0 and "conversation id" in result.output
