"""The resources every surface of the web layer shares, built once in the app factory."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping, Optional

import redis
from flask import current_app

from bot.sealing import Sealer
from webhook.content import ContentStore
from webhook.danger import DangerWords
from webhook.handoff import Handoffs
from webhook.language import Detector, LanguageMemory
from webhook.language_choice import ChoiceWords
from webhook.leave_queue import LeavePhrases
from webhook.machine import Machine, load_machine
from webhook.metrics import Metrics
from webhook.office_hours import OfficeHours
from webhook.rasa_client import RasaClient
from webhook.web_outbox import WebOutbox

EXTENSION = "puente"
REDIS_SOCKET_TIMEOUT_SECONDS = 2.0
SECONDS_PER_DAY = 86_400


@dataclass
class Services:
    """Content, Redis, the language memory and the Rasa client for one app."""

    content: ContentStore
    redis: redis.Redis
    rasa: RasaClient
    retention_seconds: int
    office_hours: OfficeHours
    sealer: Sealer
    figures_seconds: int
    translation_dir: Optional[Path] = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Services":
        """Build the services from the app's settings; connects lazily, on first use."""
        connection = redis.Redis.from_url(
            config["REDIS_URL"],
            socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        )
        return cls(
            content=ContentStore(
                Path(config["CONTENT_DIR"]),
                org_name=config["ORG_NAME"],
                retention_days=config["RETENTION_DAYS"],
                check_seconds=config["CONTENT_RELOAD_SECONDS"],
            ),
            redis=connection,
            rasa=RasaClient(config["RASA_URL"], config["RASA_TIMEOUT_SECONDS"]),
            retention_seconds=config["RETENTION_DAYS"] * SECONDS_PER_DAY,
            office_hours=OfficeHours.parse(
                config["OFFICE_HOURS"], config["OFFICE_TIMEZONE"], config["HOLIDAYS"]
            ),
            sealer=Sealer(config["DATA_KEYS"]),  # raises without a key: no text kept in clear
            figures_seconds=config.get("FIGURES_DAYS", 90) * SECONDS_PER_DAY,
            translation_dir=Path(config["TRANSLATION_DIR"]) if config["TRANSLATION_DIR"] else None,
        )

    @property
    def languages(self) -> list:
        """Languages Puente has written texts in."""
        return self.content.languages

    @property
    def understood_languages(self) -> list:
        """Written languages, then those a translation model brings to English and back."""
        machine = self.machine
        extra = sorted(machine.languages - set(self.languages)) if machine else []
        return self.languages + extra

    @cached_property
    def handoffs(self) -> Handoffs:
        """Handoff tickets, kept as long as conversations are."""
        return Handoffs(self.redis, self.retention_seconds, self.sealer, self.figures_seconds)

    @cached_property
    def web_outbox(self) -> WebOutbox:
        """Messages for open web chats, sent outside a reply."""
        return WebOutbox(self.redis, self.retention_seconds, self.sealer)

    @cached_property
    def metrics(self) -> Metrics:
        """This app's Prometheus metrics."""
        return Metrics(self.handoffs.waiting_counts)

    @cached_property
    def machine(self) -> Optional[Machine]:
        """Machine translation from installed models, or None when none is installed."""
        return load_machine(self.translation_dir)

    @cached_property
    def detector(self) -> Detector:
        """Language detector, loaded on first use (about 60 ms) rather than at import."""
        return Detector(self.understood_languages)

    @cached_property
    def choice_words(self) -> ChoiceWords:
        """Words that choose a language, read once from content/languages.yml."""
        return ChoiceWords.load(self.content.root, self.content.languages)

    @cached_property
    def danger_words(self) -> DangerWords:
        """Words that mean danger now, in every language (content/directory/danger.yml)."""
        return DangerWords.load(self.content.root)

    @cached_property
    def leave_phrases(self) -> LeavePhrases:
        """What a person writes to leave the line for an advocate (content/directory/)."""
        return LeavePhrases.load(self.content.root)

    @cached_property
    def language_memory(self) -> LanguageMemory:
        """Per-conversation language in Redis."""
        return LanguageMemory(self.redis, self.retention_seconds)


def services() -> Services:
    """The current app's services."""
    return current_app.extensions[EXTENSION]
