"""One turn of a conversation: pick the language, ask Rasa, and always return something to say."""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional

import redis

from bot.log_id import log_id
from webhook import keys, language
from webhook.content import DEFAULT_LANGUAGE
from webhook.erase import DELETE_COMMAND, erase_conversation
from webhook.handoff import HANDOFF_COMMAND, PRIORITY_DANGER, Ticket
from webhook.language_choice import choice_payload
from webhook.machine import PIVOT, likely_to_read
from webhook.metrics import ANSWERED, DELETED, FALLBACK, RELAYED
from webhook.office_hours import opening_spec
from webhook.rasa_client import RasaUnavailable
from webhook.services import Services

log = logging.getLogger(__name__)

MENU_PAYLOAD = "/ask_menu"
DANGER_RESPONSE = "utter_danger_now"  # 911 and the hotline (content/*/safety.yml)
DELETED_RESPONSE = "utter_deleted"  # the same confirmation as "delete my data" (privacy.yml)
WEB = "web"
HANDED_BACK_PAYLOAD = "/handoff_closed"  # actions/handoff.py ActionEndHandoff answers it
# One turn at a time per conversation, so a handoff opened by one message is seen by the next.
TURN_LOCK_SECONDS = 30  # longer than a whole turn (Rasa's timeout is 10 s)
TURN_LOCK_WAIT_SECONDS = 25


@dataclass
class Reply:
    """What Puente answers to one message."""

    language: str
    messages: List[Dict[str, Any]] = field(default_factory=list)
    fallback: bool = False
    deleted: bool = False
    machine_translated: bool = False
    relayed: bool = False  # went to the advocate who has the conversation; the bot said nothing
    handoff: bool = False  # a person has, or is about to have, the conversation
    language_notice: bool = False  # the first message says which language Puente answers in
    privacy_notice: str = ""  # what is kept and how to erase it, said at first contact
    commands: List[Dict[str, Any]] = field(default_factory=list)


def unavailable_reply(services: Services, code: str) -> Reply:
    """The reply when Rasa cannot answer: how to reach a person and the emergency number."""
    text = services.content.ui_text("service_unavailable", code)
    return Reply(language=code, messages=[{"text": text, "buttons": []}], fallback=True)


def language_menu(services: Services, code: str) -> Reply:
    """The list of languages Puente writes in, each as a button that chooses it."""
    content = services.content
    buttons = [
        {"title": content.ui_text("language_name", other), "payload": choice_payload(other)}
        for other in services.languages
    ]
    text = content.ui_text("choose_language", code)
    return Reply(language=code, messages=[{"text": text, "buttons": buttons}])


def turn_lock(services: Services, conversation_id: str) -> Any:
    """The lock that routes one conversation's messages one at a time."""
    return services.redis.lock(
        keys.turn_lock(conversation_id),
        timeout=TURN_LOCK_SECONDS,
        blocking_timeout=TURN_LOCK_WAIT_SECONDS,
    )


def delete_conversation(services: Services, conversation_id: str, code: str) -> Reply:
    """The web chat's delete button: erase as "delete my data" does, between two turns."""
    code = code if code in services.languages else DEFAULT_LANGUAGE
    try:
        with turn_lock(services, conversation_id):  # a turn in flight cannot write after this
            erased = erase_conversation(services.redis, conversation_id)
    except (redis.RedisError, redis.exceptions.LockError):
        erased = False
    if not erased:
        text = services.content.ui_text("delete_failed", code)
        return Reply(language=code, messages=[{"text": text, "buttons": []}], fallback=True)
    log.info("conversation deleted by its button", extra={"conversation": log_id(conversation_id)})
    done = services.content.response(DELETED_RESPONSE, code) or {"text": "", "buttons": []}
    return Reply(language=code, messages=[done], deleted=True)


def counted(turn: Callable[..., Reply]) -> Callable[..., Reply]:
    """Counts each message a turn handles, and how long it took, in the app's metrics."""

    @functools.wraps(turn)
    def timed(services: Services, *args: Any, channel: str = WEB, **kwargs: Any) -> Reply:
        started = time.monotonic()
        reply = turn(services, *args, channel=channel, **kwargs)
        services.metrics.count_turn(channel, outcome_of(reply), time.monotonic() - started)
        return reply

    return timed


