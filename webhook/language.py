"""Decides which language to answer in: the person's explicit choice, then what they write."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable, Optional, Tuple

import redis

from webhook import keys

log = logging.getLogger(__name__)

# A detector is only trusted on enough words, and only when it is sure: "ok", "si" or "1" never
# switches a conversation (shared/STACK.md: every detector is unreliable on one to three words).
MIN_WORDS_TO_SWITCH = 3
MIN_CONFIDENCE = 0.9

EXPLICIT = "explicit"
DETECTED = "detected"
HINT = "hint"


@dataclass(frozen=True)
class LanguageState:
    """A conversation's language and how Puente came to it."""

    code: str
    source: str


class Detector:
    """py3langid restricted to the languages Puente answers in."""

    def __init__(self, languages: Iterable[str]) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(sorted(set(languages)))

    def detect(self, text: str) -> Tuple[str, float]:
        """Most likely language code and its probability."""
        code, probability = self._identifier.classify(text)
        return code, float(probability)


def detect_switch(detector: Detector, text: str, current: Optional[LanguageState]) -> Optional[str]:
    """The language the text is written in, when it is long and clear enough to act on."""
    if not text or text.startswith("/"):  # a button payload says nothing about language
        return None
    words = len(text.split())
    settled = current is not None and current.source in (EXPLICIT, DETECTED)
    if settled and words < MIN_WORDS_TO_SWITCH:
        return None
    code, confidence = detector.detect(text)
    return code if confidence >= MIN_CONFIDENCE else None


class LanguageMemory:
    """Per-conversation language, kept in Redis for the conversation's retention."""

    def __init__(self, connection: redis.Redis, ttl_seconds: int) -> None:
        self.connection = connection
        self.ttl_seconds = ttl_seconds

    def get(self, conversation_id: str) -> Optional[LanguageState]:
        """The stored language, or None when unknown or Redis cannot be reached."""
        try:
            stored = self.connection.hgetall(keys.conversation_language(conversation_id))
        except redis.RedisError:
            log.warning("language lookup failed: redis unavailable")
            return None
        if not stored:
            return None
        return LanguageState(code=stored[b"code"].decode(), source=stored[b"source"].decode())

    def set(self, conversation_id: str, state: LanguageState) -> None:
        """Remember the language; a Redis failure only costs the memory, never the reply."""
        key = keys.conversation_language(conversation_id)
        try:
            with self.connection.pipeline() as pipe:
                pipe.hset(key, mapping={"code": state.code, "source": state.source})
                pipe.expire(key, self.ttl_seconds)
                pipe.execute()
        except redis.RedisError:
            log.warning("language store failed: redis unavailable")


def resolve(
    memory: LanguageMemory,
    detector: Detector,
    conversation_id: str,
    text: str,
    supported: Iterable[str],
    choice: Optional[str] = None,
    hint: Optional[str] = None,
    default: str = "en",
) -> str:
    """Pick the reply language for this message and remember it for the conversation."""
    supported = set(supported)
    current = memory.get(conversation_id)
    if choice in supported:
        state = LanguageState(choice, EXPLICIT)
    elif current is not None and current.source == EXPLICIT:
        state = current
    else:
        detected = detect_switch(detector, text, current)
        if detected in supported:
            state = LanguageState(detected, DETECTED)
        elif current is not None:
            state = current
        else:
            state = LanguageState(hint if hint in supported else default, HINT)
    memory.set(conversation_id, state)  # every turn, so the retention counts from the last message
    return state.code
