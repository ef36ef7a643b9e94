"""Which language Puente answers in: explicit choice, then clear detection, never a short reply."""

from __future__ import annotations

import pytest
import redis

from webhook.language import EXPLICIT, Detector, LanguageMemory, LanguageState, resolve

SUPPORTED = ["en", "es"]


@pytest.fixture(scope="module")
def detector():
    return Detector(SUPPORTED)


@pytest.fixture
def memory(redis_client):
    return LanguageMemory(redis_client, ttl_seconds=3600)


def say(memory, detector, text, conversation="c1", **kwargs):
    return resolve(memory, detector, conversation, text, SUPPORTED, **kwargs)


def test_spanish_sentence_is_answered_in_spanish(memory, detector):
    assert say(memory, detector, "mi patron tiene mi pasaporte", hint="en") == "es"


def test_english_sentence_is_answered_in_english(memory, detector):
    assert say(memory, detector, "they said ill be deported if i talk", hint="es") == "en"


def test_language_sticks_across_short_replies(memory, detector):
    say(memory, detector, "mi patron tiene mi pasaporte", hint="en")
    for short in ["ok", "hi", "thanks", "1", "T visa"]:
        assert say(memory, detector, short, hint="en") == "es"


def test_explicit_choice_wins_over_detection(memory, detector):
    say(memory, detector, "hello", choice="es")
    assert say(memory, detector, "my boss has my passport and will not give it back") == "es"


def test_button_payload_never_switches(memory, detector):
    say(memory, detector, "mi patron tiene mi pasaporte")
    assert say(memory, detector, "/ask_t_visa please tell me about it") == "es"


def test_the_browser_hint_is_used_until_the_person_writes(memory, detector):
    assert say(memory, detector, "/ask_menu", hint="es") == "es"


def test_choice_is_remembered_with_the_retention(memory, detector, redis_client):
    say(memory, detector, "hola", choice="es")
    key = next(iter(redis_client.scan_iter("puente:lang:*")))
    assert 0 < redis_client.ttl(key) <= 3600
    assert memory.get("c1") == LanguageState("es", EXPLICIT)


def test_redis_down_still_answers(detector):
    dead = redis.Redis(port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    memory = LanguageMemory(dead, ttl_seconds=60)
    assert say(memory, detector, "mi patron tiene mi pasaporte") == "es"
