"""Sizes replies for SMS: encoding, billed segments, and splitting/packing texts into bodies."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Collection, List, Optional

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 basic character set (the escape code 0x1B is not a character of its own).
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table: each is sent as ESC + character, so it takes 2 septets.
GSM7_EXTENSION: frozenset[str] = frozenset("^{}\\[~]|€\f")
_GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67
MAX_MESSAGE_CHARS = 1600  # Twilio's body limit, counted here in UTF-16 code units (conservative)

ELLIPSIS_UCS2 = "…"
ELLIPSIS_GSM7 = "..."  # "…" is not in GSM-7: appending it would turn a GSM-7 body into UCS-2

_H_SPACE = re.compile(r"[ \t]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?(\r?\n) ?")
_WHITESPACE = re.compile(r"\s+")
_CLOSERS = "\"'”’»)\\]」』）"
_LATIN_SENTENCE_END = re.compile(rf"[.?!]+[{_CLOSERS}]*(?=\s|$)")
_CJK_SENTENCE_END = re.compile(rf"[。？！]+[{_CLOSERS}]*")
_NEWLINE = re.compile(r"\s*\n")
_ZWJ = "\u200d"
_TRAILING_PUNCTUATION = " ,;:."


def encoding(text: str) -> str:
    """Return "GSM-7" if every character is in the GSM-7 basic or extension table, else "UCS-2"."""
    return GSM7 if all(char in _GSM7_ALL for char in text) else UCS2


def _char_units(char: str, enc: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) one code point takes."""
    if enc == GSM7:
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def _utf16_len(text: str) -> int:
    """Number of UTF-16 code units in text."""
    return len(text.encode("utf-16-le")) // 2


def length_units(text: str) -> int:
    """Septets for GSM-7 (extension characters count 2), UTF-16 code units for UCS-2."""
    enc = encoding(text)
    return sum(_char_units(char, enc) for char in text)


def segments(text: str) -> int:
    """Segments Twilio bills for this one message (0 for "")."""
    if not text:
        return 0
    enc = encoding(text)
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if enc == GSM7 else (UCS2_SINGLE, UCS2_MULTI)
    sizes = [_char_units(char, enc) for char in text]
    if sum(sizes) <= single:
        return 1
    # Like Twilio's segment calculator: a 2-unit character (escape sequence, surrogate pair) is
    # never split across two segments, so it moves whole to the next one.
    count, used = 1, 0
    for size in sizes:
        if used + size > multi:
            count, used = count + 1, 0
        used += size
    return count


@dataclass(frozen=True)
class Sized:
    """SMS bodies to send for one reply, with their billing."""

    messages: List[str]
    segments: int
    encoding: str
    truncated: bool


Fits = Callable[[str], bool]


def _fitter(max_segments: int) -> Fits:
    """A predicate: does this body fit in one message of at most max_segments segments?"""

    def fits(body: str) -> bool:
        return _utf16_len(body) <= MAX_MESSAGE_CHARS and segments(body) <= max_segments

    return fits


def _normalise(text: str) -> str:
    """Strip, collapse runs of spaces and tabs, drop spaces next to newlines."""
    return _SPACE_AROUND_NEWLINE.sub(r"\1", _H_SPACE.sub(" ", text.strip()))


