"""The Rasa client with several Rasa servers: turns taken, an unreachable one skipped."""

from __future__ import annotations

import pytest

from scripts.stack import free_port
from tests.conftest import FakeRasa
from webhook.rasa_client import RasaClient, RasaUnavailable


@pytest.fixture
def servers():
    made = [FakeRasa(), FakeRasa()]
    yield made
    for server in made:
        server.close()


def test_messages_take_turns_among_the_servers(servers):
    client = RasaClient(",".join(server.url for server in servers), timeout_seconds=2)
    for _ in range(6):
        assert client.send("someone", "hi", {})[0]["text"] == FakeRasa.ANSWER
    assert [server.calls for server in servers] == [3, 3]


def test_a_server_that_cannot_be_reached_is_skipped(servers):
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = RasaClient(f"{down}, {servers[0].url}", timeout_seconds=2)
    for _ in range(4):
        assert client.send("someone", "hi", {})[0]["text"] == FakeRasa.ANSWER
    assert servers[0].calls == 4


def test_a_server_that_may_have_seen_the_message_is_not_asked_again():
    slow, quick = FakeRasa(delay=1.0), FakeRasa()
    try:
        # The slow one got the message and times out: asking the other would answer it twice.
        client = RasaClient(f"{slow.url},{quick.url}", timeout_seconds=0.3)
        with pytest.raises(RasaUnavailable):
            client.send("someone", "hi", {})
        assert (slow.calls, quick.calls) == (1, 0)
    finally:
        slow.close()
        quick.close()


def test_with_every_server_down_rasa_is_unavailable():
    client = RasaClient(f"http://127.0.0.1:{free_port()},http://127.0.0.1:{free_port()}", 1)
    with pytest.raises(RasaUnavailable):
        client.send("someone", "hi", {})
