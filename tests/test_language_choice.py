"""Choosing a language in words, in any of Puente's languages, or from the language menu."""

from __future__ import annotations

import pytest

from scripts.model import REPO
from webhook.language import word_count
from webhook.language_choice import ChoiceWords, choice_payload

ALL = ["en", "es", "tl", "ht", "fr", "pt", "vi", "zh", "id"]


@pytest.fixture(scope="module")
def words() -> ChoiceWords:
    return ChoiceWords.load(REPO / "content", ALL)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("español", "es"),
        ("Espanol", "es"),
        ("en español por favor", "es"),
        ("English please", "en"),
        ("in english pls", "en"),
        ("Tagalog", "tl"),
        ("tagalog po", "tl"),
        ("kreyòl", "ht"),
        ("Kreyol ayisyen", "ht"),
        ("français", "fr"),
        ("portugues por favor", "pt"),
        ("Tiếng Việt", "vi"),
        ("tieng viet", "vi"),
        ("中文", "zh"),
        ("请用中文", "zh"),
        ("Bahasa Indonesia", "id"),
        (choice_payload("ht"), "ht"),
    ],
)
def test_a_language_named_in_any_language_is_chosen(words, text, code):
    choice = words.parse(text)
    assert choice is not None and choice.code == code


@pytest.mark.parametrize("text", ["language", "idioma", "Idiomas", "wika", "语言", "/language"])
def test_asking_for_languages_shows_the_menu(words, text):
    choice = words.parse(text)
    assert choice is not None and choice.wants_menu


@pytest.mark.parametrize(
    "text",
    [
        "ok",
        "si",
        "1",
        "salamat",
        "merci",
        "谢谢",
        "my boss speaks spanish and he took my passport",
        "chinese food",
        "/language_xx",
        "/ask_menu",
    ],
)
def test_other_messages_choose_nothing(words, text):
    assert words.parse(text) is None


def test_only_languages_with_texts_can_be_chosen():
    only_two = ChoiceWords.load(REPO / "content", ["en", "es"])
    assert only_two.parse("Tagalog") is None
    assert only_two.parse("español").code == "es"


@pytest.mark.parametrize(
    ("text", "count"),
    [("ok", 1), ("mi patron tiene mi pasaporte", 5), ("谢谢", 1), ("老板拿走了我的护照", 4)],
)
def test_chinese_is_counted_in_words_too(text, count):
    assert word_count(text) == count
