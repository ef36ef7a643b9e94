"""Rasa's NLG endpoint: each response's text from content/, in the conversation's language."""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from flask import Blueprint, jsonify, request

from webhook.content import DEFAULT_LANGUAGE
from webhook.services import services

log = logging.getLogger(__name__)
bp = Blueprint("nlg", __name__)


def conversation_language(tracker: Dict[str, Any]) -> str:
    """The language the web layer set on the latest user message that carried one."""
    for event in reversed(tracker.get("events") or []):
        if event.get("event") == "user":
            metadata: Optional[Dict[str, Any]] = event.get("metadata") or {}
            code = metadata.get("language")
            if isinstance(code, str) and code:
                return code
    return DEFAULT_LANGUAGE


@bp.post("/nlg")
def generate():
    """Answer Rasa's {response, arguments, tracker, channel} with {text, buttons}."""
    body = request.get_json(silent=True) or {}
    name = body.get("response")
    code = conversation_language(body.get("tracker") or {})
    store = services().content
    rendered = store.response(name, code, body.get("arguments")) if isinstance(name, str) else None
    if rendered is None:
        log.error("no content for response", extra={"response": str(name)[:80]})
        rendered = {"text": store.ui_text("service_unavailable", code), "buttons": []}
    return jsonify(rendered)
