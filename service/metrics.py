"""What an operator watches, in Prometheus's text format (GET /metrics).

Every figure is read from the database, or from the model in service, when it is asked for: any
gunicorn worker gives the same answer, and a worker's restart loses nothing, so there are no
per-process counters to add up across workers.

The last day's comments, by the service's verdict, their status now and who decided it, are
the production signal of the model's quality: comments the service approved that a moderator
rejected are its misses; held ones a moderator published are its false alarms. A shift in the
verdicts' shares, with no change of model, says the comments changed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from service.outbox import outbox_status
from service.storage import PENDING, PUBLISHED, REJECTED, STATUSES, comments

RECENT = dt.timedelta(days=1)


def queue_gauges(connection: Connection, now: dt.datetime) -> list[GaugeMetricFamily]:
    """Comments by status now, and how long the oldest pending one has waited."""
    by_status = GaugeMetricFamily("moderation_comments", "Comments by status now",
                                  labels=["status"])
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(connection.execute(
        select(comments.c.status, func.count()).where(comments.c.status.in_(STATUSES))
        .group_by(comments.c.status)).all())
    for status, count in counts.items():
        by_status.add_metric([status], count)
    # Arrival order is the pk order the pending tab uses, so the first pending row is the oldest.
    oldest = connection.execute(select(comments.c.received_at).where(
        comments.c.status == PENDING).order_by(comments.c.pk).limit(1)).scalar()
    waited = GaugeMetricFamily(
        "moderation_oldest_pending_seconds",
        "How long the oldest comment waiting for a moderator has waited (0 when none waits)")
    waited.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
    return [by_status, waited]


def verdict_outcomes(connection: Connection, since: dt.datetime) -> Counter:
    """Count the comments received since ``since`` by (the service's verdict on arrival, their
    status now, whether a person decided it); withdrawn ones are left out."""
    # Filtered by arrival time alone, so the engine reads those rows by the received_at index;
    # with the status in the query too, SQLite scans every comment of those statuses (122 ms
    # instead of a few at 100,000 comments). Withdrawn ones are dropped here.
    rows = connection.execute(
        select(comments.c.verdict, comments.c.status, comments.c.human_decided, func.count())
        .where(comments.c.received_at >= since)
        .group_by(comments.c.verdict, comments.c.status, comments.c.human_decided)).all()
    return Counter({(verdict, status, bool(human)): count
                    for verdict, status, human, count in rows if status in STATUSES})


@dataclass(frozen=True)
class Outcomes:
    """The service's verdicts against what became of the comments (``verdict_outcomes``)."""

    counts: Counter

    def count(self, verdict: str, status: str, person: bool | None = None) -> int:
        """Comments of ``verdict`` now in ``status``; decided by a person or not, or either."""
        people = (False, True) if person is None else (person,)
        return sum(self.counts[verdict, status, who] for who in people)

    def received(self, verdict: str) -> int:
        return sum(self.count(verdict, status) for status in STATUSES)

    @property
    def misses(self) -> int:
        """Comments the service approved and a moderator then rejected."""
        return self.count("approve", REJECTED, person=True)

    @property
    def false_alarms(self) -> int:
        """Comments the service held or rejected and a moderator then published."""
        return sum(self.count(verdict, PUBLISHED, person=True) for verdict in ("review", "reject"))


def recent_gauge(connection: Connection, now: dt.datetime) -> GaugeMetricFamily:
    """The last day's comments by the service's verdict, status now and who decided it."""
    recent = GaugeMetricFamily(
        "moderation_recent_comments",
        "Comments received in the last 24 hours, by the service's verdict on arrival, their "
        "status now, and whether a person or the service alone decided it",
        labels=["verdict", "status", "decided_by"])
    for (verdict, status, human), count in sorted(verdict_outcomes(connection,
                                                                   now - RECENT).items()):
        recent.add_metric([verdict, status, "person" if human else "service"], count)
    return recent


def webhook_gauges(connection: Connection) -> list[GaugeMetricFamily]:
    """Webhook events waiting, failing, and the oldest one's wait (docs/queue.md)."""
    status = outbox_status(connection)
    figures = [
        ("moderation_webhook_events_waiting", "Webhook events not yet delivered",
         status["pending"]),
        ("moderation_webhook_events_failing", "Waiting webhook events that failed at least once",
         status["failing"]),
        ("moderation_webhook_oldest_waiting_seconds",
         "How long the oldest undelivered webhook event has waited (0 when none waits)",
         status["oldest_pending_seconds"] or 0.0),
    ]
    gauges = []
    for name, documentation, value in figures:
        gauge = GaugeMetricFamily(name, documentation)
        gauge.add_metric([], value)
        gauges.append(gauge)
    return gauges


def model_gauge(model_version: str) -> GaugeMetricFamily:
    info = GaugeMetricFamily("moderation_model_info", "The model in service (always 1)",
                             labels=["version"])
    info.add_metric([model_version], 1)
    return info


class _Snapshot(Collector):
    def __init__(self, families: list[GaugeMetricFamily]):
        self.families = families

    def collect(self):
        return iter(self.families)


def exposition(connection: Connection, model_version: str, now: dt.datetime) -> bytes:
    """Return every gauge, read now, in Prometheus's text exposition format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot([
        model_gauge(model_version), *queue_gauges(connection, now),
        recent_gauge(connection, now), *webhook_gauges(connection)]))
    return generate_latest(registry)
