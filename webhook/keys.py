"""Redis keys about a conversation, built in one place, so all of them can be found and erased."""

from __future__ import annotations

from typing import List

# Rasa's stores use the same prefix (bot/stores.py KEY_PREFIX; tests/test_keys.py checks it).
PREFIX = "puente"


def conversation_language(conversation_id: str) -> str:
    """Hash holding a conversation's language and how it was chosen."""
    return f"{PREFIX}:lang:{conversation_id}"


def seen(conversation_id: str) -> str:
    """Set while Puente knows a conversation: its absence means the privacy notice comes first."""
    return f"{PREFIX}:seen:{conversation_id}"


def rasa_tracker(conversation_id: str) -> str:
    """Rasa's tracker (the whole conversation) in its Redis tracker store."""
    return f"{PREFIX}:tracker:{conversation_id}"


def rasa_lock(conversation_id: str) -> str:
    """Rasa's ticket lock for the conversation in its Redis lock store."""
    return f"{PREFIX}:lock:{conversation_id}"


def sms_address(conversation_id: str) -> str:
    """The encrypted phone or WhatsApp address of an SMS conversation, to text it back."""
    return f"{PREFIX}:sms:address:{conversation_id}"


def sms_choices(conversation_id: str) -> str:
    """The payloads behind the numbered choices last texted to a conversation."""
    return f"{PREFIX}:sms:choices:{conversation_id}"


def sms_rate(conversation_id: str) -> str:
    """How many messages a sender sent in the current rate-limit window (expires with it)."""
    return f"{PREFIX}:sms:rate:{conversation_id}"


def sms_opted_out(conversation_id: str) -> str:
    """Set while a sender has opted out of texts (kept after deletion: it is their consent)."""
    return f"{PREFIX}:sms:opted-out:{conversation_id}"


def sms_wrote(conversation_id: str) -> str:
    """Set while a sender wrote within the outbound window: only they are texted unprompted."""
    return f"{PREFIX}:sms:wrote:{conversation_id}"


def sms_held(conversation_id: str) -> str:
    """Texts held until the person's chosen hours (encrypted), oldest first."""
    return f"{PREFIX}:sms:held:{conversation_id}"


def sms_held_due() -> str:
    """Sorted set of conversations with held texts, by when their window opens."""
    return f"{PREFIX}:sms:held-due"


def sms_inbound(message_sid: str) -> str:
    """The reply given to one inbound Twilio message, so a retry gets the same one."""
    return f"{PREFIX}:sms:inbound:{message_sid}"


def sms_status(message_sid: str) -> str:
    """Delivery status Twilio reported for one outbound message."""
    return f"{PREFIX}:sms:status:{message_sid}"


def sms_outbox() -> str:
    """Outbound texts written instead of sent, when Twilio is not configured (development)."""
    return f"{PREFIX}:sms:outbox"


def turn_lock(conversation_id: str) -> str:
    """Held for one whole turn, so a conversation's messages are routed one at a time."""
    return f"{PREFIX}:turn:{conversation_id}"


def handoff(conversation_id: str) -> str:
    """The ticket id while a person, not the bot, has the conversation (absent otherwise)."""
    return f"{PREFIX}:handoff:{conversation_id}"


def ticket(ticket_id: str) -> str:
    """Hash of one handoff ticket: conversation, channel, language, priority, status, times."""
    return f"{PREFIX}:ticket:{ticket_id}"


def ticket_messages(ticket_id: str) -> str:
    """List of the messages of one handoff, in order (JSON: from, text, at)."""
    return f"{PREFIX}:ticket:{ticket_id}:messages"


def conversation_tickets(conversation_id: str) -> str:
    """Set of every handoff ticket a conversation opened, so deleting it reaches them all."""
    return f"{PREFIX}:tickets:{conversation_id}"


def about_ticket(ticket_id: str) -> List[str]:
    """Every key holding what one handoff ticket says (erased with its conversation)."""
    return [ticket(ticket_id), ticket_messages(ticket_id), ticket_translations(ticket_id)]


def ticket_lists() -> List[str]:
    """The sorted sets that list open tickets (a deleted ticket leaves each)."""
    return [handoff_queue(), handoff_claimed()]


def handoff_queue() -> str:
    """Sorted set of waiting tickets, danger first, then oldest first."""
    return f"{PREFIX}:handoff:queue"


def handoff_claimed() -> str:
    """Sorted set of the tickets an advocate holds now, by the time they were claimed."""
    return f"{PREFIX}:handoff:claimed"


def web_outbox(conversation_id: str) -> str:
    """List of messages for the web chat sent outside a reply (an advocate's, the bot's after)."""
    return f"{PREFIX}:web:outbox:{conversation_id}"


def ticket_translations(ticket_id: str) -> str:
    """Hash of machine translations of a ticket's messages, by message number, for the console."""
    return f"{PREFIX}:ticket:{ticket_id}:translations"


def handoff_log() -> str:
    """Sorted set of every ticket by the time it opened, for the supervisor's figures."""
    return f"{PREFIX}:handoff:log"


def ticket_figures(ticket_id: str) -> str:
    """Hash of what the figures count about one ticket: no conversation, no text (kept longer)."""
    return f"{PREFIX}:handoff:figures:{ticket_id}"


def account(username: str) -> str:
    """Hash of one console account: name, role, languages, password hash, disabled."""
    return f"{PREFIX}:console:account:{username}"


def accounts() -> str:
    """Set of every console account's username."""
    return f"{PREFIX}:console:accounts"


def failed_sign_ins(who: str, window: int) -> str:
    """How many sign-ins failed for one account or one client address in one window."""
    return f"{PREFIX}:console:failed:{who}:{window}"


def audit_log() -> str:
    """Stream of what console users did: sign-ins, views, claims, replies, closes."""
    return f"{PREFIX}:console:audit"


def about_conversation(conversation_id: str) -> List[str]:
    """Every key Puente keeps about one conversation's content (erased by "delete my data")."""
    return [
        rasa_tracker(conversation_id),
        rasa_lock(conversation_id),
        conversation_language(conversation_id),
        sms_address(conversation_id),
        sms_choices(conversation_id),
        sms_rate(conversation_id),
        sms_wrote(conversation_id),
        sms_held(conversation_id),
        handoff(conversation_id),
        web_outbox(conversation_id),
        conversation_tickets(conversation_id),
        seen(conversation_id),
    ]
