"""Encryption at rest for conversation text, with keys from the environment and key rotation."""

from __future__ import annotations

import json
import os
from typing import Any, Optional, Sequence, Union

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Comma-separated Fernet keys, newest first: the first encrypts, any decrypts (docs/SECURITY.md).
DATA_KEYS_VARIABLE = "PUENTE_DATA_KEYS"


def as_bytes(value: Union[str, bytes]) -> bytes:
    """UTF-8 bytes of a str; bytes as they are."""
    return value.encode() if isinstance(value, str) else value


class Sealer:
    """Encrypts text for Redis and opens it again; a token no key opens reads as gone."""

    def __init__(self, keys: Union[str, Sequence[str]]) -> None:
        if isinstance(keys, str):
            keys = [key for key in (part.strip() for part in keys.split(",")) if key]
        if not keys:
            raise ValueError(f"{DATA_KEYS_VARIABLE} must hold at least one key")
        # Fernet raises ValueError for a malformed key, so a bad setting stops the process at start.
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def seal(self, text: Union[str, bytes]) -> bytes:
        """The encrypted, authenticated token for `text`."""
        return self._fernet.encrypt(as_bytes(text))

    def open(self, token: Union[str, bytes, None]) -> Optional[str]:
        """The text, or None when there is none or no current key opens it."""
        if token is None:
            return None
        try:
            return self._fernet.decrypt(as_bytes(token)).decode()
        except InvalidToken:
            return None

    def seal_json(self, value: Any) -> bytes:
        """`value` as JSON, encrypted."""
        return self.seal(json.dumps(value, ensure_ascii=False))

    def open_json(self, token: Union[str, bytes, None], unreadable: Any = None) -> Any:
        """The JSON value sealed in `token`, or `unreadable` when it cannot be opened."""
        opened = self.open(token)
        return unreadable if opened is None else json.loads(opened)

    def reseal(self, token: Union[str, bytes]) -> Optional[bytes]:
        """The same text under the newest key (key rotation), or None when no key opens it."""
        try:
            return self._fernet.rotate(as_bytes(token))
        except InvalidToken:
            return None


def sealer_from_environment() -> Sealer:
    """The sealer for this deployment's PUENTE_DATA_KEYS; raises when the keys are missing."""
    return Sealer(os.environ.get(DATA_KEYS_VARIABLE, ""))


def new_key() -> str:
    """A fresh key to put first in PUENTE_DATA_KEYS."""
    return Fernet.generate_key().decode()
