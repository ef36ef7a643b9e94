"""Phone numbers: a keyed hash stands for the number everywhere; the number is kept encrypted."""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Optional

import redis

from bot.sealing import Sealer
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
        # Comma-separated keys, newest first, like PUENTE_DATA_KEYS: the same rotation.
        self.sealer = Sealer(encryption_key)  # raises ValueError for a malformed key
        self.connection = connection

    def conversation_id(self, address: str) -> str:
        """The keyed hash that stands for this address in Rasa, Redis keys and logs."""
        digest = hmac.new(self._hash_key, address.strip().encode(), hashlib.sha256).hexdigest()
        return CONVERSATION_PREFIX + digest[:HASH_HEX_CHARS]

    def remember(self, conversation_id: str, address: str, ttl_seconds: int) -> None:
        """Keep the address, encrypted, for as long as the conversation is kept."""
        token = self.sealer.seal(address.strip())
        self.connection.set(keys.sms_address(conversation_id), token, ex=ttl_seconds)

    def forget(self, conversation_id: str) -> None:
        """Drop the stored address (after STOP, Puente has no reason to keep it)."""
        self.connection.delete(keys.sms_address(conversation_id))

    def address(self, conversation_id: str) -> Optional[str]:
        """The address to text back, or None when it is gone (expired, deleted or unreadable)."""
        token = self.connection.get(keys.sms_address(conversation_id))
        address = self.sealer.open(token)
        if token is not None and address is None:
            # A key retired too early: the conversation can no longer be texted, nothing leaks.
            log.error("stored address cannot be decrypted with the current keys")
        return address
