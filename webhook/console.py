"""The advocate console: sign in, the queue, one conversation, the supervisor's figures."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from webhook import delivery, keys, sms_channel, stats, turns
from webhook.accounts import Account, Accounts, SignInThrottle
from webhook.audit import AuditLog
from webhook.content import fill
from webhook.handoff import (
    ADVOCATE,
    CLAIMED,
    CLOSED,
    NOTE,
    OUTCOMES,
    SURVIVOR,
    SYSTEM,
    WAITING,
    Ticket,
)
from webhook.machine import PIVOT
from webhook.services import services
from webhook.yamlfile import read_yaml

bp = Blueprint("console", __name__, url_prefix="/console")

TEXT_EXTENSION = "puente.console_text"
CONSOLE_TEXT_FILE = "console.yml"
MAX_REPLY_CHARS = 1000  # three SMS segments' worth and then some; the outbound module splits
MAX_NOTE_CHARS = 2000
MAX_TICKET_ID_CHARS = 64  # ids are 22 characters; anything far longer is not looked up
WEEK_DAYS = 7


class ConsoleForm(FlaskForm):
    """A console form: reads posted form fields only, never a JSON body as Flask-WTF would."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if request.is_json:
                return None  # a JSON post is simply not a submitted form
            return super().wrap_formdata(form, formdata)


class SignInForm(ConsoleForm):
    username = StringField(validators=[DataRequired(), Length(max=40)])
    password = PasswordField(validators=[DataRequired(), Length(max=200)])


class ActionForm(ConsoleForm):
    """A button that changes something (claim, sign out): only its CSRF token."""


class ReplyForm(ConsoleForm):
    text = TextAreaField(validators=[DataRequired(), Length(max=MAX_REPLY_CHARS)])


class NoteForm(ConsoleForm):
    note = TextAreaField(validators=[DataRequired(), Length(max=MAX_NOTE_CHARS)])


class TransferForm(ConsoleForm):
    to = SelectField(choices=[], validate_choice=True)


class CloseForm(ConsoleForm):
    outcome = SelectField(choices=[(name, name) for name in OUTCOMES], validate_choice=True)


def load_text(content_dir: Path) -> Dict[str, str]:
    """The console's words (content/console.yml)."""
    doc = read_yaml(content_dir / CONSOLE_TEXT_FILE) or {}
    return {name: str(spec["text"]) for name, spec in (doc.get("console") or {}).items()}


def init_app(app: Flask) -> None:
    """Sign-in (Flask-Login), the console's words and its blueprint."""
    app.extensions[TEXT_EXTENSION] = load_text(Path(app.config["CONTENT_DIR"]))
    login = LoginManager()
    login.init_app(app)
    login.login_view = "console.sign_in"
    login.login_message = None  # the sign-in page says what it is; no flash on redirect
    login.session_protection = "strong"

    @login.user_loader
    def load_account(username: str) -> Optional[Account]:
        account = Accounts(services().redis).get(username)
        # A disabled account is signed out at its next request.
        return account if account is not None and account.is_active else None

    app.register_blueprint(bp)


def words() -> Dict[str, str]:
    """The console's words, for templates and messages."""
    return current_app.extensions[TEXT_EXTENSION]


def audit(action: str, ticket: str = "", detail: str = "") -> None:
    """Records what the signed-in user did."""
    AuditLog(services().redis).record(current_user.username, action, ticket, detail)


@bp.context_processor
def template_globals() -> Dict[str, Any]:
    return {
        "t": words(),
        "action_form": ActionForm(),
        "language_name": language_name,
        "topic_name": topic_name,
        "outcome_name": lambda code: words().get(f"outcome_{code}", code),
        "channel_name": lambda code: words().get(f"channel_{code}", code),
        "priority_name": lambda code: words().get(f"priority_{code}", code),
    }


def topic_name(code: str) -> str:
    """What a topic (an intent name) means, in the console's words."""
    return words().get(f"topic_{code}", code)


