"""METRICS_PORT: the broker's Prometheus listener, and the one timer that measures its event loop's lag.

prometheus-client's own HTTP server answers scrapes from a thread; the collector (broker/metrics.py) reads the
broker's state on the event loop, so a loop that is stuck shows as a failing scrape, and a slow one in the
lag histogram. Only when METRICS_PORT is set; bound to METRICS_HOST (default HOST).
"""

import asyncio
import logging
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector, start_http_server

from broker.hub import Hub
from broker.metrics import BrokerCollector
from broker.settings import BrokerSettings

log = logging.getLogger(__name__)

LAG_EVERY_S = 0.5


class LagProbe:
    """A timer every LAG_EVERY_S that counts how late the loop ran it (one for the whole broker)."""

    def __init__(self, hub: Hub, loop: asyncio.AbstractEventLoop) -> None:
        """Start measuring."""
        self._hub, self._loop = hub, loop
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self._schedule()

    def close(self) -> None:
        """Stop measuring."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _schedule(self) -> None:
        self._due = self._loop.time() + LAG_EVERY_S
        self._handle = self._loop.call_at(self._due, self._tick)

    def _tick(self) -> None:
        self._hub.stats.lagged(max(0.0, self._loop.time() - self._due))
        self._schedule()


class MetricsListener:
    """The broker's /metrics, served from a thread while the broker runs."""

    def __init__(self, server: Any, probe: LagProbe) -> None:
        """Keep what start() made."""
        self._server, self._probe = server, probe

    @classmethod
    def start(cls, settings: BrokerSettings, hub: Hub) -> "MetricsListener":
        """Serve the hub's metrics on METRICS_HOST:METRICS_PORT; must run on the broker's event loop."""
        loop = asyncio.get_running_loop()
        registry = CollectorRegistry()
        registry.register(BrokerCollector(hub, loop))
        ProcessCollector(registry=registry)  # process_resident_memory_bytes, process_cpu_seconds_total, ...
        server, _ = start_http_server(settings.metrics_port or 0, addr=settings.metrics_host, registry=registry)
        log.info("metrics listening on http://%s:%s/metrics", settings.metrics_host, server.server_port)
        return cls(server, LagProbe(hub, loop))

    @property
    def port(self) -> int:
        """Return the port the listener is bound to (useful with METRICS_PORT=0)."""
        return self._server.server_port

    async def close(self) -> None:
        """Stop the lag timer and the listener (its thread notices within half a second)."""
        self._probe.close()
        await asyncio.get_running_loop().run_in_executor(None, self._server.shutdown)
        self._server.server_close()
