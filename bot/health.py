"""Rasa's readiness, as a custom channel: GET /webhooks/health/ready (credentials.yml loads it)."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import redis
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.stores import redis_kwargs

PING_TIMEOUT_SECONDS = 2.0


def redis_answers() -> bool:
    """True when the deployment's Redis (REDIS_URL) answers a PING."""
    options = redis_kwargs()
    options["ssl"] = options.pop("use_ssl")
    connection = redis.Redis(
        **options,
        socket_timeout=PING_TIMEOUT_SECONDS,
        socket_connect_timeout=PING_TIMEOUT_SECONDS,
    )
    try:
        return bool(connection.ping())
    except redis.RedisError:
        return False
    finally:
        connection.close()


class HealthInput(InputChannel):
    """Not a way to talk to the bot: only says whether this Rasa server can answer."""

    @classmethod
    def name(cls) -> str:
        return "health"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        health = Blueprint("health_webhook", __name__)

        @health.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            """Ready: the model is loaded and Redis (trackers and locks) answers."""
            agent = getattr(request.app.ctx, "agent", None)
            checks = {
                "model": bool(agent is not None and agent.is_ready()),
                "redis": redis_answers(),
            }
            status = 200 if all(checks.values()) else 503
            return response.json({"ready": status == 200, **checks}, status=status)

        return health