def outcome_of(reply: Reply) -> str:
    """What became of a message, for the metrics."""
    if reply.relayed:
        return RELAYED
    if reply.deleted:
        return DELETED
    return FALLBACK if reply.fallback else ANSWERED


@counted
def handle(
    services: Services,
    conversation_id: str,
    text: str,
    choice: Optional[str] = None,
    hint: Optional[str] = None,
    channel: str = WEB,
    said: Optional[str] = None,
) -> Reply:
    """Answer one message, or pass it to the advocate who has the conversation; never raises.

    `said` is what the person typed when `text` is the payload of a numbered choice: an advocate
    reads their words, not the payload.
    """
    lock = turn_lock(services, conversation_id)
    try:
        held = lock.acquire()
    except redis.RedisError:
        held = False  # Redis is down: answer anyway (the fallback reply says how to reach a person)
    try:
        danger = services.danger_words.said(said or text)
        if not danger and services.leave_phrases.said(said or text):
            left = leave_line(services, conversation_id)
            if left is not None:
                return left
        new = first_contact(services, conversation_id)
        ticket = relay_to_advocate(services, conversation_id, said or text)
        if ticket is not None:
            relayed = Reply(language=hint or DEFAULT_LANGUAGE, relayed=True, handoff=True)
            if danger:
                # The advocate reads it too; meanwhile 911 and the hotline, and the ticket jumps.
                danger_while_handed_off(services, ticket, relayed)
            return relayed
        reply = bot_turn(services, conversation_id, text, choice, hint)
        if danger:
            put_danger_first(services, reply)
        if new and not reply.deleted:
            tell_privacy_first(services, reply, after_danger=danger)
        for command in reply.commands:
            if command.get("puente_command") == HANDOFF_COMMAND:
                open_handoff(services, conversation_id, channel, reply, command)
        return reply
    finally:
        if held:
            try:
                lock.release()
            except (redis.RedisError, redis.exceptions.LockError):
                log.warning("turn lock expired before the turn ended")


def first_contact(services: Services, conversation_id: str) -> bool:
    """True for the first message of a conversation Puente does not know (new, or erased)."""
    try:
        # One round trip on every message: mark it seen (as long as the rest is kept), and learn
        # whether it was before.
        before = services.redis.set(
            keys.seen(conversation_id), 1, ex=services.retention_seconds, get=True
        )
    except redis.RedisError:
        return False  # unsure: the fallback reply is what they get anyway
    return before is None


def tell_privacy_first(services: Services, reply: Reply, after_danger: bool) -> None:
    """What Puente keeps, who reads it, how long, how to erase it: before they disclose more.

    Only 911 and a notice of the language Puente answers in come before it.
    """
    code = reply.language if reply.language in services.languages else PIVOT
    notice = {"text": services.content.ui_text("privacy_notice", code), "buttons": []}
    if reply.machine_translated and services.machine is not None:
        notice = (services.machine.from_english([notice], reply.language) or [notice])[0]
    place = int(after_danger) + int(reply.language_notice)
    reply.messages.insert(min(place, len(reply.messages)), notice)
    reply.privacy_notice = notice["text"]


def hand_back(services: Services, ticket: Ticket) -> Reply:
    """After the advocate closes: the bot takes the conversation back and says so."""
    code = ticket.language if ticket.language in services.languages else DEFAULT_LANGUAGE
    return ask_rasa(services, ticket.conversation_id, HANDED_BACK_PAYLOAD, code)


def danger_message(services: Services, code: str) -> Dict[str, Any]:
    """911 and the 24/7 hotline, in the person's language (English when Puente cannot write it)."""
    code = code if code in services.languages else DEFAULT_LANGUAGE
    rendered = services.content.response(DANGER_RESPONSE, code)
    if rendered is None:  # content without it must still never leave someone without 911
        return unavailable_reply(services, code).messages[0]
    return rendered


