"""Intent accuracy on messages the model never saw, per language: at least 90%."""

from __future__ import annotations

import pytest

from tests.nlu_eval import (
    HELDOUT_DIR,
    TRAINING_DIR,
    evaluate,
    examples,
    heldout_languages,
    normalise,
)

MIN_ACCURACY = 0.90
MIN_PER_INTENT = 10
LANGUAGES = heldout_languages()


@pytest.fixture(scope="module")
def agent(model_path):
    from rasa.core.agent import Agent

    return Agent.load(str(model_path))


def test_english_and_spanish_have_heldout_sets():
    assert {"en", "es"} <= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_heldout_covers_every_intent_and_is_not_in_training(language):
    heldout = examples(HELDOUT_DIR / f"heldout_{language}.yml")
    training = {normalise(text) for text, _ in examples(TRAINING_DIR)}
    leaked = [text for text, _ in heldout if normalise(text) in training]
    assert not leaked, f"held-out messages that are also training data: {leaked}"
    counts = {}
    for _, intent in heldout:
        counts[intent] = counts.get(intent, 0) + 1
    trained_intents = {intent for _, intent in examples(TRAINING_DIR / language)}
    thin = {i: counts.get(i, 0) for i in trained_intents if counts.get(i, 0) < MIN_PER_INTENT}
    assert not thin, f"intents with fewer than {MIN_PER_INTENT} held-out messages: {thin}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_heldout_accuracy(agent, language, record_summary):
    score = evaluate(agent, language)
    record_summary(f"NLU held-out accuracy, {score.line()}")
    assert score.accuracy >= MIN_ACCURACY, score.line()
