"""Rasa's NLG endpoint: each response's text from content/, in the conversation's language."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify, request

from webhook.content import DEFAULT_LANGUAGE
from webhook.services import services

log = logging.getLogger(__name__)
bp = Blueprint("nlg", __name__)


def conversation_language(tracker: Any) -> str:
    """The language the web layer set on the latest user message that carried one."""
    events = tracker.get("events") if isinstance(tracker, dict) else None
    for event in reversed(events if isinstance(events, list) else []):
        if isinstance(event, dict) and event.get("event") == "user":
            metadata = event.get("metadata")
            code = metadata.get("language") if isinstance(metadata, dict) else None
            if isinstance(code, str) and code:
                return code
    return DEFAULT_LANGUAGE


@bp.post("/nlg")
def generate():
    """Answer Rasa's {response, arguments, tracker, channel} with {text, buttons}."""
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    name = body.get("response")
    code = conversation_language(body.get("tracker"))
    arguments = body.get("arguments") if isinstance(body.get("arguments"), dict) else {}
    store = services().content
    rendered = None
    if isinstance(name, str):
        try:
            rendered = store.response(name, code, arguments)
        except (KeyError, TypeError, ValueError, AttributeError):
            # Arguments of a shape no response takes: the failure text, never a 500 to Rasa.
            log.error("response arguments could not be rendered", extra={"response": name[:80]})
    if rendered is None:
        log.error("no content for response", extra={"response": str(name)[:80]})
        rendered = {"text": store.ui_text("service_unavailable", code), "buttons": []}
    return jsonify(rendered)
