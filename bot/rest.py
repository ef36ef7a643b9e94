"""Rasa's REST channel without message text in its logs (the web layer's way in to Rasa)."""

from __future__ import annotations

from asyncio import CancelledError
from typing import Any, Awaitable, Callable

import structlog
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.log_id import log_id

structlogger = structlog.get_logger()


class PrivateRestInput(RestInput):
    """POST /webhooks/rest/webhook as Rasa's own, but a turn that fails or is abandoned (the web
    layer stopped waiting) logs what happened and which conversation, never what the person wrote:
    Rasa's channel logs the text itself at ERROR level, which no log level or --quiet hides.
    Without Rasa's streamed answers (?stream=true), which the web layer never asks for."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("private_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            sender_id = await self._extract_sender(request)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        self._extract_message(request),
                        collector,
                        sender_id,
                        input_channel=self._extract_input_channel(request),
                        metadata=self.get_metadata(request),
                    )
                )
            except CancelledError:
                structlogger.error("rest.message.received.timeout", conversation=log_id(sender_id))
            except Exception as error:  # noqa: BLE001 - Rasa's own channel answers 200 too
                structlogger.error(
                    "rest.message.received.failure",
                    conversation=log_id(sender_id),
                    error=type(error).__name__,
                )
            return response.json(collector.messages)

        return webhook
