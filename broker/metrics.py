"""The broker's Prometheus collector: its counts (broker/stats.py) and its state, read on its event loop at each scrape.

Gauges (devices, subscriptions, ...) are computed when Prometheus scrapes, not kept up to date per event.
Labels are fixed reasons, never a token, a topic, a client id or an address; every label value is always
exported, so the number of series never changes.
"""

import asyncio
import copy
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from broker.stats import LAG_BUCKETS_S, BrokerStats

if TYPE_CHECKING:
    from broker.hub import Hub

PREFIX = "awtrix_broker_"
SNAPSHOT_TIMEOUT_S = 5.0


class BrokerCollector(Collector):
    """Read the broker's counts and state on its event loop whenever Prometheus scrapes (from the listener's thread)."""

    def __init__(self, hub: "Hub", loop: asyncio.AbstractEventLoop) -> None:
        """Collect from hub, whose state only loop may touch."""
        self.hub, self.loop = hub, loop

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        """Yield every broker metric; every label value is always present, so the series never change."""
        snapshot = asyncio.run_coroutine_threadsafe(self._snapshot(), self.loop).result(SNAPSHOT_TIMEOUT_S)
        stats: BrokerStats = snapshot["stats"]  # type: ignore[assignment]
        for name, text in (
            ("connections", "Open client connections, logged in or not."),
            ("devices_connected", "Devices logged in."),
            ("gateway_links", "Gateway connections logged in."),
            ("subscriptions", "Device subscriptions held."),
            ("max_connections", "Connections the broker holds at most (MQTT_MAX_CONNECTIONS)."),
        ):
            yield GaugeMetricFamily(PREFIX + name, text, value=snapshot[name])  # type: ignore[arg-type]
        opened = stats.connections_opened
        yield _counter("connections_opened", "Connections admitted.", opened)
        closed = opened - snapshot["connections"]  # type: ignore[operator]
        yield _counter("connections_closed", "Admitted connections that have closed.", closed)
        yield _counter("connections_refused", "Connections closed at once: broker full or closing.", stats.connections_refused)
        yield _labelled("logins_refused", "CONNECTs refused, by reason.", stats.logins_refused)
        yield _counter("keepalive_expired", "Connections silent for 1.5 x their keep-alive, closed.", stats.keepalive_expired)
        yield _counter("connect_timeouts", "Connections closed for sending no CONNECT in time.", stats.connect_timeouts)
        yield _counter("protocol_errors", "Connections closed for breaking MQTT 3.1.1.", stats.protocol_errors)
        yield _counter("messages_routed", "Messages handed to at least one subscriber.", stats.messages_routed)
        yield _counter("deliveries", "Messages written to subscribers (one per subscriber reached).", stats.deliveries)
        yield _labelled("messages_dropped", "Messages dropped, by reason (per delivery for slow subscribers).", stats.dropped)
        yield _counter("received_bytes", "MQTT bytes received from clients.", stats.bytes_in)
        yield _counter("sent_bytes", "MQTT bytes written to clients.", stats.bytes_out)
        cumulative, buckets = 0, []
        for bound, count in zip((*LAG_BUCKETS_S, float("inf")), stats.lag, strict=True):
            cumulative += count
            buckets.append((str(bound) if bound != float("inf") else "+Inf", cumulative))
        yield HistogramMetricFamily(
            PREFIX + "event_loop_lag_seconds", "How late the event loop ran a timer, measured twice a second.",
            buckets=buckets, sum_value=stats.lag_sum_s,
        )  # fmt: skip

    async def _snapshot(self) -> dict[str, object]:
        hub = self.hub
        gateway = hub.settings.gateway_username
        links = sum(1 for username, _ in hub.sessions if username == gateway)
        return {
            "stats": copy.deepcopy(hub.stats),
            "connections": len(hub.connections),
            "devices_connected": len(hub.sessions) - links,
            "gateway_links": links,
            "subscriptions": len(hub.index),
            "max_connections": hub.settings.max_connections,
        }


def _counter(name: str, text: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(PREFIX + name, text, value=value)


def _labelled(name: str, text: str, values: dict[str, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(PREFIX + name, text, labels=("reason",))
    for reason, value in values.items():
        family.add_metric((reason,), value)
    return family
