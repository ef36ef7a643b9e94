"""Machine translation for languages Puente has no written texts for: in to English, out again."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

log = logging.getLogger(__name__)

PIVOT = "en"
# When Puente can neither write nor translate a language, the notice goes out in a language its
# speakers often read (a neighbour or a language of schooling); English otherwise.
LIKELY_TO_READ = {
    "ms": "id",
    "jv": "id",
    "su": "id",
    "gl": "es",
    "ca": "es",
    "eu": "es",
    "qu": "es",
    "it": "es",
    "oc": "fr",
    "wa": "fr",
    "lb": "fr",
    "br": "fr",
    "mg": "fr",
    "rw": "fr",
    "wo": "fr",
    "km": "vi",
    "lo": "vi",
}


@dataclass
class Machine:
    """A translator (googletrans-compatible) and the languages it can bring to and from English."""

    translator: Any  # webhook.translator.Translator
    languages: Set[str]  # codes with a model to English and one back

    def to_english(self, text: str, source: str) -> Optional[str]:
        """The message in English, or None when it cannot be translated."""
        try:
            return self.translator.translate(text, dest=PIVOT, src=source).text
        except Exception:  # noqa: BLE001 - a failed translation must not cost the person a reply
            log.exception("translation to English failed", extra={"source": source})
            return None

    def from_english(
        self, messages: List[Dict[str, Any]], dest: str
    ) -> Optional[List[Dict[str, Any]]]:
        """The messages (texts and button titles) in `dest`, or None when that fails."""
        texts = [m["text"] for m in messages]
        titles = [b["title"] for m in messages for b in m.get("buttons") or []]
        try:
            translated = self.translator.translate(texts + titles, dest=dest, src=PIVOT)
        except Exception:  # noqa: BLE001
            log.exception("translation from English failed", extra={"dest": dest})
            return None
        out = [t.text for t in translated]
        result, titles_out = [], iter(out[len(texts) :])
        for message, text in zip(messages, out[: len(texts)], strict=True):
            buttons = [
                {"title": next(titles_out), "payload": b["payload"]}
                for b in message.get("buttons") or []
            ]
            result.append({"text": text, "buttons": buttons})
        return result


def likely_to_read(code: str, written: Set[str]) -> str:
    """The language to explain ourselves in to someone whose language Puente cannot handle."""
    guess = LIKELY_TO_READ.get(code, PIVOT)
    return guess if guess in written else PIVOT


def load_machine(packages_dir: Optional[Path]) -> Optional[Machine]:
    """The installed models as a Machine, or None when no language goes to English and back."""
    if packages_dir is None or not packages_dir.exists():
        return None
    from webhook.translator import Translator

    translator = Translator(packages_dir)
    pairs = set(translator.pairs())
    languages = {
        source
        for source, target in pairs
        if target == PIVOT and (PIVOT, source) in pairs and source != PIVOT
    }
    if not languages:
        return None
    log.info("machine translation ready", extra={"languages": sorted(languages)})
    return Machine(translator=translator, languages=languages)
