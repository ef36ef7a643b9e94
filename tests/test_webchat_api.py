"""The web chat's endpoints and page with no Rasa behind them: hostile input, failure replies."""

from __future__ import annotations

import re

import pytest

HOTLINE = "1-888-373-7888"


@pytest.fixture
def conversation(client):
    return client.post("/api/chat/start").get_json()["conversation_id"]


def test_conversation_ids_are_random_and_long(client):
    ids = {client.post("/api/chat/start").get_json()["conversation_id"] for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", i) for i in ids)


def test_rasa_down_still_answers_with_a_person_and_911_in_spanish(client, conversation):
    response = client.post(
        "/api/chat/message",
        json={
            "conversation_id": conversation,
            "text": "mi patron tiene mi pasaporte",
            "hint": "en",
        },
    )
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["language"] == "es"
    notice, message = answer["messages"]  # a new conversation: what Puente keeps comes first
    assert notice["text"].startswith("Antes de escribir") and "borrar mis datos" in notice["text"]
    assert HOTLINE in message["text"] and "911" in message["text"]
    assert "Lo siento" in message["text"]


def test_rasa_down_is_logged_without_the_message_text(client, conversation, caplog):
    client.post(
        "/api/chat/message", json={"conversation_id": conversation, "text": "secret words here"}
    )
    logged = "\n".join(r.getMessage() + str(vars(r)) for r in caplog.records)
    assert "rasa unavailable" in logged
    assert "secret words" not in logged
    assert conversation not in logged


@pytest.mark.parametrize(
    "body, status, error",
    [
        ({"conversation_id": "short", "text": "hi"}, 400, "bad_conversation"),
        ({"conversation_id": "x" * 32, "text": "   "}, 400, "empty"),
        ({"conversation_id": "x" * 32, "text": 42}, 400, "empty"),
        ({"conversation_id": "x" * 32, "text": "a" * 1001}, 413, "too_long"),
        (["not", "an", "object"], 400, "bad_request"),
    ],
)
def test_bad_messages_get_a_clear_answer(client, body, status, error):
    response = client.post("/api/chat/message", json=body)
    assert response.status_code == status
    answer = response.get_json()
    assert answer["error"] == error
    assert answer["message"]  # a sentence the page can show as it is


def test_bad_message_answer_is_in_the_persons_language(client):
    response = client.post(
        "/api/chat/message", json={"conversation_id": "x" * 32, "text": "", "hint": "es"}
    )
    assert response.get_json()["message"] == "Primero escribe un mensaje."


def test_form_posts_are_refused(client):
    """Only JSON is accepted, so another site cannot post a form into someone's conversation."""
    response = client.post("/api/chat/message", data={"conversation_id": "x" * 32, "text": "hi"})
    assert response.status_code == 400


def test_huge_body_is_refused_politely(client):
    response = client.post(
        "/api/chat/message", data="{" + "a" * 200_000, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.is_json


def test_page_is_served_in_the_browsers_language(client):
    page = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9"}).get_data(as_text=True)
    assert '<html lang="es">' in page and "Enviar" in page and "Salida rápida" in page


def test_page_loads_nothing_from_elsewhere(client):
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_ui_strings_for_the_picker(client):
    assert client.get("/api/chat/ui/es").get_json()["strings"]["send"] == "Enviar"
    assert client.get("/api/chat/ui/xx").status_code == 404


def test_json_nested_too_deep_gets_the_page_its_words_not_a_crash(client, content):
    answer = client.post("/api/chat/message", data="[" * 2000, content_type="application/json")
    assert answer.status_code == 400
    assert answer.get_json()["message"] == content.ui_text("error_bad_request", "en")
