"""Sends one message to Rasa's REST channel and returns its replies."""

from __future__ import annotations

from typing import Any, Dict, List

import requests

REST_WEBHOOK_PATH = "/webhooks/rest/webhook"


class RasaUnavailable(Exception):
    """Rasa could not be reached, failed, or answered nothing."""


class RasaClient:
    """A pooled HTTP client for Rasa's REST channel, with a timeout on every call."""

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self.url = base_url.rstrip("/") + REST_WEBHOOK_PATH
        self.timeout_seconds = timeout_seconds
        self.session = requests.Session()

    def send(self, sender: str, text: str, metadata: Dict[str, Any]) -> List[Dict[str, Any]]:
        """Rasa's replies to one message; raises RasaUnavailable on any failure or empty answer."""
        try:
            response = self.session.post(
                self.url,
                json={"sender": sender, "message": text, "metadata": metadata},
                timeout=self.timeout_seconds,
            )
            response.raise_for_status()
            replies = response.json()
        except (requests.RequestException, ValueError) as error:
            raise RasaUnavailable(type(error).__name__) from error
        messages = (
            [reply for reply in replies if isinstance(reply, dict)]
            if isinstance(replies, list)
            else []
        )
        # Rasa answers 200 with [] when the NLG endpoint or the action server fails. A command
        # alone (a handoff) is an answer: the web layer writes its text.
        if not any(message.get("text") or message.get("custom") for message in messages):
            raise RasaUnavailable("empty answer")
        return messages
