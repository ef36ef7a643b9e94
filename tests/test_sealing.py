"""Encryption at rest: Rasa's trackers and the web layer's texts, and rotating the keys."""

from __future__ import annotations

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.sealing import Sealer, new_key
from bot.stores import UrlRedisTrackerStore
from tests.conftest import REPO, SMS_APP_CONFIG, app_config
from webhook import create_app, keys
from webhook.handoff import Handoffs
from webhook.phones import PhoneVault

OLD, NEW = new_key(), new_key()
SECRET = "my boss Zorblatt keeps my passport"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain.yml"))


def tracker_store(domain, redis_url, monkeypatch, *data_keys):
    monkeypatch.setenv("REDIS_URL", redis_url)
    return UrlRedisTrackerStore(domain, sealer=Sealer(list(data_keys)))


def said(conversation: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(conversation, [UserUttered(SECRET)])


def test_a_key_opens_only_its_own_tokens_and_a_list_opens_old_ones():
    token = Sealer(OLD).seal(SECRET)
    assert Sealer([NEW, OLD]).open(token) == SECRET
    assert Sealer(NEW).open(token) is None
    assert Sealer(NEW).open(Sealer([NEW, OLD]).reseal(token)) == SECRET
    with pytest.raises(ValueError):
        Sealer("")  # no key: no process starts
    with pytest.raises(ValueError):
        Sealer("not-a-fernet-key")


def test_rasas_tracker_is_stored_encrypted_and_read_back(domain, redis_url, monkeypatch, db):
    store = tracker_store(domain, redis_url, monkeypatch, OLD)
    asyncio.run(store.save(said("conv-1")))
    raw = db.get(keys.rasa_tracker("conv-1"))
    assert raw and b"Zorblatt" not in raw and b"passport" not in raw
    assert 0 < db.ttl(keys.rasa_tracker("conv-1")) <= 30 * 86_400
    back = asyncio.run(store.retrieve("conv-1"))
    assert [e.text for e in back.events if isinstance(e, UserUttered)] == [SECRET]


def test_a_tracker_no_key_opens_starts_afresh_instead_of_failing(
    domain, redis_url, monkeypatch, db
):
    asyncio.run(tracker_store(domain, redis_url, monkeypatch, OLD).save(said("conv-1")))
    stranger = tracker_store(domain, redis_url, monkeypatch, NEW)
    back = asyncio.run(stranger.retrieve("conv-1"))
    assert not [e for e in back.events if isinstance(e, UserUttered)]
    asyncio.run(stranger.save(said("conv-1")))  # and the conversation goes on under the new key


def test_reseal_moves_every_value_to_the_new_key(domain, redis_url, monkeypatch, db, tmp_path):
    asyncio.run(tracker_store(domain, redis_url, monkeypatch, OLD).save(said("conv-1")))
    handoffs = Handoffs(db, 3600, Sealer(OLD))
    ticket = handoffs.open("conv-1", "sms", "en", "normal", {"need": "housing"})
    handoffs.relay("conv-1", SECRET)
    sms_key = SMS_APP_CONFIG["SMS_ENCRYPTION_KEY"]
    PhoneVault("hash-key", sms_key, db).remember("conv-1", "+15550100000", 3600)

    # Step 1 of a rotation: every process gets the new key first.
    app = create_app(
        app_config(
            redis_url,
            tmp_path,
            **{**SMS_APP_CONFIG, "DATA_KEYS": f"{NEW},{OLD}", "SMS_ENCRYPTION_KEY": sms_key},
        )
    )
    result = app.test_cli_runner().invoke(args=["data", "reseal"])
    assert result.exit_code == 0 and "0 no current key opens" in result.output, result.output

    # The old key can be dropped at once: everything opens with the new one alone.
    assert Handoffs(db, 3600, Sealer(NEW)).messages(ticket.id)[0]["text"] == SECRET
    assert Handoffs(db, 3600, Sealer(NEW)).get(ticket.id).summary == {"need": "housing"}
    back = asyncio.run(tracker_store(domain, redis_url, monkeypatch, NEW).retrieve("conv-1"))
    assert [e.text for e in back.events if isinstance(e, UserUttered)] == [SECRET]
    assert PhoneVault("hash-key", sms_key, db).address("conv-1") == "+15550100000"
    assert 0 < db.ttl(keys.rasa_tracker("conv-1"))  # expiries are kept