def put_danger_first(services: Services, reply: Reply) -> None:
    """Unless Rasa already answered as to danger: 911 first, and a priority handoff."""
    if any(c.get("priority") == PRIORITY_DANGER for c in reply.commands):
        return  # Rasa recognised it: its reply starts with the same text
    first = danger_message(services, reply.language)
    if reply.fallback:
        # Rasa down: the danger text already says how to reach a person; the handoff opens here.
        reply.messages = [first]
    elif not reply.messages or reply.messages[0]["text"] != first["text"]:
        # The same text first: Rasa knew, but the action server that opens the ticket is down.
        reply.messages = [first, *reply.messages]
    reply.commands.append(
        {"puente_command": HANDOFF_COMMAND, "priority": PRIORITY_DANGER, "summary": {}}
    )
    log.warning("danger recognised here, not by rasa", extra={"fallback": reply.fallback})


def danger_while_handed_off(services: Services, ticket_id: str, reply: Reply) -> None:
    """A person has the chat: raise the ticket to danger and answer with 911 and the hotline."""
    try:
        ticket = services.handoffs.get(ticket_id)
        if ticket is not None:
            reply.language = ticket.language
            services.handoffs.open(
                ticket.conversation_id, ticket.channel, ticket.language, PRIORITY_DANGER, {}
            )
    except redis.RedisError:
        log.error("could not raise the handoff to danger: redis unavailable")
    # No "talk to a person" button: a person already has the chat.
    reply.messages = [{"text": danger_message(services, reply.language)["text"], "buttons": []}]


def leave_line(services: Services, conversation_id: str) -> Optional[Reply]:
    """Takes the person out of the line, if nobody has claimed their chat yet."""
    try:
        ticket = services.handoffs.leave(conversation_id)
    except redis.RedisError:
        log.error("leaving the line failed: redis unavailable")
        return None
    if ticket is None:
        return None  # no line to leave, or an advocate has the chat: the message goes on
    log.info("handoff left by the person", extra={"conversation": log_id(conversation_id)})
    code = ticket.language if ticket.language in services.languages else DEFAULT_LANGUAGE
    text = services.content.ui_text("handoff_left", code)
    return Reply(language=code, messages=[{"text": text, "buttons": []}])


def relay_to_advocate(services: Services, conversation_id: str, text: str) -> Optional[str]:
    """The ticket the message went to, when a person has the conversation."""
    try:
        return services.handoffs.relay(conversation_id, text)
    except redis.RedisError:
        log.error("handoff state unknown: redis unavailable; the bot answers")
        return None


def open_handoff(
    services: Services, conversation_id: str, channel: str, reply: Reply, command: Dict[str, Any]
) -> Optional[Ticket]:
    """Opens (or raises) the ticket and tells the person honestly what happens next."""
    summary = command.get("summary") if isinstance(command.get("summary"), dict) else {}
    try:
        ticket = services.handoffs.open(
            conversation_id, channel, reply.language, str(command.get("priority")), summary
        )
    except redis.RedisError:
        log.error("handoff could not be opened: redis unavailable")
        reply.messages.append(unavailable_reply(services, reply.language).messages[0])
        return None
    log.info(
        "handoff opened",
        extra={"conversation": log_id(conversation_id), "priority": ticket.priority},
    )
    reply.messages.append({"text": what_happens_next(services, reply.language), "buttons": []})
    reply.handoff = True
    return ticket


def what_happens_next(services: Services, code: str, now: Optional[datetime] = None) -> str:
    """An advocate will answer soon, or from the next opening; with the hotline and 911."""
    now = now or datetime.now(timezone.utc)
    office = services.office_hours
    if office.is_open(now):
        return services.content.ui_text("handoff_open", code)
    opening = office.next_opening(now)
    spec = [opening_spec(opening)] if opening else ["unknown"]
    opens_at = services.content.hours_text(spec, code)
    return services.content.ui_text("handoff_after_hours", code, opens_at=opens_at)


