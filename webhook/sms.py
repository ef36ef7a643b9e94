"""Twilio's SMS and WhatsApp webhooks: a signed message in, TwiML out; delivery statuses in."""

from __future__ import annotations

import functools
import logging
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List

import redis
from flask import Blueprint, Flask, Response, current_app, request

from webhook import keywords, turns
from webhook.content import DEFAULT_LANGUAGE
from webhook.delivery import send_now
from webhook.segments import fit
from webhook.services import Services, services
from webhook.signature import is_signed
from webhook.sms_channel import SmsChannel, channel
from webhook.sms_reply import chosen_number, numbered, twiml

log = logging.getLogger(__name__)
SMS = "sms"

TWIML_TYPE = "application/xml"
HOLDING_TEXT = "sms_holding"  # content/*/sms.yml: the answer follows in another text
UNAVAILABLE_TEXT = "service_unavailable"  # content/*/ui.yml: the hotline and 911
# Twilio's Advanced Opt-Out tells us which keyword it matched, whatever the word was.
OPT_OUT_TYPES = {"STOP": keywords.OPT_OUT, "START": keywords.OPT_IN, "HELP": keywords.HELP}


def blueprint(path: str, status_path: str) -> Blueprint:
    """The SMS endpoints, on the paths Twilio is configured to call."""
    bp = Blueprint("sms", __name__)
    bp.add_url_rule(path, "inbound", inbound, methods=["POST"])
    bp.add_url_rule(status_path, "status", delivery_status, methods=["POST"])
    return bp


def refused(status: int, why: str) -> Response:
    """A short plain answer to a request that is not processed."""
    return Response(why + "\n", status=status, mimetype="text/plain")


def from_twilio(*required: str) -> Callable:
    """Process a request only when Twilio signed it and it has the required fields."""

    def decorate(view: Callable[..., Response]) -> Callable[[], Response]:
        @functools.wraps(view)
        def checked() -> Response:
            sms = channel()
            if not sms.settings.auth_token or sms.vault is None:
                log.error("sms request refused: the channel's secrets are not configured")
                return refused(503, "SMS is not configured")
            if not is_signed(request, sms.settings.auth_token, sms.settings.public_url):
                log.warning("sms request refused: bad or missing signature")
                return refused(403, "Forbidden")
            values = [request.form.get(name, "") for name in required]
            if not all(values):
                return refused(400, " and ".join(required) + " are required")
            return view(sms, *values)

        return checked

    return decorate


@from_twilio("From", "MessageSid")
def inbound(sms: SmsChannel, sender: str, message_sid: str) -> Response:
    """One message from Twilio; answers with TwiML, the same answer for a retry."""
    conversation_id = sms.vault.conversation_id(sender)
    try:
        first = sms.state.claim(message_sid)
    except redis.RedisError:
        first = True  # without Redis a retry may be answered twice; better than not at all
    if not first:
        earlier = sms.state.earlier_reply(message_sid)
        log.info("sms retry answered from memory", extra={"found": earlier is not None})
        return Response(earlier or twiml([]), mimetype=TWIML_TYPE)

    started = time.monotonic()
    said = answer_in_time(sms, conversation_id, sender, request.form.to_dict())
    settings = sms.settings
    sized = fit(said.bodies, settings.max_segments_per_message, settings.max_messages, said.alone)
    body = twiml(sized.messages)
    services().metrics.sms_segments.labels("reply").inc(sized.segments)
    try:
        sms.state.save_reply(message_sid, body)
    except redis.RedisError:
        log.warning("sms reply not kept for retries: redis unavailable")
    log.info(
        "sms reply",
        extra={
            "conversation": turns.log_id(conversation_id),
            "messages": len(sized.messages),
            "segments": sized.segments,
            "encoding": sized.encoding,
            "truncated": sized.truncated,
            "ms": round((time.monotonic() - started) * 1000),
        },
    )
    return Response(body, mimetype=TWIML_TYPE)


def stored_language(svc: Services, conversation_id: str) -> str:
    """The conversation's language, or English when Puente does not know it yet."""
    state = svc.language_memory.get(conversation_id)
    return state.code if state else DEFAULT_LANGUAGE


@dataclass
class Answer:
    """The texts to send back; those in `alone` go as an SMS of their own, never packed."""

    bodies: List[str]
    alone: List[str] = field(default_factory=list)


def media_count(value: str) -> int:
    """How many photos Twilio says came with the text; 0 for anything that is not a count."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 3 else 0


def answer_in_time(
    sms: SmsChannel, conversation_id: str, sender: str, form: Dict[str, str]
) -> Answer:
    """The answer, or by Twilio's deadline a holding text and the answer later, by outbound.

    Whatever broke, the person still gets the way to a human.
    """
    svc, app = services(), current_app._get_current_object()
    turn = sms.workers.submit(in_app_context, app, answer, svc, sms, conversation_id, sender, form)
    try:
        return turn.result(timeout=sms.settings.reply_deadline_seconds)
    except FutureTimeout:
        turn.add_done_callback(functools.partial(send_late, app, conversation_id))
        svc.metrics.sms_holding.inc()
        log.warning("sms turn slower than the deadline: holding reply sent")
        return said_alone(svc, conversation_id, HOLDING_TEXT)
    except Exception:  # noqa: BLE001
        log.exception("sms turn failed; sent the fallback reply")
        return said_alone(svc, conversation_id, UNAVAILABLE_TEXT)


def said_alone(svc: Services, conversation_id: str, name: str) -> Answer:
    """One of the channel's own texts, in the conversation's language."""
    language = language_or_default(svc, conversation_id)
    if name == UNAVAILABLE_TEXT:
        return Answer([svc.content.ui_text(name, language)])
    return Answer([svc.content.sms_text(name, language)])


def in_app_context(app: Flask, function: Callable[..., Answer], *args: Any) -> Answer:
    """Runs `function` in a worker thread with the app's context."""
    with app.app_context():
        return function(*args)