def language_name(code: str) -> str:
    """A language's own name where Puente has one, else its code."""
    store = services().content
    return store.ui_text("language_name", code) if code in store.languages else code


# Sign-in and sign-out.


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """The sign-in page; failed attempts are counted and, past a limit, refused for a while."""
    if current_user.is_authenticated:
        return redirect(url_for(".queue"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        connection = services().redis
        throttle = SignInThrottle(connection)
        address = request.remote_addr or ""
        username = form.username.data.strip().lower()
        accounts = Accounts(connection)
        # A mistyped password in the name field must not land in the log: unknown names are "?".
        actor = username if accounts.get(username) is not None else "?"
        if throttle.blocked(username, address):
            AuditLog(connection).record(actor, "sign_in_blocked")
            flash(words()["sign_in_blocked"], "error")
            status = 429
        else:
            account = accounts.verify(username, form.password.data)
            if account is None:
                throttle.failed(username, address)
                AuditLog(connection).record(actor, "sign_in_failed")
                flash(words()["sign_in_failed"], "error")
                status = 401
            else:
                login_user(account)
                audit("sign_in")
                return redirect(url_for(".queue"))
    elif request.method == "POST":
        status = 400
    return render_template("console/sign_in.html", form=form), status


@bp.post("/sign-out")
@login_required
def sign_out():
    """Signs out (a POST with its CSRF token, so no link can sign anyone out)."""
    require(ActionForm())
    audit("sign_out")
    logout_user()
    return redirect(url_for(".sign_in"))


# Who may see what.


def visible(ticket: Optional[Ticket], account: Account) -> bool:
    """A supervisor sees every ticket; an advocate waiting ones and those they hold or held."""
    if ticket is None:
        return False
    return account.is_supervisor or ticket.status == WAITING or ticket.advocate == account.username


def ticket_or_404(ticket_id: str) -> Ticket:
    """The ticket, if it exists and the signed-in user may see it; else 404, as if absent."""
    ticket = services().handoffs.get(ticket_id) if len(ticket_id) <= MAX_TICKET_ID_CHARS else None
    if ticket is None and len(ticket_id) <= MAX_TICKET_ID_CHARS:
        if services().handoffs.deleted(ticket_id):
            # Nothing of the person is left to show; the advocate learns why the chat is gone.
            abort(make_response(render_template("console/deleted.html"), 410))
    if not visible(ticket, current_user):
        abort(404)  # never 403: a guessed id must not learn that the ticket exists
    return ticket  # type: ignore[return-value]


def holds(ticket: Ticket, account: Account) -> bool:
    """True when this user may write in the conversation: they claimed it."""
    return ticket.status == CLAIMED and ticket.advocate == account.username


# The queue.


def queue_rows(
    account: Account, language: str = "", waiting: Optional[List[Ticket]] = None
) -> Dict[str, List[Dict[str, Any]]]:
    """Waiting tickets (danger first) and those the user holds, as the queue shows them."""
    handoffs = services().handoffs
    now = time.time()
    waiting = handoffs.waiting() if waiting is None else waiting
    waiting = [t for t in waiting if shown(t.language, language, account)]
    held = [
        t for t in handoffs.claimed() if t.advocate == account.username or account.is_supervisor
    ]
    return {
        "waiting": [row(t, account, now) for t in waiting],
        "held": [row(t, account, now) for t in held],
    }


MY_LANGUAGES = "mine"  # the filter value for "languages I read"


def shown(language: str, chosen: str, account: Account) -> bool:
    """True when the queue's language filter lets this language through."""
    if chosen == MY_LANGUAGES:
        return account.reads(language)
    return not chosen or language == chosen


def row(ticket: Ticket, account: Account, now: float) -> Dict[str, Any]:
    """One ticket as a line of the queue; no phone number, no message text."""
    return {
        "id": ticket.id,
        "ref": ticket.id[:6],
        "priority": ticket.priority,
        "language": ticket.language,
        "language_name": language_name(ticket.language),
        "reads": account.reads(ticket.language),
        "channel": ticket.channel,
        "minutes": int((now - ticket.created_at) // 60),
        "topic": topic_name(str(ticket.summary.get("topic") or stats.UNKNOWN_TOPIC)),
        "advocate": ticket.advocate,
        "url": url_for(".ticket_page", ticket_id=ticket.id),
    }


@bp.get("/")
@login_required
def queue():
    """The queue: danger first, then oldest; the user's languages marked and filterable."""
    language = request.args.get("language", "")[:12]
    waiting = services().handoffs.waiting()
    rows = queue_rows(current_user, language, waiting)
    languages = sorted({t.language for t in waiting})
    return render_template("console/queue.html", rows=rows, language=language, languages=languages)


@bp.get("/api/queue")
@login_required
def queue_json():
    """The queue for the page's live refresh."""
    return jsonify(queue_rows(current_user, request.args.get("language", "")[:12]))


# One conversation.


def machine_for(ticket: Ticket, account: Account) -> Dict[str, Any]:
    """Whether the console translates this conversation for this advocate, and whether it can."""
    needed = not account.reads(ticket.language) and ticket.language != PIVOT
    machine = services().machine
    available = bool(machine and ticket.language in machine.languages)
    return {"needed": needed, "available": needed and available}


def translated(ticket: Ticket, number: int, text: str) -> Optional[str]:
    """The survivor's message number `number` in English, translated once and kept encrypted."""
    connection, sealer = services().redis, services().sealer
    key = keys.ticket_translations(ticket.id)
    cached = sealer.open(connection.hget(key, str(number)))
    if cached is not None:
        return cached
    english = services().machine.to_english(text, ticket.language)
    if english is not None:
        with connection.pipeline() as pipe:
            pipe.hset(key, str(number), sealer.seal(english))
            pipe.expire(key, services().retention_seconds)
            pipe.execute()
    return english


def clock(timestamp: float) -> str:
    """A time of day in the organisation's time zone (the one its office hours are in)."""
    zone = ZoneInfo(services().office_hours.zone)
    return datetime.fromtimestamp(timestamp, zone).strftime("%H:%M")


def delivery_state(message: Dict[str, Any]) -> str:
    """Says "held until 17:00" or "not sent" for an advocate's reply that did not go at once."""
    if message.get("held"):
        return words()["state_held"].replace("{time}", str(message["held"]))
    return words()["state_not_sent"] if message.get("undelivered") else ""


def history(ticket: Ticket, account: Account, after: int = 0) -> List[Dict[str, Any]]:
    """The conversation since the handoff, with translations where the advocate needs them."""
    machine = machine_for(ticket, account)
    lines = []
    for number, message in enumerate(services().handoffs.messages(ticket.id, after), after):
        line = {
            "number": number,
            "from": message.get("from", SYSTEM),
            "text": message.get("text", ""),
            "by": message.get("by", ""),
            "original": message.get("original", ""),
            "time": clock(message.get("at", 0)),
            "translation": "",
            "state": delivery_state(message),
        }
        if line["from"] == SYSTEM:
            event = words().get("event_" + line["text"])
            line["text"] = fill(event, message) if event else line["text"]
        if line["from"] == SURVIVOR and machine["available"]:
            line["translation"] = translated(ticket, number, line["text"]) or ""
        lines.append(line)
    return lines


def transfer_choices(account: Account) -> List[tuple]:
    """Colleagues a conversation can pass to: active accounts other than the user."""
    return [
        (other.username, f"{other.name} ({', '.join(other.languages) or '-'})")
        for other in Accounts(services().redis).all()
        if other.is_active and other.username != account.username
    ]


@bp.get("/tickets/<ticket_id>")
@login_required
def ticket_page(ticket_id: str):
    """One conversation: the summary Puente gathered, the history, and what the user can do."""
    ticket = ticket_or_404(ticket_id)
    audit("view", ticket.id)
    transfer = TransferForm()
    transfer.to.choices = transfer_choices(current_user)
    lines = history(ticket, current_user)
    return render_template(
        "console/ticket.html",
        ticket=ticket,
        lines=lines,
        next_number=len(lines),
        machine=machine_for(ticket, current_user),
        opener=delivery.opener(services(), ticket, ticket.language),
        holds=holds(ticket, current_user),
        reply_form=ReplyForm(),
        note_form=NoteForm(),
        transfer_form=transfer,
        close_form=CloseForm(),
    )


@bp.get("/api/tickets/<ticket_id>/messages")
@login_required
def messages_json(ticket_id: str):
    """Messages from number `after` on, for the page's live view."""
    ticket = ticket_or_404(ticket_id)
    after = request.args.get("after", "0")
    after_number = int(after) if after.isdigit() else 0
    lines = history(ticket, current_user, after_number)
    return jsonify(
        {
            "messages": lines,
            "next": after_number + len(lines),
            "status": ticket.status,
            "advocate": ticket.advocate,
        }
    )


def back_to(ticket: Ticket):
    return redirect(url_for(".ticket_page", ticket_id=ticket.id))


def require(form: FlaskForm) -> None:
    """Refuses (400) a form that is not valid, a missing or wrong CSRF token included."""
    if not form.validate_on_submit():
        abort(400)


def refused(ticket: Ticket):
    """Back to the conversation, saying the user does not hold it (closed or transferred)."""
    flash(words()["not_holding"], "error")
    return back_to(ticket)


@bp.post("/tickets/<ticket_id>/claim")
@login_required
def claim(ticket_id: str):
    """Takes a waiting conversation; only one advocate can win it."""
    require(ActionForm())
    handoffs = services().handoffs
    # No 404 here: whoever clicks a moment too late, or posts a guessed id, gets the same answer.
    if len(ticket_id) <= MAX_TICKET_ID_CHARS and handoffs.claim(ticket_id, current_user.username):
        handoffs.add_message(ticket_id, SYSTEM, "claimed", by=current_user.username)
        audit("claim", ticket_id)
        return redirect(url_for(".ticket_page", ticket_id=ticket_id))
    flash(words()["claim_lost"], "error")
    return redirect(url_for(".queue"))


def send_to_survivor(ticket: Ticket, messages: List[Dict[str, Any]]) -> delivery.Delivery:
    """Sends texts to the survivor their way (SMS or the open web chat), discreetly."""
    return delivery.deliver(
        services(), current_app.extensions.get(sms_channel.EXTENSION), ticket, messages
    )


def tell_advocate(outcome: delivery.Delivery) -> None:
    """Says what became of a reply that did not go at once: held for their hours, or not sent."""
    if outcome.held_until is not None:
        flash(words()["reply_held"].replace("{time}", outcome.held_until.strftime("%H:%M")), "info")
    elif outcome.reason == delivery.OUTSIDE_WINDOW:
        flash(words()["reply_outside_window"], "error")
    elif not outcome.sent:
        flash(words()["reply_undelivered"], "error")


def translated_reply(ticket: Ticket, text: str) -> Optional[str]:
    """The advocate's English reply in the survivor's language, marked as a machine's; or None."""
    notice = services().content.ui_text("machine_translation_notice", PIVOT)
    out = services().machine.from_english(
        [{"text": notice, "buttons": []}, {"text": text, "buttons": []}], ticket.language
    )
    if out is None:
        return None
    return f"{out[1]['text']}\n{out[0]['text']}"


@bp.post("/tickets/<ticket_id>/reply")
@login_required
def reply(ticket_id: str):
    """Sends the advocate's reply; translated, with a marker, when they do not share a language."""
    ticket = ticket_or_404(ticket_id)
    form = ReplyForm()
    require(form)
    if not holds(ticket, current_user):
        return refused(ticket)
    typed = form.text.data.strip()
    sent = typed
    if machine_for(ticket, current_user)["available"]:
        sent = translated_reply(ticket, typed) or typed
    outcome = send_to_survivor(ticket, [{"text": sent, "buttons": []}])
    held = outcome.held_until.strftime("%H:%M") if outcome.held_until else ""
    services().handoffs.add_message(
        ticket.id,
        ADVOCATE,
        sent,
        by=current_user.username,
        original=typed if sent != typed else "",
        undelivered="" if outcome.accepted else "1",
        held=held,
    )
    audit("reply", ticket.id, "held" if held else "delivered" if outcome.sent else "undelivered")
    tell_advocate(outcome)
    return back_to(ticket)


@bp.post("/tickets/<ticket_id>/note")
@login_required
def note(ticket_id: str):
    """A private note, kept with the conversation and never sent."""
    ticket = ticket_or_404(ticket_id)
    form = NoteForm()
    require(form)
    if not (holds(ticket, current_user) or current_user.is_supervisor):
        return refused(ticket)
    text = form.note.data.strip()
    services().handoffs.add_message(ticket.id, NOTE, text, by=current_user.username)
    audit("note", ticket.id)
    return back_to(ticket)


@bp.post("/tickets/<ticket_id>/transfer")
@login_required
def transfer(ticket_id: str):
    """Passes the conversation to a colleague (its holder, or a supervisor, can)."""
    ticket = ticket_or_404(ticket_id)
    form = TransferForm()
    form.to.choices = transfer_choices(current_user)
    require(form)
    moved = services().handoffs.transfer(
        ticket.id, current_user.username, form.to.data, override=current_user.is_supervisor
    )
    if not moved:
        return refused(ticket)
    services().handoffs.add_message(
        ticket.id, SYSTEM, "transferred", by=current_user.username, to=form.to.data
    )
    audit("transfer", ticket.id, f"to {form.to.data}")
    flash(words()["transferred"], "info")
    return redirect(url_for(".queue"))


@bp.post("/tickets/<ticket_id>/close")
@login_required
def close(ticket_id: str):
    """Closes with an outcome; the bot takes the conversation back and tells the survivor."""
    ticket = ticket_or_404(ticket_id)
    form = CloseForm()
    require(form)
    if not (holds(ticket, current_user) or current_user.is_supervisor):
        return refused(ticket)
    closed = services().handoffs.close(ticket.id, current_user.username, form.outcome.data)
    if closed is None:
        return refused(ticket)
    services().handoffs.add_message(
        ticket.id, SYSTEM, "closed", by=current_user.username, outcome=form.outcome.data
    )
    handed_back = turns.hand_back(services(), closed)
    send_to_survivor(closed, handed_back.messages)
    audit("close", ticket.id, form.outcome.data)
    flash(words()["closed"], "info")
    return redirect(url_for(".queue"))


# The supervisor.


def supervisor_required() -> None:
    if not current_user.is_supervisor:
        abort(403)


@bp.get("/supervisor")
@login_required
def supervisor():
    """Today's and the last 7 days' figures; counts only, no numbers, no text."""
    supervisor_required()
    now = time.time()
    zone = ZoneInfo(services().office_hours.zone)
    midnight = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    tickets = services().handoffs.opened_since(now - timedelta(days=WEEK_DAYS).total_seconds())
    periods = {
        "today": stats.figures(tickets, midnight.timestamp()),
        "week": stats.figures(tickets, now - timedelta(days=WEEK_DAYS).total_seconds()),
    }
    audit("view_figures")
    statuses = (WAITING, CLAIMED, CLOSED)
    return render_template("console/supervisor.html", periods=periods, statuses=statuses)


@bp.get("/audit")
@login_required
def audit_page():
    """The newest audit entries."""
    supervisor_required()
    entries = AuditLog(services().redis).recent(300)
    zone = ZoneInfo(services().office_hours.zone)
    return render_template(
        "console/audit.html", entries=entries, when=lambda at: datetime.fromtimestamp(at, zone)
    )