def bot_turn(
    services: Services,
    conversation_id: str,
    text: str,
    choice: Optional[str] = None,
    hint: Optional[str] = None,
) -> Reply:
    """The bot's answer to one message, in the right language."""
    started = time.monotonic()
    asked = services.choice_words.parse(text)
    if asked is not None and not asked.wants_menu:
        choice = asked.code  # chosen in words or from the language menu: it wins
    unknown = None
    if asked is None:
        unknown = language.unsupported(services.detector, text, services.understood_languages)
    code = language.resolve(
        services.language_memory,
        services.detector,
        conversation_id,
        "" if unknown else text,  # never switch on a language Puente cannot handle
        services.understood_languages,
        choice=choice,
        hint=hint,
    )
    if asked is not None and asked.wants_menu:
        reply = language_menu(services, code)
    elif asked is not None:
        # The person asked for a language, not a topic: confirm it and show what Puente can do.
        reply = ask_rasa(services, conversation_id, MENU_PAYLOAD, code)
        confirmation = {"text": services.content.ui_text("language_changed", code), "buttons": []}
        reply.messages.insert(0, confirmation)
    elif unknown is not None:
        reply = ask_rasa(services, conversation_id, text, PIVOT)
        if not reply.fallback:
            reply = in_english_with_notice(services, reply, unknown)
    elif code not in services.languages:
        reply = machine_turn(services, conversation_id, text, code)
    else:
        reply = ask_rasa(services, conversation_id, text, code)
    log.info(
        "turn",
        extra={
            "conversation": log_id(conversation_id),
            "language": reply.language,
            "fallback": reply.fallback,
            "messages": len(reply.messages),
            "deleted": reply.deleted,
            "ms": round((time.monotonic() - started) * 1000),
        },
    )
    return reply


def ask_rasa(
    services: Services, conversation_id: str, text: str, code: str, content_language: str = ""
) -> Reply:
    """Rasa's answer, its texts in `content_language` (default: the conversation's language)."""
    try:
        messages = services.rasa.send(conversation_id, text, {"language": content_language or code})
    except RasaUnavailable as error:
        log.error(
            "rasa unavailable; sent the fallback reply",
            extra={"conversation": log_id(conversation_id), "reason": str(error)},
        )
        return unavailable_reply(services, code if code in services.languages else "en")
    reply = Reply(
        language=code,
        messages=[
            {"text": m["text"], "buttons": m.get("buttons") or []}
            for m in messages
            if m.get("text")
        ],
    )
    reply.commands = [
        m["custom"] for m in messages if isinstance(m.get("custom"), dict) and m["custom"]
    ]
    if DELETE_COMMAND in reply.commands:
        # Rasa has saved the turn by now, so nothing it writes can outlive the erasure.
        reply.deleted = erase_conversation(services.redis, conversation_id)
    return reply


def machine_turn(services: Services, conversation_id: str, text: str, code: str) -> Reply:
    """A language with translation models only: understood through English, answered translated."""
    machine = services.machine
    english = text if text.startswith("/") else machine.to_english(text, code)
    if english is None:
        reply = ask_rasa(services, conversation_id, MENU_PAYLOAD, PIVOT)
        return in_english_with_notice(services, reply, code)
    reply = ask_rasa(services, conversation_id, english, code, content_language=PIVOT)
    if reply.fallback:
        return reply
    notice = {"text": services.content.ui_text("machine_translation_notice", PIVOT), "buttons": []}
    translated = machine.from_english([notice, *reply.messages], code)
    if translated is None:
        return in_english_with_notice(services, reply, code)
    reply.messages = translated
    reply.machine_translated = True
    reply.language_notice = True
    return reply


def in_english_with_notice(services: Services, reply: Reply, code: str) -> Reply:
    """English, said to be English in a language they likely read, then the language menu."""
    readable = likely_to_read(code, set(services.languages))
    notice = {"text": services.content.ui_text("no_translation_notice", readable), "buttons": []}
    menu = language_menu(services, readable).messages
    return Reply(
        language=PIVOT,
        messages=[notice, *reply.messages, *menu],
        fallback=reply.fallback,
        deleted=reply.deleted,
        commands=reply.commands,  # a handoff asked for in any language still opens
        language_notice=True,
    )
