"""The advocate console through HTTP against a real Redis: sign-in, queue, claim, reply, close.

Rasa is not running behind this app: closing hands back to a bot that does not answer, so the
person gets the fallback text (the stack test in test_console_stack.py uses the real Rasa).
"""

from __future__ import annotations

import json
import threading

import pytest

from tests.conftest import (
    CONSOLE_PASSWORD,
    HANDOFF_TTL,
    MACHINE_FROM_ENGLISH,
    MACHINE_LANGUAGE,
    MACHINE_TO_ENGLISH,
    SEALER,
    csrf_token,
    make_account,
)
from webhook import keys
from webhook.accounts import MAX_FAILED_PER_ACCOUNT
from webhook.audit import AuditLog
from webhook.handoff import Handoffs
from webhook.web_outbox import WebOutbox

TTL = HANDOFF_TTL


@pytest.fixture
def ana(db, redis_url, console_factory):
    """Ana, an advocate who reads English and Spanish, signed in."""
    make_account(redis_url, "ana", languages=("en", "es"))
    console = console_factory()
    assert console.sign_in("ana").status_code == 302
    return console


@pytest.fixture
def ben(db, redis_url, console_factory):
    """Ben, an advocate who reads English only, signed in."""
    make_account(redis_url, "ben")
    console = console_factory()
    assert console.sign_in("ben").status_code == 302
    return console


@pytest.fixture
def sam(db, redis_url, console_factory):
    """Sam, a supervisor, signed in."""
    make_account(redis_url, "sam", role="supervisor")
    console = console_factory()
    assert console.sign_in("sam").status_code == 302
    return console


def page(console, path: str) -> str:
    response = console.client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def ticket_url(ticket) -> str:
    return f"/console/tickets/{ticket.id}"


def test_nothing_is_shown_before_sign_in(db, console_factory, handoffs):
    ticket = handoffs.open("conv-1", "sms", "es", "normal", {})
    anonymous = console_factory().client
    for path in ("/console/", ticket_url(ticket), f"/console/api/tickets/{ticket.id}/messages"):
        response = anonymous.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/console/sign-in")


def test_a_wrong_password_is_refused_and_guessing_is_stopped(db, redis_url, console_factory):
    make_account(redis_url, "ana")
    console = console_factory()
    wrong = console.sign_in("ana", "not the password at all")
    assert wrong.status_code == 401
    assert "Username or password is wrong." in wrong.get_data(as_text=True)
    for _ in range(MAX_FAILED_PER_ACCOUNT - 1):
        console.sign_in("ana", "still not the password")
    blocked = console.sign_in("ana")  # the right password, too late
    assert blocked.status_code == 429
    assert console.client.get("/console/").status_code == 302  # not signed in
    actions = [e.action for e in AuditLog(db).recent()]
    assert actions.count("sign_in_failed") == MAX_FAILED_PER_ACCOUNT
    assert "sign_in_blocked" in actions


def test_a_form_posted_without_its_csrf_token_is_refused(db, redis_url, console_factory, handoffs):
    make_account(redis_url, "ana")
    console = console_factory()
    forged = console.client.post(
        "/console/sign-in", data={"username": "ana", "password": CONSOLE_PASSWORD}
    )
    assert forged.status_code == 400
    assert console.client.get("/console/").status_code == 302
    console.sign_in("ana")
    ticket = handoffs.open("conv-1", "web", "en", "normal", {})
    assert console.client.post(f"{ticket_url(ticket)}/claim").status_code == 400
    assert handoffs.get(ticket.id).status == "waiting"


