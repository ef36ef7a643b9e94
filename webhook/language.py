"""Decides which language to answer in: the person's explicit choice, then what they write."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Tuple

import redis

from webhook import keys
from webhook.machine import LIKELY_TO_READ

log = logging.getLogger(__name__)

# A detector is only trusted on enough words, and only when it is sure: "ok", "si" or "1" never
# switches a conversation (shared/STACK.md: every detector is unreliable on one to three words).
MIN_WORDS_TO_SWITCH = 3
MIN_CONFIDENCE = 0.9
MIN_WORDS_UNSUPPORTED = 4
IDEOGRAPH = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

EXPLICIT = "explicit"
DETECTED = "detected"
HINT = "hint"


@dataclass(frozen=True)
class LanguageState:
    """A conversation's language and how Puente came to it."""

    code: str
    source: str


# Many Vietnamese speakers text without tone marks ("chu lay ho chieu cua toi"); py3langid reads
# that as Welsh or Spanish. These syllables are common in it and rare as words elsewhere.
UNMARKED_VIETNAMESE = frozenset(
    "toi cua chu khong ko duoc dc lay ho chieu bi truc xuat neu bao canh sat co ai goi lai cho "
    "luong tra lam viec tien nguoi giup minh oi roi chua nha gi nao voi cam ban xin chao anh chi "
    "em ve nay thi ma nhu tuan thang ngay giay can toan dem cuu moi gioi phai nhieu hay biet "
    "sao dau vay duong day nong chuyen xay ra ong ba bo me con vo chong".split()
)
UNMARKED_VIETNAMESE_SHARE = 0.6
UNMARKED_VIETNAMESE_CONFIDENCE = 0.95


def vietnamese_without_marks(text: str) -> bool:
    """True for an ASCII message of four words or more, mostly Vietnamese syllables."""
    words = text.casefold().split()
    if len(words) < MIN_WORDS_UNSUPPORTED or not text.isascii():
        return False
    known = sum(word.strip(".,!?") in UNMARKED_VIETNAMESE for word in words)
    return known / len(words) >= UNMARKED_VIETNAMESE_SHARE


def language_identifier() -> Any:
    """A new py3langid identifier over every language it knows, its numpy on one thread."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier
    from threadpoolctl import threadpool_limits

    # OpenBLAS's other threads spin between the small products py3langid makes: in `make bench`
    # that doubled the web layer's CPU per SMS and took a core from Rasa. One thread is as fast.
    threadpool_limits(1, user_api="blas")
    return LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)


class Detector:
    """py3langid restricted to the languages Puente answers in."""

    def __init__(self, languages: Iterable[str]) -> None:
        self._identifier = language_identifier()
        self.languages = frozenset(languages)
        self._identifier.set_languages(sorted(self.languages))
        self._any = None  # every language py3langid knows, loaded when first needed

    def detect(self, text: str) -> Tuple[str, float]:
        """Most likely of Puente's languages and its probability."""
        if "vi" in self.languages and vietnamese_without_marks(text):
            return "vi", UNMARKED_VIETNAMESE_CONFIDENCE
        code, probability = self._identifier.classify(text)
        return code, float(probability)

    def detect_any(self, text: str) -> Tuple[str, float]:
        """Most likely of every language py3langid knows, and its probability."""
        if self._any is None:
            self._any = language_identifier()
        if vietnamese_without_marks(text):
            return "vi", UNMARKED_VIETNAMESE_CONFIDENCE
        code, probability = self._any.classify(text)
        return code, float(probability)


def fold(text: str) -> str:
    """Lowercase with accents removed ("Patrón" -> "patron"): how typed words are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return folded.replace("đ", "d").replace("\u2019", "'")  # a phone's curly apostrophe


def word_count(text: str) -> int:
    """Words in the text; in Chinese and Japanese (no spaces) two characters count as a word."""
    ideographs = len(IDEOGRAPH.findall(text))
    return len(IDEOGRAPH.sub(" ", text).split()) + ideographs // 2


def detect_switch(detector: Detector, text: str, current: Optional[LanguageState]) -> Optional[str]:
    """The language the text is written in, when it is long and clear enough to act on."""
    if not text or text.startswith("/"):  # a button payload says nothing about language
        return None
    settled = current is not None and current.source in (EXPLICIT, DETECTED)
    if settled and word_count(text) < MIN_WORDS_TO_SWITCH:
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


def unsupported(detector: Detector, text: str, understood: Iterable[str]) -> Optional[str]:
    """A language Puente can neither write nor translate, when a long message is clearly in one."""
    if text.startswith("/") or word_count(text) < MIN_WORDS_UNSUPPORTED:
        return None
    understood = set(understood)
    # The restricted detector is sure of itself on anything (Russian comes out as Haitian Creole),
    # so ask the one that knows every language.
    code, confidence = detector.detect_any(text)
    if code in understood or confidence < MIN_CONFIDENCE:
        return None
    neighbour = LIKELY_TO_READ.get(code)
    if neighbour in understood and detector.detect(text)[0] == neighbour:
        return None  # Malay read as Indonesian, Galician as Spanish: close enough to answer in
    return code
