"""Rasa's conversation lock in Redis (bot/stores.py): turns in order, and a dead turn let go of."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.stores import UrlRedisLockStore

TURN_SECONDS = 1.0  # PUENTE_RASA_TIMEOUT_SECONDS here: how long the web layer waits for a turn
SLACK_SECONDS = 0.5
RESTART_SECONDS = 0.3


@pytest.fixture
def lock_store(redis_url, db, monkeypatch) -> UrlRedisLockStore:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("PUENTE_RASA_TIMEOUT_SECONDS", str(TURN_SECONDS))
    return UrlRedisLockStore()


async def wait_for_turn(store: UrlRedisLockStore, conversation: str) -> float:
    """Seconds until this conversation's lock is ours (then let go of at once)."""
    started = time.monotonic()
    async with store.lock(conversation):
        return time.monotonic() - started


def test_a_second_turn_waits_for_the_first_to_end(lock_store):
    async def scenario() -> float:
        first = lock_store.lock("conversation-a")
        await first.__aenter__()
        second = asyncio.create_task(wait_for_turn(lock_store, "conversation-a"))
        await asyncio.sleep(TURN_SECONDS / 2)
        assert not second.done()  # never two turns of one conversation at once
        await first.__aexit__(None, None, None)
        return await second

    waited = asyncio.run(scenario())
    assert TURN_SECONDS / 2 <= waited < TURN_SECONDS / 2 + SLACK_SECONDS


def test_a_turn_whose_rasa_died_holds_its_conversation_no_longer_than_a_turn(lock_store):
    async def scenario() -> float:
        # A Rasa killed mid-turn: its ticket is in Redis and nobody will ever let go of it (kept
        # referenced: a context manager collected as garbage would let go).
        dead = lock_store.lock("conversation-b")
        await dead.__aenter__()
        await asyncio.sleep(RESTART_SECONDS)  # Rasa started again; the person texts again
        waited = await wait_for_turn(UrlRedisLockStore(), "conversation-b")
        del dead
        return waited

    waited = asyncio.run(scenario())
    left = TURN_SECONDS - RESTART_SECONDS  # of the dead turn's ticket, when the next text came
    assert left * 0.9 <= waited < left + SLACK_SECONDS


def test_other_conversations_do_not_wait(lock_store):
    async def scenario() -> float:
        held = lock_store.lock("conversation-c")
        await held.__aenter__()
        waited = await wait_for_turn(lock_store, "conversation-d")
        await held.__aexit__(None, None, None)
        return waited

    assert asyncio.run(scenario()) < SLACK_SECONDS