def test_the_session_cookie_is_secure_httponly_and_strict(db, redis_url, app):
    make_account(redis_url, "ana")
    client = app.test_client()  # the production default: secure cookies
    sign_in = client.get("/console/sign-in", base_url="https://console.example.org")
    cookie = sign_in.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_the_queue_puts_danger_first_and_marks_languages_the_advocate_reads(ana, handoffs):
    handoffs.open("conv-1", "web", "vi", "normal", {"topic": "ask_unpaid_wages"}, now=1000)
    handoffs.open("conv-2", "sms", "es", "normal", {}, now=2000)
    danger = handoffs.open("conv-3", "sms", "en", "danger", {}, now=3000)
    html = page(ana, "/console/")
    rows = html.split('data-ticket="')[1:]
    assert rows[0].startswith(danger.id) and "DANGER" in rows[0]
    assert "Tiếng Việt" in rows[1] and "(you read it)" not in rows[1] and "Unpaid wages" in rows[1]
    assert "Español" in rows[2] and "(you read it)" in rows[2]
    only_spanish = page(ana, "/console/?language=es")
    assert only_spanish.count('data-ticket="') == 1 and "Español" in only_spanish
    mine = page(ana, "/console/?language=mine")  # Ana reads English and Spanish
    assert mine.count('data-ticket="') == 2 and "Tiếng Việt" not in mine.split("<table")[1]


