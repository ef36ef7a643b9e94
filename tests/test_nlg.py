"""The content endpoint Rasa calls for every response: right language, filled, editable live."""

from __future__ import annotations

import time

import pytest

from webhook.services import services


def nlg_request(name, language=None, arguments=None):
    events = [{"event": "action", "name": "action_listen"}]
    if language:
        events.append({"event": "user", "text": "...", "metadata": {"language": language}})
    return {
        "response": name,
        "arguments": arguments or {},
        "tracker": {"sender_id": "abc", "events": events, "slots": {}},
        "channel": {"name": "rest"},
    }


def test_spanish_conversation_gets_spanish_text(client):
    answer = client.post("/nlg", json=nlg_request("utter_passport_rights", "es")).get_json()
    assert "pasaporte" in answer["text"]


def test_english_is_the_default(client):
    answer = client.post("/nlg", json=nlg_request("utter_passport_rights")).get_json()
    assert "passport" in answer["text"]


def test_latest_language_wins(client):
    body = nlg_request("utter_iamabot", "es")
    body["tracker"]["events"].append(
        {"event": "user", "text": "...", "metadata": {"language": "en"}}
    )
    answer = client.post("/nlg", json=body).get_json()
    assert "automated" in answer["text"].lower()


def test_placeholders_are_filled_from_facts_and_configuration(client):
    danger = client.post("/nlg", json=nlg_request("utter_danger_now", "en")).get_json()
    assert "911" in danger["text"] and "1-888-373-7888" in danger["text"]
    privacy = client.post("/nlg", json=nlg_request("utter_privacy", "es")).get_json()["text"]
    assert "Test Org" in privacy and "30" in privacy
    assert "{" not in privacy


def test_buttons_come_in_the_conversation_language(client):
    answer = client.post("/nlg", json=nlg_request("utter_menu", "es")).get_json()
    titles = [b["title"] for b in answer["buttons"]]
    payloads = [b["payload"] for b in answer["buttons"]]
    assert "/ask_passport" in payloads
    assert any("pasaporte" in t.lower() for t in titles)


def test_missing_translation_falls_back_to_english_with_a_notice(app, client):
    spanish = services_of(app).content.root / "es" / "visas.yml"
    text = spanish.read_text()
    spanish.write_text(text.replace("utter_continued_presence:", "utter_unused_placeholder_name:"))
    answer = client.post("/nlg", json=nlg_request("utter_continued_presence", "es")).get_json()
    notice, english = answer["text"].split("\n", 1)
    assert notice == "(Este texto todavía no está escrito en tu idioma.)"
    assert "Continued Presence" in english


def test_editing_content_takes_effect_without_restart(app, client):
    english = services_of(app).content.root / "en" / "basics.yml"
    before = client.post("/nlg", json=nlg_request("utter_iamabot", "en")).get_json()["text"]
    time.sleep(0.01)  # a distinct modification time
    edited = english.read_text().replace(
        "I'm an automated assistant", "EDITED I'm an automated assistant"
    )
    english.write_text(edited)
    after = client.post("/nlg", json=nlg_request("utter_iamabot", "en")).get_json()["text"]
    assert "EDITED" not in before and after.startswith("EDITED")


def test_a_broken_edit_keeps_the_last_good_content(app, client):
    english = services_of(app).content.root / "en" / "basics.yml"
    client.post("/nlg", json=nlg_request("utter_iamabot", "en"))
    english.write_text("responses: [this is: not: valid")
    answer = client.post("/nlg", json=nlg_request("utter_iamabot", "en")).get_json()
    assert "automated" in answer["text"].lower()


def test_unknown_response_still_gives_a_way_to_a_person(client):
    answer = client.post("/nlg", json=nlg_request("utter_does_not_exist", "es")).get_json()
    assert "1-888-373-7888" in answer["text"] and "911" in answer["text"]


def test_garbage_request_gets_a_reply_not_an_error(client):
    response = client.post("/nlg", data="not json", content_type="text/plain")
    assert response.status_code == 200
    assert "911" in response.get_json()["text"]


def services_of(app):
    with app.app_context():
        return services()


def test_a_providers_ways_to_reach_it_are_labelled_in_the_conversation_language(client):
    ways = {
        "contact_call": "+1-415-555-0101",
        "contact_text": "88788",
        "contact_text_keyword": "START",
    }
    arguments = {
        "provider_name": "EXAMPLE",
        "provider_contact": ways,
        "provider_hours": {"hours": ["mon-fri 09:00-17:00", "sat 10:00-14:00"]},
        "provider_languages": {"languages": ["es", "en", "xx"]},
    }
    text = client.post("/nlg", json=nlg_request("utter_referral_item", "es", arguments)).json[
        "text"
    ]
    assert "llama al +1-415-555-0101 · envía un texto al 88788 · escribe START" in text
    assert "lun-vie 09:00-17:00; sáb 10:00-14:00" in text  # days in Spanish, times as given
    assert "Español, English, xx" in text  # each language by its own name; unknown as written


@pytest.mark.parametrize(
    ("spec", "language", "expected"),
    [(["24/7"], "en", "24/7, every day"), (["unknown"], "es", "horario no confirmado, pregunta")],
)
def test_always_open_and_unknown_hours_are_said_in_words(client, spec, language, expected):
    arguments = {"provider_name": "X", "provider_contact": {}, "provider_hours": {"hours": spec}}
    reply = client.post("/nlg", json=nlg_request("utter_referral_item", language, arguments)).json
    assert expected in reply["text"]


def test_rasa_sends_the_response_and_the_language_not_the_conversation(client):
    """bot/nlg.py: Rasa's request no longer grows with the conversation, nor repeats it."""
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.nlg import slim_request

    tracker = DialogueStateTracker.from_events(
        "conversation-1",
        [
            UserUttered("my boss keeps my passport " * 200, metadata={"language": "es"}),
            ActionExecuted("utter_passport_rights"),
            *[UserUttered(f"message {n} " * 100, metadata={}) for n in range(30)],
        ],
    )
    body = slim_request("utter_passport_rights", tracker, "rest", {})
    sent = str(body)
    assert "my boss" not in sent and "message 1" not in sent and "conversation-1" not in sent
    assert len(sent) < 300, len(sent)
    answer = client.post("/nlg", json=body).get_json()
    assert "pasaporte" in answer["text"]  # the language still reaches the content endpoint


def test_rasa_accepts_the_content_endpoints_answers_and_refuses_a_malformed_one(client):
    """bot/nlg.py checks each answer against Rasa's schema, compiled once."""
    from rasa.shared.exceptions import RasaException

    from bot.nlg import SlimCallbackNaturalLanguageGenerator as Generator

    for name in ("utter_passport_rights", "utter_greet", "utter_menu"):  # utter_menu: buttons
        answer = client.post("/nlg", json=nlg_request(name, "es")).get_json()
        assert answer["text"] and Generator.validate_response(answer)
    with pytest.raises(RasaException):
        Generator.validate_response({"text": "hola", "buttons": "not a list"})
