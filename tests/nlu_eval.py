"""Held-out NLU evaluation, shared by the test and the `python -m tests.nlu_eval` report."""

from __future__ import annotations

import asyncio
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Tuple

from rasa.shared.nlu.training_data.loading import load_data

from scripts.model import REPO

HELDOUT_DIR = REPO / "tests" / "nlu"
TRAINING_DIR = REPO / "bot" / "data" / "nlu"


@dataclass
class Score:
    """Accuracy of one language's held-out set, and its confusions."""

    language: str
    correct: int = 0
    total: int = 0
    confusions: Counter = field(default_factory=Counter)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def line(self) -> str:
        worst = ", ".join(f"{a}->{b} x{n}" for (a, b), n in self.confusions.most_common(5))
        return f"{self.language}: {self.accuracy:.1%} ({self.correct}/{self.total})" + (
            f"; most confused: {worst}" if worst else ""
        )


def normalise(text: str) -> str:
    """Lowercase, no accents, no punctuation: how near-duplicates are compared."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def examples(path: Path) -> List[Tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU file or folder."""
    data = load_data(str(path))
    return [(e.get("text"), e.get("intent")) for e in data.intent_examples]


def heldout_languages() -> List[str]:
    return sorted(p.stem.removeprefix("heldout_") for p in HELDOUT_DIR.glob("heldout_*.yml"))


# Off-topic and not understood get the same answer (bot/data/rules/fallback.yml): a miss is a miss.
MISSES = {"nlu_fallback", "out_of_scope"}


def same_answer(predicted: str, expected: str) -> bool:
    """True when the predicted intent leads to the reply the expected one does."""
    return predicted == expected or {predicted, expected} <= MISSES


def evaluate(agent, language: str) -> Score:
    """Parse every held-out message of one language with the trained model."""
    score = Score(language)

    async def run() -> None:
        for text, intent in examples(HELDOUT_DIR / f"heldout_{language}.yml"):
            predicted = (await agent.parse_message(text))["intent"]["name"]
            score.total += 1
            if same_answer(predicted, intent):
                score.correct += 1
            else:
                score.confusions[(intent, predicted)] += 1

    asyncio.run(run())
    return score


if __name__ == "__main__":
    from rasa.core.agent import Agent

    from scripts.model import ensure_model

    loaded = Agent.load(str(ensure_model()))
    for code in heldout_languages():
        print(evaluate(loaded, code).line())
    sys.exit(0)