def send_late(app: Flask, conversation_id: str, turn: Future) -> None:
    """The answer to a message that got the holding text: sent as soon as it is ready."""
    with app.app_context():
        svc, sms = services(), channel()
        try:
            said = turn.result()
        except Exception:  # noqa: BLE001
            log.exception("late sms turn failed; sending the fallback reply")
            said = said_alone(svc, conversation_id, UNAVAILABLE_TEXT)
        limits = sms.settings
        sized = fit(said.bodies, limits.max_segments_per_message, limits.max_messages, said.alone)
        try:
            sent = send_now(svc, sms, conversation_id, sized.messages, payloads=None).sent
        except redis.RedisError:
            sent = False
        log.info(
            "sms late reply", extra={"conversation": turns.log_id(conversation_id), "sent": sent}
        )


def language_or_default(svc: Services, conversation_id: str) -> str:
    """The conversation's language; English when Puente does not know it or Redis is down."""
    try:
        return stored_language(svc, conversation_id)
    except redis.RedisError:
        return DEFAULT_LANGUAGE


def answer(
    svc: Services, sms: SmsChannel, conversation_id: str, sender: str, form: Dict[str, str]
) -> Answer:
    """The texts to send back for this message (empty: send nothing)."""
    body = form.get("Body", "")
    media = media_count(form.get("NumMedia", ""))
    language = stored_language(svc, conversation_id)
    count = sms.state.count_message(conversation_id, sms.settings.rate_window_seconds)
    over_limit = count > sms.settings.rate_limit

    keyword = keywords.match(body, svc.content.keywords(), language)
    opt_out_type = OPT_OUT_TYPES.get(form.get("OptOutType", "").upper())
    if opt_out_type and (keyword is None or keyword.kind != opt_out_type):
        keyword = keywords.Keyword(opt_out_type, keyword.language if keyword else language)
    opted_out = sms.state.opted_out(conversation_id)
    if keyword is not None and (keyword.kind != keywords.OPT_IN_WHEN_OPTED_OUT or opted_out):
        reply = keyword_reply(svc, sms, conversation_id, sender, keyword)
        # STOP is always confirmed (the one text the law allows after it); the rest is rate-limited.
        if keyword.kind == keywords.OPT_OUT or not over_limit:
            return Answer(reply)
    elif opted_out:
        log.info("sms from a sender who opted out: not answered")
        return Answer([])
    if over_limit:
        log.warning("sms rate limit reached", extra={"conversation": turns.log_id(conversation_id)})
        # One polite answer per window; after that, silence costs the organisation nothing.
        first_over = count == sms.settings.rate_limit + 1
        return Answer([svc.content.sms_text("sms_rate_limited", language)] if first_over else [])
    if len(body) > sms.settings.max_body_chars:
        return Answer([svc.content.sms_text("sms_too_long", language)])

    sms.vault.remember(conversation_id, sender, svc.retention_seconds)
    sms.state.mark_wrote(conversation_id, sms.settings.outbound_window_seconds)
    text = body.strip()
    if not text:
        if media:
            return Answer([svc.content.sms_text("sms_no_images", language)])
        return Answer([svc.content.ui_text("error_empty", language)])
    number = chosen_number(text)
    payload = sms.state.choice(conversation_id, number) if number else None
    reply = turns.handle(svc, conversation_id, payload or text, channel=SMS, said=text)
    texts = numbered(svc.content, reply.messages, reply.language)
    if not reply.deleted and not reply.fallback:
        sms.state.save_choices(conversation_id, texts.payloads)
    # The privacy notice is an SMS of its own, so it is read whole and before anything else.
    return Answer(texts.bodies, [reply.privacy_notice] if reply.privacy_notice else [])


def keyword_reply(
    svc: Services,
    sms: SmsChannel,
    conversation_id: str,
    sender: str,
    keyword: keywords.Keyword,
) -> List[str]:
    """Apply STOP or START, and confirm it (or answer HELP) in the person's language."""
    if keyword.kind == keywords.OPT_OUT:
        sms.state.set_opted_out(conversation_id, True)
        # Puente must not text them again, so it need not keep their number any longer.
        sms.vault.forget(conversation_id)
        name = "sms_opted_out"
    elif keyword.kind in (keywords.OPT_IN, keywords.OPT_IN_WHEN_OPTED_OUT):
        sms.state.set_opted_out(conversation_id, False)
        sms.vault.remember(conversation_id, sender, svc.retention_seconds)
        name = "sms_opted_in"
    else:
        name = "sms_help"
    log.info("sms keyword", extra={"kind": keyword.kind, "language": keyword.language})
    return [svc.content.sms_text(name, keyword.language)]


@from_twilio("MessageSid", "MessageStatus")
def delivery_status(sms: SmsChannel, message_sid: str, status: str) -> Response:
    """Twilio's status callback for an outbound text: keep its latest delivery status."""
    sms.state.record_status(message_sid, status, request.form.get("ErrorCode", ""))
    log.info("sms delivery status", extra={"status": status})
    return Response(status=204)
