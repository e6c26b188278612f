"""The gateway's metric objects (prometheus-client), in multiprocess mode under gunicorn: one file set per worker.

Named awtrix_gateway_<thing>_<unit>, labelled only with the fixed values of gateway/metrics/labels.py. In a
worker they are registered nowhere: gunicorn's master reads every worker's files (gateway/metrics/master.py).
"""

import functools

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from gateway.metrics.labels import ANSWERS, FAMILIES, KINDS
from gateway.metrics.tally import BUCKETS_S

PREFIX = "awtrix_gateway_"


class GatewayMetrics:
    """Every metric the gateway exports."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        """Define the metrics in registry (None: in no registry, as in a gunicorn worker in multiprocess mode)."""
        self.webhooks = Counter(
            PREFIX + "webhooks_total",
            "Webhooks answered (POST /cloud), by mode family and answer (delivered, no_device_connected, ..., error code).",
            ("family", "answer"),
            registry=registry,
        )
        self.webhook_seconds = Histogram(
            PREFIX + "webhook_duration_seconds",
            "Time the gateway's app took to answer a webhook, broker acknowledgement included.",
            buckets=BUCKETS_S,
            registry=registry,
        )
        self.ack_seconds = Histogram(
            PREFIX + "broker_ack_duration_seconds",
            "Time from handing a webhook to the broker to its answer: acknowledgement, receipt, and a clock's own answer if any.",
            buckets=BUCKETS_S,
            registry=registry,
        )
        self.published_bytes = Counter(
            PREFIX + "published_bytes_total", "Payload bytes of the messages published to the broker.", registry=registry
        )
        self.rate_limited = Counter(
            PREFIX + "rate_limited_total", "Webhooks refused by a rate limit, by kind (token, address).", ("kind",),
            registry=registry,
        )  # fmt: skip
        self.broker_up = Gauge(
            PREFIX + "broker_up",
            "Workers whose link to the broker is up (on the embedded broker a worker reconnects at its next request).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.workers = Gauge(PREFIX + "workers", "Worker processes running.", registry=registry, multiprocess_mode="livesum")
        self.reconnects = Counter(
            PREFIX + "broker_reconnects_total", "Times a worker's broker link came back after being down.", registry=registry
        )


@functools.cache
def process_metrics() -> GatewayMetrics:
    """Return this process's metrics, defined once (a second definition would write the same multiprocess slots)."""
    return GatewayMetrics(None)


def series_bound() -> int:
    """Return the most series the gateway can export: every label combination, every histogram bucket, sum and count."""
    histogram = len(BUCKETS_S) + 1 + 2  # the buckets, +Inf, _sum and _count
    return len(FAMILIES) * len(ANSWERS) + 2 * histogram + 1 + len(KINDS) + 1 + 1 + 1
