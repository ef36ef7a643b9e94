"""Rasa's tracker store keeps every session of a conversation, each event once (bot/stores.py)."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.sealing import Sealer, new_key
from bot.stores import UrlRedisTrackerStore
from tests.conftest import REPO

TEXTS_PER_SESSION = 30


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain.yml"))


@pytest.fixture
def store(domain, redis_url, db, monkeypatch) -> UrlRedisTrackerStore:
    monkeypatch.setenv("REDIS_URL", redis_url)
    return UrlRedisTrackerStore(domain, sealer=Sealer(new_key()))


def session(start: float, texts: int, prefix: str) -> list:
    """One conversation session: its start, then a text and an answer at a time."""
    events = [
        ActionExecuted("action_session_start", timestamp=start),
        SessionStarted(timestamp=start),
        SlotSet("misses", "one", timestamp=start),
        ActionExecuted("action_listen", timestamp=start),
    ]
    for n in range(texts):
        at = start + 1 + n
        events += [
            UserUttered(f"{prefix} {n}", {"name": "ask_t_visa", "confidence": 0.9}, timestamp=at),
            ActionExecuted("utter_t_visa", timestamp=at + 0.1),
            BotUttered(f"answer {n}", timestamp=at + 0.1),
            ActionExecuted("action_listen", timestamp=at + 0.2),
        ]
    return events


def dicts(events) -> list:
    return [e.as_dict() for e in events]


def test_a_turn_in_a_later_session_keeps_the_earlier_ones_and_adds_each_event_once(store):
    earlier = session(1000.0, TEXTS_PER_SESSION, "first visit")
    later = session(100_000.0, TEXTS_PER_SESSION, "second visit")
    asyncio.run(store.save(DialogueStateTracker.from_events("conv", earlier + later)))

    # Rasa works on the latest session only, then saves it with the turn's events.
    current = asyncio.run(store.retrieve("conv"))
    assert not any(e.as_dict() == earlier[-1].as_dict() for e in current.events)
    turn: list[Event] = [
        UserUttered(
            "one more question", {"name": "ask_u_visa", "confidence": 0.8}, timestamp=200_000.0
        ),
        ActionExecuted("utter_u_visa", timestamp=200_000.1),
        BotUttered("about the U visa", timestamp=200_000.1),
    ]
    for event in turn:
        current.update(event)
    stored_before = asyncio.run(store.retrieve_full_tracker("conv"))
    expected = RedisTrackerStore._merge_trackers(stored_before, current)  # Rasa's own merge

    asyncio.run(store.save(current))
    kept = asyncio.run(store.retrieve_full_tracker("conv"))

    assert dicts(kept.events) == dicts(expected.events)
    assert dicts(kept.events) == dicts(earlier + later + turn)
    said = [e.text for e in kept.events if isinstance(e, UserUttered)]
    assert len(said) == len(set(said)) == 2 * TEXTS_PER_SESSION + 1
