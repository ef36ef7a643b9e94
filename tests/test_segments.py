"""SMS sizing: what Twilio bills for a body, and how a reply is split and packed into bodies."""

from __future__ import annotations

import random
import re

import pytest

from webhook.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    encoding,
    fit,
    length_units,
    segments,
)

ENGLISH = (
    "Your passport belongs to you, and your employer is not allowed to keep it. "
    "If someone is holding your passport, you can ask for it back at any time. "
    "You do not have to pay a fee to get your own documents returned. "
    "Write down the date and the name of the person who took it. "
    "Would you like the number of a lawyer who can help for free? "
    "Reply 1 for a lawyer, 2 for a shelter, or 3 to talk to a person right now!"
)
SPANISH = (
    "Tu pasaporte es tuyo y tu empleador no tiene derecho a quedárselo. "
    "Si alguien tiene tu pasaporte, puedes pedir que te lo devuelva en cualquier momento. "
    "No tienes que pagar ninguna tarifa para recuperar tus documentos. "
    "Anota la fecha y el nombre de la persona que lo tomó. "
    "¿Quieres el número de un abogado que te ayude gratis? "
    "Responde 1 para un abogado, 2 para un refugio o 3 para hablar con una persona."
)
CHINESE = (
    "你的护照属于你自己，雇主无权扣留。"
    "如果有人拿着你的护照，你可以随时要求归还。"
    "你不需要支付任何费用来取回自己的证件。"
    "请记下日期和拿走证件的人的名字。"
    "你需要免费律师的电话号码吗？"
    "回复1找律师，回复2找庇护所，回复3与工作人员交谈！"
)


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# Encoding detection


def test_plain_english_is_gsm7():
    assert encoding("Where is my passport?") == "GSM-7"


def test_spanish_with_accented_a_is_ucs2():
    # ó is not in GSM-7 either, and á certainly is not: the whole message becomes UCS-2.
    assert "á" not in GSM7_BASIC
    assert encoding("¿Dónde está mi pasaporte?") == "UCS-2"


def test_spanish_inverted_marks_and_enye_stay_gsm7():
    assert encoding("¡Ayuda!") == "GSM-7"
    assert encoding("ñ") == "GSM-7"
    assert encoding("¿Qué? Mañana") == "GSM-7"  # é and ñ are in the basic set


def test_one_emoji_or_chinese_character_switches_to_ucs2():
    assert encoding("Call us now 🙂") == "UCS-2"
    assert encoding("我的护照在哪里？") == "UCS-2"


def test_extension_characters_are_gsm7():
    assert encoding("Fee: 20€ [refundable] {ok} ~ ^ | \\") == "GSM-7"
    assert GSM7_EXTENSION == frozenset("^{}\\[~]|€\f")


# Length and segments


def test_extension_characters_count_two_septets():
    assert length_units("[1]") == 5
    assert length_units("20€") == 4
    assert length_units("a\fb") == 4
    # In UCS-2 they are ordinary characters again.
    assert length_units("[á]") == 3


def test_emoji_count_two_code_units():
    assert length_units("🙂") == 2
    assert length_units("Hola 🙂") == 7
    assert segments("🙂" * 35) == 1
    assert segments("🙂" * 36) == 2


