"""When a person said texts may come: outside that window, Puente holds what it sends unprompted."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, Optional, Tuple

# The "when" buttons' windows (actions/handoff.py CONTACT_WINDOWS; their titles in content/ show
# the same hours), in the organisation's time zone. "any", their own words or no answer: no hold.
CONTACT_WINDOWS: Dict[str, Tuple[int, int]] = {
    "morning": (8, 12),
    "afternoon": (12, 17),
    "evening": (17, 21),
}


def next_allowed(contact_time: Any, now: datetime) -> Optional[datetime]:
    """None when a text may go now; else when the person's window next opens (in now's zone)."""
    window = CONTACT_WINDOWS.get(contact_time) if isinstance(contact_time, str) else None
    if window is None:
        return None
    start, end = window
    if start <= now.hour < end:
        return None
    opening = now.replace(hour=start, minute=0, second=0, microsecond=0)
    return opening + timedelta(days=1) if now.hour >= end else opening
