"""The supervisor's figures: handoffs waiting, claimed and closed; time to claim; volumes."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional

from webhook.handoff import CLAIMED, CLOSED, WAITING, TicketFigures

UNKNOWN_TOPIC = "none"


@dataclass
class Figures:
    """Counts and times for the tickets opened in one period; no ids, no numbers, no text."""

    opened: int = 0
    by_status: Dict[str, int] = field(default_factory=dict)
    claim_seconds_median: Optional[float] = None
    claim_seconds_p90: Optional[float] = None
    by_language: Dict[str, int] = field(default_factory=dict)
    by_channel: Dict[str, int] = field(default_factory=dict)
    by_topic: Dict[str, int] = field(default_factory=dict)
    by_priority: Dict[str, int] = field(default_factory=dict)
    by_outcome: Dict[str, int] = field(default_factory=dict)


def percentile(values: List[float], fraction: float) -> Optional[float]:
    """The nearest-rank percentile (0.9 for the 90th); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def most_common(counter: Counter) -> Dict[str, int]:
    """Largest first, then by name, so the table reads the same every time."""
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def figures(tickets: Iterable[TicketFigures], since: float) -> Figures:
    """Figures for the tickets opened at or after `since`."""
    chosen = [ticket for ticket in tickets if ticket.created_at >= since]
    waits = [t.claimed_at - t.created_at for t in chosen if t.claimed_at is not None]
    status = Counter(t.status for t in chosen)
    return Figures(
        opened=len(chosen),
        by_status={name: status.get(name, 0) for name in (WAITING, CLAIMED, CLOSED)},
        claim_seconds_median=statistics.median(waits) if waits else None,
        claim_seconds_p90=percentile(waits, 0.9),
        by_language=most_common(Counter(t.language for t in chosen)),
        by_channel=most_common(Counter(t.channel for t in chosen)),
        by_topic=most_common(Counter(t.topic or UNKNOWN_TOPIC for t in chosen)),
        by_priority=most_common(Counter(t.priority for t in chosen)),
        by_outcome=most_common(Counter(t.outcome for t in chosen if t.outcome)),
    )
