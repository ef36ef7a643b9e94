"""Prometheus metrics of the web layer: turns, their latency, fallbacks, handoffs, SMS segments.

Counts only: no conversation, no number, no text is ever a label.
"""

from __future__ import annotations

import os
from typing import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

# Twilio waits 15 s; Rasa's own answer takes tens to hundreds of milliseconds.
TURN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0)
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # set it when gunicorn runs several workers
ANSWERED, RELAYED, FALLBACK, DELETED = "answered", "relayed", "fallback", "deleted"


class Metrics:
    """One app's metrics, in its own registry (several apps in one process do not collide)."""

    def __init__(self, waiting: Callable[[], dict]) -> None:
        self.registry = CollectorRegistry()
        self.turns = Counter(
            "puente_turns",
            "Messages handled, by channel and what became of them",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.turn_seconds = Histogram(
            "puente_turn_seconds",
            "Time to answer one message, by channel",
            ["channel"],
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "puente_fallbacks",
            "Replies that said Puente cannot answer (a part was down), by channel",
            ["channel"],
            registry=self.registry,
        )
        self.sms_segments = Counter(
            "puente_sms_segments",
            "SMS segments sent: in replies, or outbound (advocates, updates)",
            ["kind"],
            registry=self.registry,
        )
        self.sms_holding = Counter(
            "puente_sms_holding_replies",
            "SMS turns slower than Twilio's deadline: a holding text went, the answer after",
            registry=self.registry,
        )
        self.handoffs = HandoffCollector(waiting)
        self.registry.register(self.handoffs)

    def count_turn(self, channel: str, outcome: str, seconds: float) -> None:
        """One message handled: what became of it and how long it took."""
        self.turns.labels(channel, outcome).inc()
        self.turn_seconds.labels(channel).observe(seconds)
        if outcome == FALLBACK:
            self.fallbacks.labels(channel).inc()

    def exposition(self) -> tuple:
        """The body and content type of /metrics; all workers' counts under gunicorn."""
        if os.environ.get(MULTIPROCESS_DIR):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            registry.register(self.handoffs)  # read from Redis: the same for every worker
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class HandoffCollector:
    """Handoffs waiting for a person, by priority, read from Redis when scraped."""

    def __init__(self, waiting: Callable[[], dict]) -> None:
        self.waiting = waiting

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "puente_handoffs_waiting", "Handoffs nobody has claimed yet", labels=["priority"]
        )
        try:
            counts = self.waiting()
        except Exception:  # noqa: BLE001 - Redis down: report nothing rather than fail the scrape
            counts = {}
        for priority, count in sorted(counts.items()):
            family.add_metric([priority], count)
        yield family
