"""The console's audit log: who viewed, claimed, replied to, transferred and closed which ticket."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import List, Optional

import redis

from webhook import keys

AUDIT_RETENTION_SECONDS = 400 * 86_400  # over a year, for an organisation's yearly review
AUDIT_MAX_ENTRIES = 500_000  # a bound, so a flood of views cannot fill Redis


@dataclass
class AuditEntry:
    """One thing a console user did; never message text, never a phone number."""

    at: float
    actor: str
    action: str
    ticket: str = ""
    detail: str = ""


class AuditLog:
    """Append-only record in a Redis stream; the connection is passed in."""

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def record(
        self,
        actor: str,
        action: str,
        ticket: str = "",
        detail: str = "",
        now: Optional[float] = None,
    ) -> None:
        """Adds one entry; old entries fall off by age and by count."""
        now = time.time() if now is None else now
        oldest = int((now - AUDIT_RETENTION_SECONDS) * 1000)
        with self.redis.pipeline() as pipe:
            pipe.xadd(
                keys.audit_log(),
                {
                    "at": f"{now:.3f}",
                    "actor": actor,
                    "action": action,
                    "ticket": ticket,
                    "detail": detail,
                },
                maxlen=AUDIT_MAX_ENTRIES,
                approximate=True,
            )
            pipe.xtrim(keys.audit_log(), minid=oldest, approximate=True)
            pipe.expire(keys.audit_log(), AUDIT_RETENTION_SECONDS)
            pipe.execute()

    def recent(self, count: int = 200) -> List[AuditEntry]:
        """The newest entries first."""
        return [
            AuditEntry(
                at=float(fields[b"at"]),
                actor=fields[b"actor"].decode(),
                action=fields[b"action"].decode(),
                ticket=fields.get(b"ticket", b"").decode(),
                detail=fields.get(b"detail", b"").decode(),
            )
            for _, fields in self.redis.xrevrange(keys.audit_log(), count=count)
        ]