@pytest.mark.parametrize(
    ("length", "expected"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_gsm7_segment_boundaries(length, expected):
    assert segments("a" * length) == expected


@pytest.mark.parametrize(
    ("length", "expected"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_ucs2_segment_boundaries(length, expected):
    assert segments("á" * length) == expected


def test_extension_characters_fill_segments_faster():
    assert segments("{" * 80) == 1
    assert segments("{" * 81) == 2


def test_two_unit_characters_are_never_split_across_segments():
    # 306 septets would be 2 segments, but the escape sequence for "{" cannot straddle them.
    assert segments("a" * 152 + "{" + "a" * 152) == 3
    # 134 UTF-16 units of emoji: each 67-unit part holds only 33 whole emoji.
    assert segments("🙂" * 67) == 3


def test_empty_text_has_no_segments():
    assert segments("") == 0
    assert length_units("") == 0


# Splitting


def test_long_english_paragraph_splits_at_sentence_ends():
    result = fit([ENGLISH], max_segments_per_message=1, max_messages=10)
    assert len(result.messages) > 1
    assert not result.truncated
    assert result.encoding == "GSM-7"
    for body in result.messages:
        assert segments(body) == 1
        assert body[-1] in ".?!"
    assert normalised(" ".join(result.messages)) == normalised(ENGLISH)
    assert result.segments == len(result.messages)


def test_split_never_breaks_a_word():
    text = " ".join(["passport employer lawyer shelter documents returned"] * 20)
    words = set(text.split())
    result = fit([text], max_segments_per_message=1, max_messages=20)
    assert len(result.messages) > 1
    for body in result.messages:
        assert body == body.strip()
        assert set(body.split()) <= words
        assert segments(body) == 1
    assert " ".join(result.messages) == text


def test_long_spanish_text_splits_into_ucs2_sized_bodies():
    result = fit([SPANISH], max_segments_per_message=2, max_messages=10)
    assert result.encoding == "UCS-2"
    assert len(result.messages) > 1
    for body in result.messages:
        assert segments(body) <= 2
        assert body[-1] in ".?!"
    ucs2_bodies = [body for body in result.messages if encoding(body) == "UCS-2"]
    assert ucs2_bodies
    assert all(length_units(body) <= 134 for body in ucs2_bodies)
    assert normalised(" ".join(result.messages)) == normalised(SPANISH)


def test_chinese_splits_at_chinese_sentence_ends():
    result = fit([CHINESE], max_segments_per_message=1, max_messages=10)
    assert len(result.messages) > 1
    for body in result.messages:
        assert length_units(body) <= 70
        assert body[-1] in "。？！"
    assert "".join(result.messages) == CHINESE


def test_newline_is_a_split_point():
    lines = [f"Line {n}: a shelter is open tonight near the bus station" for n in range(6)]
    result = fit(["\n".join(lines)], max_segments_per_message=1, max_messages=10)
    assert all(segments(body) == 1 for body in result.messages)
    assert "\n".join(result.messages).split("\n") == lines


def test_300_character_word_is_cut_without_breaking_an_emoji():
    word = (("a" + "🙂" * 40) * 8)[:300]
    assert len(word) == 300
    result = fit([word], max_segments_per_message=1, max_messages=10)
    assert "".join(result.messages) == word
    for body in result.messages:
        assert utf16_units(body) <= 70
        body.encode("utf-16-le")  # strict: raises on a lone surrogate
    # A cut at 70 code units would land inside the 35th emoji, so the first body stops at 69.
    assert result.messages[0] == "a" + "🙂" * 34


def test_300_character_gsm7_word_is_cut_at_160():
    result = fit(["a" * 300], max_segments_per_message=1, max_messages=10)
    assert [len(body) for body in result.messages] == [160, 140]


def test_zwj_emoji_is_not_split_when_cutting_a_word():
    family = "👨\u200d👩\u200d👧"
    word = "a" * 66 + family + "b" * 20
    result = fit([word], max_segments_per_message=1, max_messages=10)
    assert "".join(result.messages) == word
    assert any(family in body for body in result.messages)


def test_bodies_never_exceed_1600_characters():
    text = "Puente is here to help you. " * 120
    result = fit([text], max_segments_per_message=20, max_messages=10)
    assert len(result.messages) > 1
    assert all(len(body) <= 1600 for body in result.messages)
    assert all(segments(body) <= 20 for body in result.messages)


# Packing


def test_two_short_texts_share_one_body():
    result = fit(["Your passport belongs to you.", "Reply 1 for a lawyer."], 1, 3)
    assert result.messages == ["Your passport belongs to you.\nReply 1 for a lawyer."]
    assert result.segments == 1
    assert result.encoding == "GSM-7"
    assert not result.truncated


def test_texts_that_do_not_fit_together_go_in_separate_bodies():
    answer = "a" * 100
    result = fit([answer, "b" * 100], 1, 3)
    assert result.messages == [answer, "b" * 100]
    assert result.segments == 2


def test_packing_does_not_turn_a_gsm7_body_into_an_expensive_ucs2_one():
    answer = "Your passport belongs to you and your employer cannot keep it."
    result = fit([answer, "¿Dónde está tu pasaporte ahora?"], 1, 3)
    assert result.messages == [answer, "¿Dónde está tu pasaporte ahora?"]
    assert encoding(result.messages[0]) == "GSM-7"
    assert result.encoding == "UCS-2"
    assert result.segments == 2


def test_texts_are_normalised_and_empty_ones_dropped():
    result = fit(["  Hola   mundo \t ok  ", "", "   ", "Line one  \n  Line two"], 1, 3)
    assert result.messages == ["Hola mundo ok\nLine one\nLine two"]


def test_empty_input_gives_nothing_to_send():
    for texts in ([], [""], ["  \t ", "\n"]):
        result = fit(texts, max_segments_per_message=1, max_messages=3)
        assert result.messages == []
        assert result.segments == 0
        assert not result.truncated


# Truncation


def test_cap_on_messages_keeps_the_first_and_marks_truncation():
    result = fit([ENGLISH], max_segments_per_message=1, max_messages=2)
    assert result.truncated
    assert len(result.messages) == 2
    assert all(segments(body) == 1 for body in result.messages)
    last = result.messages[-1]
    assert last.endswith("...")  # GSM-7 body: "…" would turn it into UCS-2
    assert encoding(last) == "GSM-7"
    stem = last[: -len("...")]
    assert normalised(ENGLISH).startswith(normalised(result.messages[0] + " " + stem))


def test_cap_on_ucs2_messages_uses_the_ellipsis_character():
    result = fit([SPANISH], max_segments_per_message=1, max_messages=1)
    assert result.truncated
    assert result.messages == ["Tu pasaporte es tuyo y tu empleador no tiene derecho a quedárselo…"]
    assert result.encoding == "UCS-2"
    assert result.segments == 1


def test_cap_trims_whole_words_before_the_ellipsis():
    text = " ".join(["documents"] * 60)
    result = fit([text], max_segments_per_message=1, max_messages=1)
    assert result.truncated
    (body,) = result.messages
    assert segments(body) == 1
    assert body.endswith("documents...")


def test_cap_of_one_message_with_several_texts():
    result = fit(["a" * 150, "b" * 150, "c" * 150], 1, 1)
    assert result.truncated
    assert len(result.messages) == 1
    assert result.messages[0].endswith("...")
    assert segments(result.messages[0]) == 1


# Arguments


@pytest.mark.parametrize(("per_message", "messages"), [(0, 1), (1, 0), (-1, 3)])
def test_limits_below_one_are_rejected(per_message, messages):
    with pytest.raises(ValueError):
        fit(["Hello"], per_message, messages)


# Generated inputs

VOCABULARY = [
    "passport",
    "employer",
    "pasaporte",
    "está",
    "¿Dónde?",
    "¡Ayuda!",
    "mañana",
    "护照",
    "帮助。",
    "🙂",
    "👍🏽",
    "{ok}",
    "20€",
    "help.",
    "why?",
    "now!",
    "a",
]


def random_text(rng: random.Random) -> str:
    separators = [" ", " ", " ", "  ", "\t", "\n"]
    count = rng.randint(0, 120)
    return "".join(rng.choice(VOCABULARY) + rng.choice(separators) for _ in range(count))


@pytest.mark.parametrize("seed", range(40))
def test_generated_replies_always_fit_and_keep_every_word(seed):
    rng = random.Random(seed)
    texts = [random_text(rng) for _ in range(rng.randint(0, 4))]
    per_message = rng.randint(1, 3)
    result = fit(texts, per_message, max_messages=100)
    assert not result.truncated
    for body in result.messages:
        assert body and body == body.strip()
        assert segments(body) <= per_message
    assert " ".join(result.messages).split() == " ".join(texts).split()
    assert result.segments == sum(segments(body) for body in result.messages)


@pytest.mark.parametrize("seed", range(20))
def test_generated_replies_respect_the_message_cap(seed):
    rng = random.Random(1000 + seed)
    texts = [random_text(rng) for _ in range(rng.randint(1, 4))]
    per_message, cap = rng.randint(1, 2), rng.randint(1, 3)
    uncapped = fit(texts, per_message, max_messages=100)
    result = fit(texts, per_message, cap)
    assert len(result.messages) <= cap
    assert result.truncated == (len(uncapped.messages) > cap)
    assert all(segments(body) <= per_message for body in result.messages)
    if result.truncated:
        assert result.messages[-1].endswith(("...", "…"))
        assert result.messages[:-1] == uncapped.messages[: cap - 1]


def test_a_text_kept_alone_is_never_packed_with_its_neighbours():
    notice, short, other = "Before you write: kept 30 days.", "Hi.", "What is a T visa?"
    packed = fit([short, notice, other], max_segments_per_message=3, max_messages=3)
    assert packed.messages == [f"{short}\n{notice}\n{other}"]  # packed when nothing is alone
    apart = fit([short, notice, other], 3, 3, alone=[notice])
    assert apart.messages == [short, notice, other]
    assert fit([notice, short, other], 3, 3, alone=[notice]).messages == [
        notice,
        f"{short}\n{other}",
    ]
