"""Every curated language end to end, switching languages, and machine translation (tiny models)."""

from __future__ import annotations

import re
from typing import List

import pytest
import redis

from tests.conftest import MACHINE_FROM_ENGLISH, MACHINE_LANGUAGE, MACHINE_TO_ENGLISH, SEALER
from webhook import keys
from webhook.content import ContentStore

pytestmark = pytest.mark.stack


def written(content: ContentStore, name: str, language: str) -> str:
    """The text Puente's content holds for a response in a language."""
    rendered = content.response(name, language)
    assert rendered is not None, name
    return rendered["text"]


def tracker_events(redis_url: str, conversation_id: str) -> List[dict]:
    stored = redis.Redis.from_url(redis_url).get(keys.rasa_tracker(conversation_id))
    return SEALER.open_json(stored)["events"]


@pytest.mark.parametrize(
    ("language", "message", "response"),
    [
        ("tl", "kinuha ng amo ko yung passport ko at ayaw ibalik", "utter_passport_rights"),
        ("ht", "patwon mwen pran paspò mwen li pa vle remèt li", "utter_passport_rights"),
        ("zh", "老板拿走了我的护照，不还给我", "utter_passport_rights"),
        ("fr", "mon patron a pris mon passeport et ne veut pas le rendre", "utter_passport_rights"),
        ("pt", "meu patrão pegou meu passaporte e não quer devolver", "utter_passport_rights"),
        ("vi", "chủ lấy hộ chiếu của tôi và không trả lại", "utter_passport_rights"),
        (
            "id",
            "majikan saya menahan paspor saya dan tidak mau kembalikan",
            "utter_passport_rights",
        ),
    ],
)
def test_a_conversation_in_each_curated_language(
    chat_factory, content, language, message, response
):
    chat = chat_factory("en")  # an English browser: the message itself sets the language
    answer = chat.say(message)
    assert answer["language"] == language
    assert written(content, response, language) in chat.texts(answer)
    thanks = chat.say("/thanks")
    assert thanks["language"] == language
    assert chat.texts(thanks) == [written(content, "utter_youre_welcome", language)]


@pytest.mark.parametrize("short", ["ok", "1", "salamat", "si", "merci", "谢谢", "T visa"])
def test_short_replies_never_switch_the_language(chat_factory, short):
    chat = chat_factory("en")
    assert chat.say("kinuha ng amo ko yung passport ko at ayaw ibalik")["language"] == "tl"
    assert chat.say(short)["language"] == "tl"


def test_switching_mid_conversation_in_words_and_from_the_menu(chat_factory, content):
    chat = chat_factory("en")
    assert chat.say("my boss took my passport and will not give it back")["language"] == "en"
    switched = chat.say("Kreyòl")
    assert switched["language"] == "ht"
    texts = chat.texts(switched)
    assert texts[0] == content.ui_text("language_changed", "ht")
    assert written(content, "utter_menu", "ht") in texts
    # The person can keep writing in Haitian Creole, then ask for the list of languages.
    menu = chat.say("idioma")
    assert menu["language"] == "ht"
    buttons = menu["messages"][-1]["buttons"]
    names = {b["title"]: b["payload"] for b in buttons}
    assert names["中文"] == "/language_zh" and names["English"] == "/language_en"
    chinese = chat.say(names["中文"])
    assert chinese["language"] == "zh"
    assert chat.texts(chinese)[0] == content.ui_text("language_changed", "zh")
    # "English please" from someone writing Chinese is a choice, not a sentence to detect.
    assert chat.say("English please")["language"] == "en"


def test_a_language_with_translation_models_only(chat_factory, stack, redis_url):
    chat = chat_factory("en")
    answer = chat.say("मेरो मालिकले मेरो राहदानी लिएर फिर्ता दिँदैन")
    assert answer["language"] == MACHINE_LANGUAGE
    texts = chat.texts(answer)
    # The tiny en->ne model writes one fixed sentence for each sentence it is given: the notice
    # first, then every text of the answer, all machine translated.
    one_or_more = re.compile(rf"({re.escape(MACHINE_FROM_ENGLISH)}\s*)+")
    assert len(texts) >= 2 and all(one_or_more.fullmatch(text) for text in texts), texts
    events = tracker_events(redis_url, chat.conversation_id)
    said = [e for e in events if e["event"] == "user"]
    assert said[-1]["text"] == MACHINE_TO_ENGLISH, "Rasa did not get the English translation"
    actions = [e["name"] for e in events if e["event"] == "action"]
    assert "utter_passport_rights" in actions


def test_a_language_with_no_texts_and_no_models(chat_factory, content):
    chat = chat_factory("en")
    answer = chat.say("mwajiri wangu amechukua pasipoti yangu na hataki kunilipa")
    assert answer["language"] == "en"
    texts = chat.texts(answer)
    assert texts[0] == content.ui_text("no_translation_notice", "en")
    assert texts[1] == content.ui_text("privacy_notice", "en")  # after the language notice
    languages = [b["payload"] for b in answer["messages"][-1]["buttons"]]
    assert "/language_es" in languages and "/language_zh" in languages


def test_malay_gets_indonesian(chat_factory):
    chat = chat_factory("en")
    answer = chat.say("majikan saya ambil pasport saya dan tak bayar gaji saya")
    assert answer["language"] == "id"


def test_sms_choice_of_language_by_number(phone_factory, content):
    phone = phone_factory()
    menu = phone.text("language")
    lines = menu[-1].splitlines()
    number = next(line.split()[0] for line in lines if line.endswith("Tagalog"))
    confirmed = phone.text(number)
    assert confirmed[0].startswith(content.ui_text("language_changed", "tl"))
    thanks = phone.text("/thanks")  # a short reply: still Tagalog
    assert thanks == [written(content, "utter_youre_welcome", "tl")]
