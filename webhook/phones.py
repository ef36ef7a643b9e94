"""Phone numbers: a keyed hash stands for the number everywhere; the number is kept encrypted."""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Optional

import redis
from cryptography.fernet import Fernet, InvalidToken

from webhook import keys

log = logging.getLogger(__name__)

CONVERSATION_PREFIX = "sms-"
HASH_HEX_CHARS = 40  # 160 bits of HMAC-SHA256: no collision in any real deployment


class PhoneVault:
    """Turns an address ("+1555...", "whatsapp:+1555...") into a conversation id and back."""

    def __init__(self, hash_key: str, encryption_key: str, connection: redis.Redis) -> None:
        if not hash_key or not encryption_key:
            raise ValueError("PUENTE_SMS_HASH_KEY and PUENTE_SMS_ENCRYPTION_KEY must be set")
        self._hash_key = hash_key.encode()
        self._fernet = Fernet(encryption_key.encode())  # raises ValueError for a malformed key
        self.connection = connection

    def conversation_id(self, address: str) -> str:
        """The keyed hash that stands for this address in Rasa, Redis keys and logs."""
        digest = hmac.new(self._hash_key, address.strip().encode(), hashlib.sha256).hexdigest()
        return CONVERSATION_PREFIX + digest[:HASH_HEX_CHARS]

    def remember(self, conversation_id: str, address: str, ttl_seconds: int) -> None:
        """Keep the address, encrypted, for as long as the conversation is kept."""
        token = self._fernet.encrypt(address.strip().encode())
        self.connection.set(keys.sms_address(conversation_id), token, ex=ttl_seconds)

    def forget(self, conversation_id: str) -> None:
        """Drop the stored address (after STOP, Puente has no reason to keep it)."""
        self.connection.delete(keys.sms_address(conversation_id))

    def address(self, conversation_id: str) -> Optional[str]:
        """The address to text back, or None when it is gone (expired, deleted or unreadable)."""
        token = self.connection.get(keys.sms_address(conversation_id))
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken:
            # A rotated key: the conversation can no longer be texted, but nothing leaks.
            log.error("stored address cannot be decrypted with the current key")
            return None


def new_encryption_key() -> str:
    """A fresh key for PUENTE_SMS_ENCRYPTION_KEY."""
    return Fernet.generate_key().decode()
