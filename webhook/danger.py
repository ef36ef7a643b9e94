"""Danger recognised by the web layer itself, so 911 comes first even when Rasa is down."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

from webhook.language_choice import matchable
from webhook.yamlfile import read_yaml

TERMS_FILE = Path("directory") / "danger.yml"
PREFIX_MARK = "*"  # a term's word ending in * matches any word that starts with it
WHOLE_MARK = "="  # a term starting with = matches only the whole message ("=sos": not "sos un")


@dataclass(frozen=True)
class Term:
    """Words that must appear in a row; the last of each may be a prefix."""

    words: Tuple[str, ...]
    prefixes: Tuple[bool, ...]
    whole: bool = False

    @classmethod
    def parse(cls, text: str) -> "Term":
        """A term as written in danger.yml ("lock* us in"), in the form messages are compared."""
        whole = str(text).startswith(WHOLE_MARK)
        raw = str(text).lstrip(WHOLE_MARK).split()
        words = [matchable(word.rstrip(PREFIX_MARK)) for word in raw]
        # An ideograph term ("杀我") splits into one word per character; only the last is a prefix.
        tokens: List[str] = []
        prefixes: List[bool] = []
        for word, source in zip(words, raw, strict=True):
            parts = word.split()
            tokens.extend(parts)
            prefixes.extend([False] * (len(parts) - 1) + [source.endswith(PREFIX_MARK)])
        return cls(tuple(tokens), tuple(prefixes), whole)

    def found_in(self, tokens: List[str]) -> bool:
        """True when the message's tokens contain this term."""
        size = len(self.words)
        if self.whole and len(tokens) != size:
            return False
        for start in range(len(tokens) - size + 1):
            if all(
                tokens[start + i].startswith(word) if prefix else tokens[start + i] == word
                for i, (word, prefix) in enumerate(zip(self.words, self.prefixes, strict=True))
            ):
                return True
        return False


@dataclass(frozen=True)
class DangerWords:
    """Every language's danger terms (content/directory/danger.yml)."""

    terms: Dict[str, Tuple[Term, ...]]

    @classmethod
    def load(cls, content_dir: Path) -> "DangerWords":
        """Read the terms of every language."""
        doc = read_yaml(content_dir / TERMS_FILE) or {}
        return cls(
            {
                language: tuple(Term.parse(term) for term in terms or [] if str(term).strip())
                for language, terms in (doc.get("terms") or {}).items()
            }
        )

    def said(self, text: str) -> bool:
        """True when the message has a danger term of any language (people mix languages)."""
        tokens = matchable(text).split()
        return any(term.found_in(tokens) for terms in self.terms.values() for term in terms)
