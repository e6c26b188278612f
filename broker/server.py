"""Run the embedded broker until asked to stop."""

import asyncio
import logging
import signal

from broker.amqtt_core import RelayBroker
from broker.settings import BrokerSettings

log = logging.getLogger(__name__)


async def serve(settings: BrokerSettings, started: asyncio.Event | None = None) -> None:
    """Start the broker, report where it listens, and shut it down cleanly on SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    broker = RelayBroker(settings)
    await broker.start()
    metrics = None
    if settings.metrics_port is not None:
        from broker.metrics_listener import MetricsListener  # prometheus-client only when metrics are on

        metrics = MetricsListener.start(settings, broker.hub)
    log.info("MQTT broker listening on %s:%s", settings.host, broker.port)
    if started is not None:
        started.set()
    await stop.wait()
    log.info("stopping: closing %s client connections", broker.connected_clients)
    await broker.shutdown()
    if metrics is not None:
        await metrics.close()
    log.info("stopped")