def test_two_advocates_claim_at_once_and_exactly_one_holds_it(ana, ben, handoffs):
    ticket = handoffs.open("conv-1", "web", "en", "normal", {})
    consoles = {"ana": ana, "ben": ben}
    tokens = {name: csrf_token(page(c, ticket_url(ticket))) for name, c in consoles.items()}
    barrier = threading.Barrier(2)
    answers = {}

    def claim(name: str) -> None:
        barrier.wait()
        answers[name] = consoles[name].client.post(
            f"{ticket_url(ticket)}/claim", data={"csrf_token": tokens[name]}
        )

    threads = [threading.Thread(target=claim, args=(name,)) for name in consoles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winner = handoffs.get(ticket.id).advocate
    assert winner in ("ana", "ben")
    loser = "ben" if winner == "ana" else "ana"
    assert answers[winner].headers["Location"].endswith(ticket_url(ticket))
    assert answers[loser].headers["Location"].endswith("/console/")
    # The one who lost cannot read the conversation now that a colleague holds it.
    assert consoles[loser].client.get(ticket_url(ticket)).status_code == 404


def test_claiming_a_moment_too_late_says_so_and_changes_nothing(ana, ben, handoffs):
    ticket = handoffs.open("conv-1", "web", "en", "normal", {})
    late_token = csrf_token(page(ben, "/console/"))
    ana.post(f"{ticket_url(ticket)}/claim", ticket_url(ticket))
    late = ben.client.post(f"{ticket_url(ticket)}/claim", data={"csrf_token": late_token})
    assert late.headers["Location"].endswith("/console/")
    assert "Too late: a colleague claimed" in page(ben, "/console/")
    assert handoffs.get(ticket.id).advocate == "ana"
    token = {"csrf_token": late_token}
    guessed = ben.client.post("/console/tickets/not-a-ticket/claim", data=token)
    assert guessed.headers["Location"].endswith("/console/")  # the same answer: nothing learnt
    assert handoffs.get("not-a-ticket") is None


def test_an_sms_body_with_a_script_shows_as_text(ana, handoffs):
    ticket = handoffs.open("conv-1", "sms", "en", "normal", {"contact_time": "<b>after 6</b>"})
    handoffs.relay("conv-1", "<script>alert(1)</script>")
    html = page(ana, ticket_url(ticket))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>after 6</b>" not in html and "&lt;b&gt;after 6&lt;/b&gt;" in html


def test_a_guessed_ticket_id_shows_nothing(ana, ben, sam, handoffs):
    ticket = handoffs.open("conv-1", "web", "en", "normal", {})
    ana.post(f"{ticket_url(ticket)}/claim", ticket_url(ticket))
    for path in (ticket_url(ticket), f"/console/api/tickets/{ticket.id}/messages"):
        assert ben.client.get(path).status_code == 404
    assert ben.client.get("/console/tickets/" + "A" * 22).status_code == 404
    assert ben.client.get("/console/tickets/" + "x" * 5000).status_code in (404, 414)
    assert sam.client.get(ticket_url(ticket)).status_code == 200  # a supervisor sees all


def test_the_advocate_sees_that_the_person_deleted_the_conversation(ana, handoffs, db):
    from webhook.erase import erase_conversation

    ticket = handoffs.open("conv-1", "sms", "en", "normal", {"need": "housing"})
    handoffs.relay("conv-1", "my boss keeps my passport")
    ana.post(f"{ticket_url(ticket)}/claim", ticket_url(ticket))
    assert erase_conversation(db, "conv-1")
    shown = ana.client.get(ticket_url(ticket))
    html = shown.get_data(as_text=True)
    assert shown.status_code == 410 and "The person deleted this conversation" in html
    assert "passport" not in html and "housing" not in html
    polled = ana.client.get(f"/console/api/tickets/{ticket.id}/messages")
    assert polled.status_code == 410  # the open page reloads and says so
    assert ticket.id not in page(ana, "/console/")  # gone from the queue and "claimed by me"


def test_the_advocate_reads_the_summary_and_history_and_the_reply_reaches_the_web_chat(
    ana, handoffs, db
):
    summary = {
        "topic": "ask_passport",
        "need": "housing",
        "justice_goals": ["safe_housing", "documents"],
        "contact_safe": "yes",
        "share_consent": "yes",
    }
    ticket = handoffs.open("conv-web", "web", "es", "normal", summary)
    handoffs.relay("conv-web", "hola, necesito ayuda")
    ana.post(f"{ticket_url(ticket)}/claim", ticket_url(ticket))
    html = page(ana, ticket_url(ticket))
    shown_all = ("Passport or documents held", "housing", "safe_housing, documents", "hola,")
    for shown in shown_all:
        assert shown in html
    greeting = "Hola, soy Ana. ¿Estás a salvo?"
    ana.post(f"{ticket_url(ticket)}/reply", ticket_url(ticket), text=greeting)
    outbox = WebOutbox(db, TTL, SEALER).since("conv-web", 0)
    assert [m["text"] for m in outbox] == ["Hola, soy Ana. ¿Estás a salvo?"]
    ana.post(f"{ticket_url(ticket)}/note", ticket_url(ticket), note="Call back after 6pm")
    assert len(WebOutbox(db, TTL, SEALER).since("conv-web", 0)) == 1  # a note is never sent
    live = ana.client.get(f"/console/api/tickets/{ticket.id}/messages?after=1").get_json()
    assert [(m["from"], m["text"]) for m in live["messages"]] == [
        ("system", "Claimed"),
        ("advocate", "Hola, soy Ana. ¿Estás a salvo?"),
        ("note", "Call back after 6pm"),
    ]
    audit = [(e.action, e.actor) for e in AuditLog(db).recent() if e.ticket == ticket.id]
    assert ("reply", "ana") in audit and ("claim", "ana") in audit and ("view", "ana") in audit
    # The audit log keeps who did what, never what was written.
    assert "Hola" not in json.dumps([e.__dict__ for e in AuditLog(db).recent()])


def test_a_reply_to_an_sms_conversation_goes_through_the_outbound_module(
    redis_url, tmp_path, translation_dir, db
):
    from tests.conftest import SMS_APP_CONFIG, ConsoleClient, app_config
    from webhook import create_app
    from webhook.sms_channel import EXTENSION as SMS

    app = create_app(app_config(redis_url, tmp_path, SESSION_COOKIE_SECURE=False, **SMS_APP_CONFIG))
    sms = app.extensions[SMS]
    conversation = sms.vault.conversation_id("+15551234567")
    sms.vault.remember(conversation, "+15551234567", TTL)
    sms.state.mark_wrote(conversation, TTL)
    ticket = Handoffs(db, TTL, SEALER).open(conversation, "sms", "en", "normal", {})
    make_account(redis_url, "ana")
    ana = ConsoleClient(app.test_client())
    ana.sign_in("ana")
    ana.post(f"{ticket_url(ticket)}/claim", ticket_url(ticket))
    ana.post(f"{ticket_url(ticket)}/reply", ticket_url(ticket), text="Hi, this is Ana.")
    outbox = [SEALER.open_json(raw) for raw in db.lrange(keys.sms_outbox(), 0, -1)]
    sent = [e["body"] for e in outbox if e["conversation"] == conversation]
    assert sent == ["Hi.\nHi, this is Ana."]  # unprompted, so a plain greeting comes first
    assert "+15551234567" not in page(ana, ticket_url(ticket))  # never shown in the console


def test_transfer_passes_the_conversation_to_a_colleague(ana, ben, handoffs):
    ticket = handoffs.open("conv-1", "web", "en", "normal", {})
    ana.post(f"{ticket_url(ticket)}/claim", ticket_url(ticket))
    ana.post(f"{ticket_url(ticket)}/transfer", ticket_url(ticket), to="ben")
    assert handoffs.get(ticket.id).advocate == "ben"
    assert ana.client.get(ticket_url(ticket)).status_code == 404
    assert "Transferred to ben" in page(ben, ticket_url(ticket))


def test_closing_hands_back_to_the_bot_which_tells_the_person(ana, handoffs, db, content):
    ticket = handoffs.open("conv-web", "web", "en", "normal", {})
    ana.post(f"{ticket_url(ticket)}/claim", ticket_url(ticket))
    ana.post(f"{ticket_url(ticket)}/close", ticket_url(ticket), outcome="referred")
    closed = handoffs.get(ticket.id)
    assert closed.status == "closed" and closed.outcome == "referred"
    assert handoffs.relay("conv-web", "hello again") is None  # the bot has it back
    # No Rasa behind this app: the person still gets a message with a way to a person and 911.
    sent = WebOutbox(db, TTL, SEALER).since("conv-web", 0)
    assert sent and sent[-1]["text"] == content.ui_text("service_unavailable", "en")
    reply = ana.post(f"{ticket_url(ticket)}/reply", ticket_url(ticket), text="late")
    assert reply.status_code == 302 and len(WebOutbox(db, TTL, SEALER).since("conv-web", 0)) == 1


def test_a_language_the_advocate_does_not_read_is_machine_translated_both_ways(ben, handoffs, db):
    ticket = handoffs.open("conv-ne", "web", MACHINE_LANGUAGE, "normal", {})
    handoffs.relay("conv-ne", "मेरो पासपोर्ट")
    ben.post(f"{ticket_url(ticket)}/claim", ticket_url(ticket))
    html = page(ben, ticket_url(ticket))
    assert "मेरो पासपोर्ट" in html  # the original, always
    assert "Machine translation (may be wrong)" in html and MACHINE_TO_ENGLISH in html
    ben.post(f"{ticket_url(ticket)}/reply", ticket_url(ticket), text="Are you safe now?")
    sent = WebOutbox(db, TTL, SEALER).since("conv-ne", 0)[-1]["text"]
    assert MACHINE_FROM_ENGLISH in sent and "Are you safe now?" not in sent
    kept = handoffs.messages(ticket.id)[-1]
    assert kept["original"] == "Are you safe now?" and kept["text"] == sent


def test_the_console_says_when_no_translation_model_is_installed(ben, handoffs):
    ticket = handoffs.open("conv-am", "sms", "am", "normal", {})
    handoffs.relay("conv-am", "ሰላም")
    html = page(ben, ticket_url(ticket))
    assert "No machine translation is installed for am" in html and "ሰላም" in html


def test_the_supervisor_sees_figures_without_numbers_and_advocates_cannot(ana, sam, handoffs, db):
    import time

    now = time.time()
    wages = {"topic": "ask_unpaid_wages"}
    first = handoffs.open("conv-1", "sms", "es", "normal", wages, now=now - 600)
    handoffs.open("conv-2", "web", "en", "danger", {}, now=now - 300)
    handoffs.claim(first.id, "ana", now=now - 480)  # claimed after 2 minutes
    assert ana.client.get("/console/supervisor").status_code == 403
    html = page(sam, "/console/supervisor")
    week = html.split('id="figures-week"')[1]
    assert '<td data-status="waiting">1</td>' in week
    assert '<td data-status="claimed">1</td>' in week
    for shown in ("2.0 min", "Unpaid wages: 1", "SMS: 1", "Español: 1", "DANGER: 1"):
        assert shown in week
    assert first.id[:6] not in html and "conv-1" not in html


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(ana, console_app, console_factory):
    runner = console_app.test_cli_runner()
    result = runner.invoke(args=["accounts", "disable", "ana"])
    assert result.exit_code == 0, result.output
    assert ana.client.get("/console/").status_code == 302
    assert console_factory().sign_in("ana").status_code == 401


def test_an_operator_creates_accounts_from_the_command_line(db, console_app, console_factory):
    runner = console_app.test_cli_runner()
    weak = runner.invoke(args=["accounts", "create", "lu", "--password-stdin"], input="short\n")
    assert weak.exit_code != 0 and "at least 12" in weak.output
    created = runner.invoke(
        args=[
            "accounts",
            "create",
            "lu",
            "--role",
            "supervisor",
            "--languages",
            "en,zh",
            "--password-stdin",
        ],
        input=CONSOLE_PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.output
    assert "lu\tsupervisor\ten,zh\tactive" in runner.invoke(args=["accounts", "list"]).output
    assert console_factory().sign_in("lu").status_code == 302
    again = runner.invoke(
        args=["accounts", "create", "lu", "--password-stdin"], input=CONSOLE_PASSWORD + "\n"
    )
    assert again.exit_code != 0 and "already exists" in again.output


def test_sign_out_ends_the_session(ana):
    ana.post("/console/sign-out", "/console/")
    assert ana.client.get("/console/").status_code == 302


def test_one_address_guessing_across_accounts_is_stopped_but_not_its_colleagues(
    db, redis_url, tmp_path, translation_dir
):
    from tests.conftest import ConsoleClient, app_config
    from webhook import create_app
    from webhook.accounts import MAX_FAILED_PER_ADDRESS

    app = create_app(
        app_config(redis_url, tmp_path, SESSION_COOKIE_SECURE=False, TRUSTED_PROXIES=1)
    )
    names = [f"staff{n}" for n in range(MAX_FAILED_PER_ADDRESS // (MAX_FAILED_PER_ACCOUNT - 1) + 1)]
    for name in names:
        make_account(redis_url, name)
    guesser = ConsoleClient(app.test_client())
    guesser.client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    failures = 0
    for name in names:
        for _ in range(MAX_FAILED_PER_ACCOUNT - 1):  # never enough to lock one account
            if failures < MAX_FAILED_PER_ADDRESS:
                assert guesser.sign_in(name, "wrong password guess").status_code == 401
                failures += 1
    assert guesser.sign_in(names[-1]).status_code == 429  # this address is stopped
    colleague = ConsoleClient(app.test_client())
    colleague.client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
    assert colleague.sign_in(names[-1]).status_code == 302


def test_time_to_claim_is_the_median_and_the_nearest_rank_90th_percentile():
    from webhook.stats import percentile

    waits = [60.0, 120.0, 180.0, 240.0, 600.0, 30.0, 90.0, 150.0, 210.0, 3600.0]
    assert percentile(waits, 0.9) == 600.0  # 9th of 10 in order
    assert percentile([42.0], 0.9) == 42.0 and percentile([], 0.9) is None


def test_the_supervisor_reads_the_audit_log_and_advocates_cannot(ana, sam, handoffs):
    ticket = handoffs.open("conv-1", "web", "en", "normal", {})
    handoffs.relay("conv-1", "my secret words")
    ana.post(f"{ticket_url(ticket)}/claim", ticket_url(ticket))
    assert ana.client.get("/console/audit").status_code == 403
    html = page(sam, "/console/audit")
    claim_rows = [row for row in html.split("<tr>") if ">claim<" in row]
    assert claim_rows and ">ana<" in claim_rows[0] and ticket.id[:6] in claim_rows[0]
    assert "my secret words" not in html
