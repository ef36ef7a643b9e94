"""Language detection on short real-world messages, restricted to Puente's languages."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import pytest

from scripts.model import REPO
from webhook.content import load_catalog
from webhook.language import MIN_CONFIDENCE, Detector, unsupported, word_count

MESSAGES_DIR = REPO / "tests" / "language"
MIN_ACCURACY = 0.90
MIN_WORDS = 4  # shorter messages never switch a settled conversation (webhook/language.py)
LANGUAGES = load_catalog(REPO / "content").languages


def messages(language: str) -> List[str]:
    path: Path = MESSAGES_DIR / f"detect_{language}.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(LANGUAGES)


def test_every_language_has_real_world_messages():
    for language in LANGUAGES:
        long_enough = [m for m in messages(language) if word_count(m) >= MIN_WORDS]
        assert len(long_enough) >= 10, f"{language}: {len(long_enough)} messages of 4+ words"


@pytest.mark.parametrize("language", LANGUAGES)
def test_detection_accuracy_on_four_words_or_more(detector, language, record_summary):
    results: Dict[str, List[str]] = {"right": [], "wrong": [], "unsure": []}
    for text in messages(language):
        if word_count(text) < MIN_WORDS:
            continue
        code, confidence = detector.detect(text)
        if code == language and confidence >= MIN_CONFIDENCE:
            results["right"].append(text)
        elif code != language and confidence >= MIN_CONFIDENCE:
            results["wrong"].append(f"{code}: {text}")
        else:
            results["unsure"].append(f"{code} {confidence:.2f}: {text}")
    total = sum(len(v) for v in results.values())
    accuracy = len(results["right"]) / total
    record_summary(
        f"language detection, {language}: {accuracy:.0%} switch correctly ({len(results['right'])}"
        f"/{total}); wrong: {results['wrong'][:3]}; too unsure to switch: {results['unsure'][:3]}"
    )
    assert accuracy >= MIN_ACCURACY, results


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_in_our_languages_is_taken_for_an_unsupported_one(detector, language):
    flagged = {text: unsupported(detector, text, LANGUAGES) for text in messages(language)}
    wrong = {text: code for text, code in flagged.items() if code is not None}
    assert not wrong, f"{language} messages read as a language Puente cannot handle: {wrong}"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("mwajiri wangu amechukua pasipoti yangu na hataki kunilipa", "sw"),
        ("мой работодатель забрал мой паспорт и не платит", "ru"),
        ("मेरे मालिक ने मेरा पासपोर्ट ले लिया और वापस नहीं दिया", "hi"),
    ],
)
def test_a_language_puente_cannot_handle_is_recognised(detector, text, code):
    assert unsupported(detector, text, LANGUAGES) == code


def test_malay_is_answered_as_indonesian_not_refused(detector):
    if "id" not in LANGUAGES:
        pytest.fail("Indonesian content is missing")
    assert (
        unsupported(detector, "majikan saya ambil pasport saya dan tak bayar gaji", LANGUAGES)
        is None
    )
