"""Prometheus metrics: requests and their latency (counted in every process, added up across
gunicorn workers in multiprocess mode), and the work waiting in the database, read when
Prometheus scrapes: open tasks, due timers, outbox backlog, open incidents."""

import os
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.engine.models import HumanTask, Incident, ProcessInstance
from app.notifications.models import OutboxMessage

CONTENT_TYPE = CONTENT_TYPE_LATEST
BACKLOG_HELP = {
    "open_tasks": "Human tasks not yet completed.",
    "due_timers": "Running cases whose timer is due and not yet fired.",
    "outbox_backlog": "E-mail messages waiting to be sent.",
    "open_incidents": "Incidents not yet resolved.",
}


class Metrics:
    """The request metrics of one app; with PROMETHEUS_MULTIPROC_DIR set (gunicorn with
    several workers) every process writes its values there and a scrape adds them up."""

    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter("tf_http_requests", "HTTP requests by endpoint and status.",
                                ["endpoint", "method", "status"], registry=self.registry)
        self.latency = Histogram("tf_http_request_duration_seconds",
                                 "Time to answer an HTTP request, by endpoint.", ["endpoint"],
                                 registry=self.registry)

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(endpoint, method, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def render(self, backlog: dict[str, int]) -> bytes:
        """Return the exposition text: request metrics of all processes, then the backlog."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            requests = CollectorRegistry()
            multiprocess.MultiProcessCollector(requests)
        else:
            requests = self.registry
        gauges = CollectorRegistry()
        gauges.register(_Backlog(backlog))
        return generate_latest(requests) + generate_latest(gauges)


class _Backlog:
    def __init__(self, values: dict[str, int]):
        self.values = values

    def collect(self):
        for name, value in self.values.items():
            yield GaugeMetricFamily(f"tf_{name}", BACKLOG_HELP[name], value=value)


def read_backlog(session: Session, now: datetime) -> dict[str, int]:
    """Count the waiting work in one query."""
    def count(model, *where):
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    row = session.execute(select(
        count(HumanTask, HumanTask.completed_at.is_(None)),
        count(ProcessInstance, ProcessInstance.next_timer_at <= now,
              ProcessInstance.status == "running", ProcessInstance.has_incident.is_(False)),
        count(OutboxMessage, OutboxMessage.status == "pending"),
        count(Incident, Incident.resolved_at.is_(None)),
    )).one()
    return dict(zip(BACKLOG_HELP, row, strict=True))
