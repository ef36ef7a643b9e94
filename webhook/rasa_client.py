"""Sends one message to Rasa's REST channel and returns its replies."""

from __future__ import annotations

import itertools
import threading
from typing import Any, Dict, List

import requests
from urllib3.exceptions import NewConnectionError

REST_WEBHOOK_PATH = "/webhooks/rest/webhook"


class RasaUnavailable(Exception):
    """Rasa could not be reached, failed, or answered nothing."""


def never_reached(error: requests.RequestException) -> bool:
    """True when the request never left: no connection was made, so Rasa saw nothing."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.ConnectionError) and isinstance(reason, NewConnectionError)


class RasaClient:
    """A pooled HTTP client for Rasa's REST channel, with a timeout on every call.

    `base_url` may list several Rasa servers, comma-separated: messages take turns among them,
    and one that cannot be reached is skipped. A conversation's order holds across servers
    because each keeps its tracker in Redis under Rasa's lock store (bot/stores.py).
    """

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        bases = [url.strip().rstrip("/") for url in base_url.split(",") if url.strip()]
        self.urls = [base + REST_WEBHOOK_PATH for base in bases]
        self.timeout_seconds = timeout_seconds
        self.session = requests.Session()
        self._turns = itertools.cycle(range(len(self.urls)))
        self._turns_lock = threading.Lock()

    def _order(self) -> List[str]:
        """Every server once, starting with the next one in turn."""
        with self._turns_lock:
            start = next(self._turns)
        return self.urls[start:] + self.urls[:start]

    def send(self, sender: str, text: str, metadata: Dict[str, Any]) -> List[Dict[str, Any]]:
        """Rasa's replies to one message; raises RasaUnavailable on any failure or empty answer."""
        payload = {"sender": sender, "message": text, "metadata": metadata}
        order = self._order()
        for url in order:
            try:
                response = self.session.post(url, json=payload, timeout=self.timeout_seconds)
                response.raise_for_status()
                replies = response.json()
                break
            except requests.RequestException as error:
                # Only a server that never saw the message is skipped: one that may have
                # handled it must not handle it twice.
                if never_reached(error) and url != order[-1]:
                    continue
                raise RasaUnavailable(type(error).__name__) from error
            except ValueError as error:
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
