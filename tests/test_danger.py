"""Danger recognised by the web layer: 911 first, even with Rasa down or a person holding the chat.

Two sets of messages: tests/language/danger_<lang>.txt (written apart from the terms, then every
one of them must be caught) and the held-out NLU sets' in_danger examples, never used to write
the terms, whose recall and false alarms are printed as figures.
"""

from __future__ import annotations

from typing import List

import pytest

from tests.conftest import HANDOFF_TTL, REPO, SEALER, SMS_APP_CONFIG, app_config
from tests.nlu_eval import examples, heldout_languages
from webhook import create_app
from webhook.danger import DangerWords, Term
from webhook.handoff import PRIORITY_DANGER, Handoffs
from webhook.web_outbox import WebOutbox

LANGUAGES = ["en", "es", "fr", "ht", "id", "pt", "tl", "vi", "zh"]
DANGER_FILES = REPO / "tests" / "language"
MIN_MESSAGES_PER_LANGUAGE = 8
HELDOUT_RECALL_FLOOR = 0.75  # the figure to watch; below this the terms need work


def danger_messages(language: str) -> List[str]:
    """The danger test messages of one language."""
    path = DANGER_FILES / f"danger_{language}.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def words() -> DangerWords:
    return DangerWords.load(REPO / "content")


def test_terms_match_whole_words_prefixes_and_whole_messages():
    assert Term.parse("kill* me").found_in("he is killing me".split())
    assert Term.parse("kill* me").found_in("they kill time with me".split()) is False  # in a row
    assert Term.parse("hit me").found_in("white mess".split()) is False  # words, not letters
    assert Term.parse("=sos").found_in(["sos"]) and not Term.parse("=sos").found_in(["sos", "un"])


def test_the_terms_ignore_case_accents_and_punctuation_and_read_chinese(words):
    assert words.said("ESTOY EN PELIGRO!!!") and words.said("está en la puerta, ¡ayúdenme!")
    assert words.said("救命")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_danger_message_is_recognised(words, language):
    messages = danger_messages(language)
    assert len(messages) >= MIN_MESSAGES_PER_LANGUAGE
    missed = [text for text in messages if not words.said(text)]
    assert not missed, f"{language}: danger not recognised in {missed}"


def test_heldout_recall_and_false_alarms(words, record_summary):
    recalls = []
    for language in heldout_languages():
        pairs = examples(REPO / "tests" / "nlu" / f"heldout_{language}.yml")
        danger = [text for text, intent in pairs if intent == "in_danger"]
        other = [text for text, intent in pairs if intent != "in_danger"]
        caught = sum(words.said(text) for text in danger)
        alarms = sum(words.said(text) for text in other)
        recalls.append(caught / len(danger))
        record_summary(
            f"danger words ({language}): held-out recall {caught}/{len(danger)} "
            f"({caught / len(danger):.0%}), false alarms {alarms}/{len(other)}"
        )
    assert min(recalls) >= HELDOUT_RECALL_FLOOR, recalls


@pytest.fixture
def app_without_rasa(redis_url, tmp_path, db):
    """The web layer with SMS, and nothing listening where Rasa should be."""
    return create_app(app_config(redis_url, tmp_path, **SMS_APP_CONFIG))


@pytest.mark.parametrize("language", LANGUAGES)
def test_with_rasa_down_danger_gets_911_first_and_a_priority_ticket(app_without_rasa, db, language):
    client = app_without_rasa.test_client()
    handoffs = Handoffs(db, HANDOFF_TTL, SEALER)
    for text in danger_messages(language):
        conversation = client.post("/api/chat/start").get_json()["conversation_id"]
        answer = client.post(
            "/api/chat/message",
            json={"conversation_id": conversation, "text": text, "hint": language},
        ).get_json()
        assert "911" in answer["messages"][0]["text"], (text, answer["messages"])
        ticket = handoffs.get(handoffs.active(conversation))
        assert ticket.priority == PRIORITY_DANGER and answer["handoff"], text


def test_with_rasa_down_danger_by_sms_gets_911_in_the_first_text(app_without_rasa, db):
    from tests.test_sms import Texter

    texts = Texter(app_without_rasa.test_client()).text("el patron esta afuera con un machete")
    assert "911" in texts[0]
    assert Handoffs(db, HANDOFF_TTL, SEALER).waiting()[0].priority == PRIORITY_DANGER


def test_danger_while_a_person_has_the_chat_reaches_them_and_gets_911(app_without_rasa, db):
    handoffs = Handoffs(db, HANDOFF_TTL, SEALER)
    client = app_without_rasa.test_client()
    conversation = client.post("/api/chat/start").get_json()["conversation_id"]
    ticket = handoffs.open(conversation, "web", "es", "normal", {})
    handoffs.claim(ticket.id, "ana")
    answer = client.post(
        "/api/chat/message",
        json={"conversation_id": conversation, "text": "ya llego, tiene un cuchillo", "hint": "es"},
    ).get_json()
    assert answer["relayed"] and "911" in answer["messages"][0]["text"]
    assert answer["messages"][0]["buttons"] == []  # a person already has the chat
    assert handoffs.messages(ticket.id)[-1]["text"] == "ya llego, tiene un cuchillo"
    assert handoffs.get(ticket.id).priority == PRIORITY_DANGER
    assert WebOutbox(db, HANDOFF_TTL, SEALER).since(conversation, 0) == []  # nothing else was sent


@pytest.mark.parametrize(
    "text",
    [
        "can my boss keep my passport",
        "tengo miedo de que me deporten",
        "no estoy seguro",
        "sos un bot",
    ],
)
def test_a_rights_question_is_not_an_alarm(words, text):
    assert not words.said(text)


def test_911_is_said_once_when_rasa_knew_but_could_not_open_the_ticket(app_without_rasa):
    from webhook.services import services
    from webhook.turns import Reply, danger_message, put_danger_first

    with app_without_rasa.app_context():
        said_by_rasa = danger_message(services(), "es")
        reply = Reply(language="es", messages=[said_by_rasa])  # no command: actions were down
        put_danger_first(services(), reply)
        assert reply.messages == [said_by_rasa]
        assert reply.commands[0]["priority"] == PRIORITY_DANGER
        missed = Reply(language="es", messages=[{"text": "¿Algo más?", "buttons": []}])
        put_danger_first(services(), missed)
        assert [m["text"] for m in missed.messages] == [said_by_rasa["text"], "¿Algo más?"]


def test_the_word_index_finds_exactly_what_trying_every_term_finds(words):
    from webhook.language_choice import matchable

    texts = [
        text
        for language in heldout_languages()
        for text, _ in examples(REPO / "tests" / "nlu" / f"heldout_{language}.yml")
    ]
    for text in texts[::8]:  # trying every term is slow (40 ms a message): a sample
        tokens = matchable(text).split()
        every_term = any(t.found_in(tokens) for terms in words.terms.values() for t in terms)
        assert words.said(text) == every_term, text
