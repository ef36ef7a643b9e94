"""A person choosing a language in words ("español", "English please", "中文") or from the menu."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, Optional

from webhook.language import IDEOGRAPH, fold
from webhook.yamlfile import read_yaml

CHOICES_FILE = "languages.yml"
MENU_PAYLOAD = "/language"
CHOICE_PAYLOAD_PREFIX = "/language_"
# A choice is a short message: a name and a few polite words, never a sentence about something else.
MAX_WORDS = 4
PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Choice:
    """What the message asks: the list of languages (code None) or one language."""

    code: Optional[str]

    @property
    def wants_menu(self) -> bool:
        """True when the person asks which languages there are."""
        return self.code is None


def normalise(text: str) -> str:
    """Lowercase, accents and punctuation removed, spaces collapsed; ideographs kept."""
    return " ".join(PUNCTUATION.sub(" ", fold(text)).split())


def tokens(text: str) -> list:
    """Words, with each ideograph a token of its own (Chinese has no spaces)."""
    return IDEOGRAPH.sub(lambda m: f" {m.group(0)} ", text).split()


def matchable(word: object) -> str:
    """A listed word or name in the form messages are compared in."""
    return " ".join(tokens(normalise(str(word))))


@dataclass(frozen=True)
class ChoiceWords:
    """Names of each language, menu words and polite words, normalised for matching."""

    names: Dict[str, str]  # normalised name -> language code
    menu: FrozenSet[str]
    polite: FrozenSet[str]

    @classmethod
    def load(cls, content_dir: Path, languages: Iterable[str]) -> "ChoiceWords":
        """Read content/languages.yml, keeping only the languages Puente has texts for."""
        doc = read_yaml(content_dir / CHOICES_FILE) or {}
        supported = set(languages)
        names = {
            matchable(name): code
            for code, words in (doc.get("languages") or {}).items()
            if code in supported
            for name in words
        }
        return cls(
            names=names,
            menu=frozenset(matchable(word) for word in doc.get("menu_words") or []),
            polite=frozenset(normalise(str(w)) for w in doc.get("polite_words") or []),
        )

    def parse(self, text: str) -> Optional[Choice]:
        """The language choice this message makes, if it makes one."""
        if text == MENU_PAYLOAD:
            return Choice(None)
        if text.startswith(CHOICE_PAYLOAD_PREFIX):
            code = text[len(CHOICE_PAYLOAD_PREFIX) :]
            return Choice(code) if code in self.names.values() else None
        words = tokens(normalise(text))
        if not words or len([w for w in words if not IDEOGRAPH.match(w)]) > MAX_WORDS:
            return None
        if len(words) > MAX_WORDS * 3:  # ideographs count one each; a long Chinese sentence
            return None
        kept = " ".join(w for w in words if w not in self.polite)
        whole = " ".join(words)
        for candidate in (whole, kept):
            if candidate in self.names:
                return Choice(self.names[candidate])
            if candidate in self.menu:
                return Choice(None)
        return None


def choice_payload(code: str) -> str:
    """The button payload that chooses a language."""
    return f"{CHOICE_PAYLOAD_PREFIX}{code}"
