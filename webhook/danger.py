"""Danger recognised by the web layer itself, so 911 comes first even when Rasa is down."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
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

    def matches_at(self, tokens: List[str], start: int) -> bool:
        """True when this term's words are the message's, from token `start` on."""
        if self.whole and (start != 0 or len(tokens) != len(self.words)):
            return False
        if start + len(self.words) > len(tokens):
            return False
        return all(
            tokens[start + i].startswith(word) if prefix else tokens[start + i] == word
            for i, (word, prefix) in enumerate(zip(self.words, self.prefixes, strict=True))
        )

    def found_in(self, tokens: List[str]) -> bool:
        """True when the message's tokens contain this term."""
        return any(self.matches_at(tokens, start) for start in range(len(tokens)))


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

    @cached_property
    def _by_first_word(self) -> Tuple[Dict[str, List[Term]], Dict[str, List[Term]]]:
        # Every message is checked, so only the terms that can start at a word are tried there:
        # 2,000 terms tried everywhere took 40 ms a message; indexed, well under 1 ms.
        exact: Dict[str, List[Term]] = defaultdict(list)
        prefix: Dict[str, List[Term]] = defaultdict(list)
        for terms in self.terms.values():
            for term in terms:
                if term.words:
                    (prefix if term.prefixes[0] else exact)[term.words[0]].append(term)
        return dict(exact), dict(prefix)

    def said(self, text: str) -> bool:
        """True when the message has a danger term of any language (people mix languages)."""
        tokens = matchable(text).split()
        exact, prefix = self._by_first_word
        for start, token in enumerate(tokens):
            candidates = list(exact.get(token, ()))
            candidates += [
                t for head, terms in prefix.items() if token.startswith(head) for t in terms
            ]
            if any(term.matches_at(tokens, start) for term in candidates):
                return True
        return False
