"""The web chat: the page, and the JSON endpoints it talks to."""

from __future__ import annotations

import re
import secrets
from typing import Any, Dict, Optional

from flask import Blueprint, current_app, jsonify, render_template, request

from webhook import turns
from webhook.content import DEFAULT_LANGUAGE
from webhook.services import services

bp = Blueprint("webchat", __name__)

CONVERSATION_ID = re.compile(r"[A-Za-z0-9_-]{32}")
MESSAGE_NUMBER = re.compile(r"[0-9]{1,9}")  # how many messages the page has already shown
CONVERSATION_ID_BYTES = 24  # 192 random bits, 32 URL-safe characters


def page_language(requested: Optional[str]) -> str:
    """The ?lang= the person chose, else the browser's preference, else English."""
    languages = services().languages
    if requested in languages:
        return requested
    return request.accept_languages.best_match(languages) or DEFAULT_LANGUAGE


def error(code: str, ui_name: str, status: int, language: str) -> Any:
    """A JSON error the page can show as it is, in the person's language."""
    message = services().content.ui_text(ui_name, language)
    return jsonify({"error": code, "message": message}), status


@bp.get("/")
def page():
    """The chat page, in the person's language."""
    language = page_language(request.args.get("lang"))
    store = services().content
    return render_template(
        "chat.html",
        language=language,
        strings=store.ui_strings(language),
        languages={code: store.ui_text("language_name", code) for code in store.languages},
        quick_exit_url=current_app.config["QUICK_EXIT_URL"],
        max_chars=current_app.config["MAX_MESSAGE_CHARS"],
    )


@bp.post("/api/chat/start")
def start():
    """A new random, unguessable conversation id."""
    return jsonify({"conversation_id": secrets.token_urlsafe(CONVERSATION_ID_BYTES)})


@bp.get("/api/chat/ui/<language>")
def ui(language: str):
    """The page's words in another language, for the language picker."""
    if language not in services().languages:
        return error("unknown_language", "error_bad_request", 404, DEFAULT_LANGUAGE)
    return jsonify({"language": language, "strings": services().content.ui_strings(language)})


@bp.post("/api/chat/message")
def message():
    """One message from the page; answers with Puente's replies and the language used."""
    body: Dict[str, Any] = request.get_json(silent=True) if request.is_json else None
    languages = services().languages
    hint = body.get("hint") if isinstance(body, dict) else None
    language = hint if hint in languages else DEFAULT_LANGUAGE
    if not isinstance(body, dict):
        return error("bad_request", "error_bad_request", 400, language)
    conversation_id = body.get("conversation_id")
    text = body.get("text")
    choice = body.get("language")
    if not isinstance(conversation_id, str) or not CONVERSATION_ID.fullmatch(conversation_id):
        return error("bad_conversation", "error_bad_request", 400, language)
    if not isinstance(text, str) or not text.strip():
        return error("empty", "error_empty", 400, language)
    if len(text) > current_app.config["MAX_MESSAGE_CHARS"]:
        return error("too_long", "error_too_long", 413, language)
    reply = turns.handle(
        services(),
        conversation_id,
        text.strip(),
        choice=choice if choice in languages else None,
        hint=language,
    )
    return jsonify(
        {
            "language": reply.language,
            "messages": reply.messages,
            "deleted": reply.deleted,
            "relayed": reply.relayed,  # read by the advocate who has the conversation
            "handoff": reply.handoff,  # the page then fetches what comes outside a reply
        }
    )


@bp.post("/api/chat/delete")
def delete():
    """The "delete this conversation" button: erases it and says so in the person's language."""
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        return error("bad_request", "error_bad_request", 400, DEFAULT_LANGUAGE)
    hint = body.get("hint")
    language = hint if hint in services().languages else DEFAULT_LANGUAGE
    conversation_id = body.get("conversation_id")
    if not isinstance(conversation_id, str) or not CONVERSATION_ID.fullmatch(conversation_id):
        return error("bad_conversation", "error_bad_request", 400, language)
    reply = turns.delete_conversation(services(), conversation_id, language)
    status = 200 if reply.deleted else 503
    return jsonify({"deleted": reply.deleted, "messages": reply.messages}), status


@bp.get("/api/chat/updates")
def updates():
    """Messages sent to this chat outside a reply (a person's answer, the bot after a handoff)."""
    conversation_id = request.args.get("conversation_id", "")
    after = request.args.get("after", "0")
    if not CONVERSATION_ID.fullmatch(conversation_id) or not MESSAGE_NUMBER.fullmatch(after):
        return error("bad_request", "error_bad_request", 400, DEFAULT_LANGUAGE)
    svc = services()
    messages = svc.web_outbox.since(conversation_id, int(after))
    return jsonify({"messages": messages, "next": int(after) + len(messages)})