def _longest_fitting_prefix(text: str, fits: Fits) -> int:
    """Largest k with fits(text[:k]); fitting only gets harder as a prefix grows."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle]):
            low = middle
        else:
            high = middle - 1
    return low


def _sentence_ends(text: str) -> List[int]:
    """Positions where a piece can end after a sentence or before a newline."""
    ends = [m.end() for m in _LATIN_SENTENCE_END.finditer(text)]
    ends += [m.end() for m in _CJK_SENTENCE_END.finditer(text)]
    ends += [m.start() for m in _NEWLINE.finditer(text)]
    return ends


def _word_ends(text: str) -> List[int]:
    """Positions where a piece can end before whitespace."""
    return [m.start() for m in _WHITESPACE.finditer(text)]


def _last_at_most(positions: List[int], limit: int) -> Optional[int]:
    """The largest position in 1..limit, or None."""
    candidates = [p for p in positions if 0 < p <= limit]
    return max(candidates) if candidates else None


def _joins_previous(text: str, index: int) -> bool:
    """True if text[index] belongs to the same visible character as text[index - 1]."""
    char, previous = text[index], text[index - 1]
    if previous == _ZWJ or char == _ZWJ:
        return True
    if unicodedata.category(char) in ("Mn", "Mc", "Me"):  # accents, variation selectors
        return True
    return 0x1F3FB <= ord(char) <= 0x1F3FF or 0xE0020 <= ord(char) <= 0xE007F  # skin tone, tag


def _hard_cut(text: str, limit: int) -> int:
    """Where to cut a word longer than a body: at limit, backing off to keep emoji whole."""
    for cut in range(limit, 0, -1):
        if not _joins_previous(text, cut):
            return cut
    return limit


def _cut_point(text: str, fits: Fits) -> int:
    """Where the first piece of a too-long text ends: sentence, else word, else mid-word."""
    limit = _longest_fitting_prefix(text, fits)
    for ends in (_sentence_ends(text), _word_ends(text)):
        end = _last_at_most(ends, limit)
        if end is not None:
            return end
    return _hard_cut(text, limit)


def _split(text: str, fits: Fits) -> List[str]:
    """Split one normalised text into stripped pieces that each fit one body."""
    pieces: List[str] = []
    while not fits(text):
        end = _cut_point(text, fits)
        pieces.append(text[:end].rstrip())
        text = text[end:].strip()
    if text:
        pieces.append(text)
    return pieces


def _pack(pieces: List[str], fits: Fits) -> List[str]:
    """Greedily join consecutive pieces with a newline while the body still fits."""
    bodies: List[str] = []
    for piece in pieces:
        if bodies and fits(bodies[-1] + "\n" + piece):
            bodies[-1] += "\n" + piece
        else:
            bodies.append(piece)
    return bodies


def _with_ellipsis(text: str) -> str:
    """Text with an ellipsis that keeps its encoding."""
    stem = text.rstrip(_TRAILING_PUNCTUATION)
    return stem + (ELLIPSIS_GSM7 if encoding(stem) == GSM7 else ELLIPSIS_UCS2)


def _drop_last_word(text: str) -> str:
    """Text without its last whitespace-separated word (or last character if it is one word)."""
    head = text.rsplit(maxsplit=1)
    if len(head) > 1:
        return head[0].rstrip()
    return text[: _hard_cut(text, len(text) - 1)] if len(text) > 1 else ""


def _close(body: str, fits: Fits) -> str:
    """End a kept body with an ellipsis, dropping words from its end until it fits."""
    while body and not fits(_with_ellipsis(body)):
        body = _drop_last_word(body)
    return _with_ellipsis(body)


def _check(max_segments_per_message: int, max_messages: int) -> None:
    """Raise ValueError unless both limits are at least 1."""
    if max_segments_per_message < 1:
        raise ValueError("max_segments_per_message must be at least 1")
    if max_messages < 1:
        raise ValueError("max_messages must be at least 1")


def fit(
    texts: List[str],
    max_segments_per_message: int,
    max_messages: int,
    alone: Collection[str] = (),
) -> Sized:
    """Split and pack a reply's texts into at most max_messages SMS bodies.

    A text in `alone` is never packed with its neighbours: it goes as SMS of its own.
    """
    _check(max_segments_per_message, max_messages)
    fits = _fitter(max_segments_per_message)
    bodies: List[str] = []
    run: List[str] = []
    for text in texts:
        pieces = _split(_normalise(text), fits)
        if text in alone:
            bodies += _pack(run, fits) + _pack(pieces, fits)
            run = []
        else:
            run += pieces
    bodies += _pack(run, fits)
    truncated = len(bodies) > max_messages
    if truncated:
        bodies = bodies[:max_messages]
        bodies[-1] = _close(bodies[-1], fits)
    return Sized(
        messages=bodies,
        segments=sum(segments(body) for body in bodies),
        encoding=UCS2 if any(encoding(body) == UCS2 for body in bodies) else GSM7,
        truncated=truncated,
    )
