"""Leaving the line for an advocate: "back to Puente" while nobody has claimed the chat yet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import FrozenSet

from webhook.language_choice import matchable
from webhook.yamlfile import read_yaml

PHRASES_FILE = Path("directory") / "leave_queue.yml"


@dataclass(frozen=True)
class LeavePhrases:
    """Every language's phrases, in the form messages are compared in."""

    phrases: FrozenSet[str]

    @classmethod
    def load(cls, content_dir: Path) -> "LeavePhrases":
        """Read content/directory/leave_queue.yml."""
        doc = read_yaml(content_dir / PHRASES_FILE) or {}
        found = {
            matchable(phrase)
            for phrases in (doc.get("phrases") or {}).values()
            for phrase in phrases or []
        }
        return cls(frozenset(found))

    def said(self, text: str) -> bool:
        """True when the whole message is one of the phrases (any language, any accents)."""
        return matchable(text) in self.phrases
