"""What an operator watches: health, readiness and Prometheus metrics of the web layer."""

from __future__ import annotations

import re

from scripts.stack import free_port
from tests.conftest import SEALER, SMS_APP_CONFIG, app_config
from tests.test_sms import Texter
from webhook import create_app
from webhook.handoff import Handoffs


def metric(text: str, name: str, **labels: str) -> float:
    """One sample's value from the exposition text; 0 when absent."""
    inner = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = (
        rf"^{re.escape(name)}(?:\{{{re.escape(inner)}\}})? ([0-9.e+-]+)$"
        if inner
        else (rf"^{re.escape(name)} ([0-9.e+-]+)$")
    )
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_ready_when_redis_answers_and_not_when_it_does_not(redis_url, tmp_path, db):
    ready = create_app(app_config(redis_url, tmp_path)).test_client().get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["redis"] is True
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(app_config(unreachable, tmp_path))
    assert app.test_client().get("/healthz").status_code == 200  # alive, but not ready
    not_ready = app.test_client().get("/readyz")
    assert not_ready.status_code == 503 and not_ready.get_json()["redis"] is False


def test_metrics_count_turns_fallbacks_handoffs_and_sms_segments(redis_url, tmp_path, db):
    app = create_app(app_config(redis_url, tmp_path, **SMS_APP_CONFIG))  # Rasa is not running
    client = app.test_client()
    conversation = client.post("/api/chat/start").get_json()["conversation_id"]
    for text in ("hello", "my boss keeps my passport"):
        client.post("/api/chat/message", json={"conversation_id": conversation, "text": text})
    texter = Texter(client)
    texter.text("what is a t visa")
    Handoffs(db, 3600, SEALER).open("conv-danger", "web", "en", "danger", {})
    Handoffs(db, 3600, SEALER).open("conv-normal", "sms", "es", "normal", {})

    scraped = client.get("/metrics")
    assert scraped.status_code == 200 and scraped.mimetype == "text/plain"
    text = scraped.get_data(as_text=True)
    assert metric(text, "puente_turns_total", channel="web", outcome="fallback") == 2
    assert metric(text, "puente_turns_total", channel="sms", outcome="fallback") == 1
    assert metric(text, "puente_fallbacks_total", channel="web") == 2
    assert metric(text, "puente_turn_seconds_count", channel="web") == 2
    assert metric(text, "puente_sms_segments_total", kind="reply") >= 2  # notice, then the answer
    assert metric(text, "puente_handoffs_waiting", priority="danger") >= 1
    assert metric(text, "puente_handoffs_waiting", priority="normal") >= 1
    # Counts only: no conversation, number or text.
    for secret in (conversation, texter.number.lstrip("+"), "passport", "conv-danger"):
        assert secret not in text


def test_rasa_is_ready_when_its_model_is_loaded_and_redis_answers(stack):
    import requests

    from scripts.stack import RASA_READY_PATH

    answer = requests.get(stack.rasa_url + RASA_READY_PATH, timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"ready": True, "model": True, "redis": True}
    for process in (stack.web_url, stack.nlg_url):
        assert requests.get(process + "/readyz", timeout=10).json()["ready"] is True
    assert requests.get(stack.actions_url + "/health", timeout=10).ok


def test_rasas_readiness_says_no_when_redis_does_not_answer(monkeypatch):
    from bot.health import redis_answers

    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    assert redis_answers() is False
