"""SMS keywords (STOP, START, HELP and their equivalents in each language Puente speaks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

OPT_OUT = "opt_out"
OPT_IN = "opt_in"
OPT_IN_WHEN_OPTED_OUT = "opt_in_when_opted_out"
HELP = "help"
# Twilio's own words are English; whoever uses them is answered in their conversation's language.
TWILIO_LANGUAGE = "en"


@dataclass(frozen=True)
class Keyword:
    """A keyword found in a message, and the language to confirm it in."""

    kind: str
    language: str


def match(
    body: str, table: Dict[str, Dict[str, List[str]]], current_language: Optional[str]
) -> Optional[Keyword]:
    """The keyword a message is, if it is one word on its own from a keyword list."""
    word = body.strip().casefold()
    if not word or len(word.split()) != 1:
        return None
    found = {
        (kind, language)
        for language, kinds in table.items()
        for kind, words in kinds.items()
        if word in words
    }
    if not found:
        return None
    languages = {language for _, language in found}
    if current_language and (current_language in languages or TWILIO_LANGUAGE in languages):
        language = current_language
    else:
        language = min(languages, key=lambda code: (code == TWILIO_LANGUAGE, code))
    kinds = {kind for kind, _ in found}
    # One kind per word in practice; if lists ever overlap, stopping texts wins over anything else.
    for kind in (OPT_OUT, OPT_IN, OPT_IN_WHEN_OPTED_OUT, HELP):
        if kind in kinds:
            return Keyword(kind, language)
    return None
