"""The development phone simulator: off unless asked for, strict about its input."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest
import requests

from tests.conftest import SMS_APP_CONFIG, app_config
from webhook import create_app, simulator

SENDER = "+15557654321"


@pytest.fixture
def simulator_client(redis_url: str, tmp_path: Path, redis_client):
    """A client of an app with the simulator on and the SMS channel configured."""
    app = create_app(app_config(redis_url, tmp_path, SMS_SIMULATOR=True, **SMS_APP_CONFIG))
    return app.test_client()


def test_off_by_default(client):
    assert client.get("/dev/phone").status_code == 404
    assert client.post("/dev/phone/send", json={"from": SENDER, "body": "hi"}).status_code == 404


def test_page_when_turned_on(redis_url: str, tmp_path: Path):
    app = create_app(app_config(redis_url, tmp_path, SMS_SIMULATOR=True))
    response = app.test_client().get("/dev/phone")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Development simulator: not for real conversations" in page
    assert 'role="log"' in page and "phone.js" in page
    assert "<script>" not in page and "style=" not in page  # the CSP allows no inline code
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "payload",
    [
        {"from": "5551234567", "body": "hi"},  # no +
        {"from": "+0551234567", "body": "hi"},
        {"from": "+1555", "body": "hi"},  # too short
        {"from": "+1" + "5" * 15, "body": "hi"},  # too long
        {"from": "sms:+15551234567", "body": "hi"},
        {"from": "+15551234567\n", "body": "hi"},
        {"from": "+1555\u0663234567", "body": "hi"},  # an Arabic-Indic digit
        {"from": 15551234567, "body": "hi"},
        {"body": "hi"},
        {"from": SENDER, "body": 3},
        {"from": SENDER, "body": "x" * 2001},
        {"from": SENDER, "body": "hi", "media": "yes"},
        ["not", "an", "object"],
    ],
)
def test_bad_input_is_refused(simulator_client, payload):
    response = simulator_client.post("/dev/phone/send", json=payload)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]


def test_a_form_post_is_refused(simulator_client):
    # Only JSON, so another site's page cannot make a developer's browser text Puente.
    response = simulator_client.post("/dev/phone/send", data={"from": SENDER, "body": "hi"})
    assert response.status_code == 400


def test_unconfigured_channel_is_503(redis_url: str, tmp_path: Path):
    app = create_app(app_config(redis_url, tmp_path, SMS_SIMULATOR=True, TWILIO_AUTH_TOKEN=""))
    response = app.test_client().post("/dev/phone/send", json={"from": SENDER, "body": "hi"})
    assert response.status_code == 503
    assert "not configured" in response.get_json()["error"]


class Answer:
    """Just enough of requests.Response for the simulator."""

    def __init__(self, status_code: int, text: str) -> None:
        self.status_code = status_code
        self.text = text
        self.ok = status_code < 400


def test_send_signs_like_twilio(simulator_client, monkeypatch):
    """The signed fields pass the SMS endpoint's own check; the TwiML comes back as messages."""
    sent: Dict[str, Any] = {}

    def post(url: str, data: Dict[str, str], headers: Dict[str, str], timeout: float) -> Answer:
        sent.update(url=url, data=data, timeout=timeout)
        path = url.removeprefix("http://localhost")
        answer = simulator_client.post(path, data=data, headers=headers)
        return Answer(answer.status_code, answer.get_data(as_text=True))

    monkeypatch.setattr(simulator.requests, "post", post)
    # A photo with no words is answered by the SMS endpoint itself, without Rasa.
    response = simulator_client.post(
        "/dev/phone/send", json={"from": SENDER, "body": "", "media": True}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["status"] == 200, answer
    assert len(answer["messages"]) == 1 and "cannot see photos" in answer["messages"][0]
    assert answer["outbox"] == []
    assert sent["url"] == "http://localhost/sms" and sent["timeout"] == 20
    fields = sent["data"]
    assert fields["MessageSid"].startswith("SM") and len(fields["MessageSid"]) == 34
    assert fields["AccountSid"] == "AC" + "0" * 32
    assert fields["From"] == SENDER and fields["To"] == "+15550001111"
    assert fields["NumMedia"] == "1" and fields["MediaContentType0"] == "image/jpeg"


def test_endpoint_refusal_is_passed_on(simulator_client, monkeypatch):
    monkeypatch.setattr(simulator.requests, "post", lambda *a, **k: Answer(403, "Forbidden\n"))
    answer = simulator_client.post("/dev/phone/send", json={"from": SENDER, "body": "hi"})
    assert answer.status_code == 200
    assert answer.get_json() == {
        "status": 403,
        "twiml": "Forbidden\n",
        "messages": [],
        "outbox": [],
    }


def test_unreachable_endpoint_is_502(simulator_client, monkeypatch):
    def post(*args: Any, **kwargs: Any) -> None:
        raise requests.ConnectionError("refused")

    monkeypatch.setattr(simulator.requests, "post", post)
    answer = simulator_client.post("/dev/phone/send", json={"from": SENDER, "body": "hi"})
    assert answer.status_code == 502 and answer.get_json()["error"]


def test_outbox_shows_only_this_numbers_texts(simulator_client):
    sms = simulator_client.application.extensions["puente_sms"]
    mine = sms.vault.conversation_id(SENDER)
    sms.state.write_outbox(
        {"sid": "SMdev1", "conversation": mine, "channel": "sms", "body": "yours", "at": 1.0}
    )
    sms.state.write_outbox(
        {"sid": "SMdev2", "conversation": "sms-other", "channel": "sms", "body": "no", "at": 2.0}
    )
    answer = simulator_client.post("/dev/phone/outbox", json={"from": SENDER})
    assert answer.status_code == 200
    assert answer.get_json()["outbox"] == [
        {"sid": "SMdev1", "channel": "sms", "body": "yours", "at": 1.0}
    ]


def test_twiml_parsing():
    twiml = "<?xml version='1.0'?><Response><Message>a &amp; b</Message><Message>2</Message>"
    twiml += "</Response>"
    assert simulator.twiml_messages(twiml) == ["a & b", "2"]
    assert simulator.twiml_messages("<Response/>") == []
    assert simulator.twiml_messages("Forbidden") == []
