"""Prometheus metrics at ``/metrics``.

* ``iwmo_messages_total{message_type, verdict}`` — messages received, by what became of
  them (accepted, partially_accepted, rejected, unreadable, forbidden; replayed ones
  separately as ``replayed``);
* ``iwmo_message_duration_seconds{message_type}`` — receiving one message, from the first
  byte stored to the answer;
* ``iwmo_http_requests_total{method, route, status}`` and
  ``iwmo_http_request_duration_seconds{method, route}`` — every request, by route template
  (never the concrete path: ids are not labels);
* ``iwmo_mailbox_backlog{recipient}`` and ``iwmo_mailbox_oldest_seconds{recipient}`` —
  what waits unacknowledged, read from the database when scraped, so it is right whatever
  worker answers.

With several worker processes (``iwmo serve --workers N``) the counters and histograms of
all workers are added up through prometheus_client's multiprocess mode:
``PROMETHEUS_MULTIPROC_DIR`` must name an empty directory before the workers start (the
``serve`` command takes care of it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from app.routing.models import MailboxItem

if TYPE_CHECKING:
    from app.intake import Verdict
    from app.services import Services

CONTENT_TYPE = CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

MESSAGES = Counter(
    "iwmo_messages_total",
    "Messages received, by message type and verdict",
    ["message_type", "verdict"],
)
MESSAGE_SECONDS = Histogram(
    "iwmo_message_duration_seconds",
    "Time to store, judge, apply and answer one received message",
    ["message_type"],
    buckets=_LATENCY_BUCKETS,
)
REQUESTS = Counter(
    "iwmo_http_requests_total",
    "HTTP requests, by method, route template and status",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "iwmo_http_request_duration_seconds",
    "HTTP request duration, by method and route template",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)


def observe_message(verdict: Verdict, seconds: float) -> None:
    kind = verdict.message_type or "unknown"
    said = "replayed" if verdict.replayed else (verdict.status or "unknown")
    MESSAGES.labels(kind, said).inc()
    if not verdict.replayed:
        MESSAGE_SECONDS.labels(kind).observe(seconds)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    REQUEST_SECONDS.labels(method, route).observe(seconds)


class MailboxCollector(Collector):
    """The unacknowledged mailbox items per recipient, counted when scraped."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def collect(self) -> Iterable[Metric]:
        backlog = GaugeMetricFamily(
            "iwmo_mailbox_backlog", "Mailbox items not yet acknowledged", labels=["recipient"]
        )
        oldest = GaugeMetricFamily(
            "iwmo_mailbox_oldest_seconds",
            "Age of the oldest unacknowledged mailbox item",
            labels=["recipient"],
        )
        now = datetime.now(UTC)
        with self._services.database.read() as s:
            rows = s.execute(
                select(
                    MailboxItem.recipient_code,
                    func.count(MailboxItem.id),
                    func.min(MailboxItem.created_at),
                )
                .where(MailboxItem.acked_at.is_(None))
                .group_by(MailboxItem.recipient_code)
            ).all()
        for recipient, count, first in rows:
            backlog.add_metric([recipient], count)
            if first is not None:
                first = first if first.tzinfo else first.replace(tzinfo=UTC)
                oldest.add_metric([recipient], max(0.0, (now - first).total_seconds()))
        yield backlog
        yield oldest


def exposition(services: Services) -> bytes:
    """The metrics text for one scrape."""
    registry = CollectorRegistry()
    if services.settings.prometheus_multiproc_dir is not None:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in (MESSAGES, MESSAGE_SECONDS, REQUESTS, REQUEST_SECONDS):
            registry.register(collector)
    registry.register(MailboxCollector(services))
    return generate_latest(registry)
