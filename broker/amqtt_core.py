"""The one module that touches amqtt (pinned: amqtt==0.12.1): its broker shell around our connection engine.

amqtt's Broker parses the listener configuration, builds TLS contexts, opens and closes the listeners and runs
the start/stop lifecycle. What runs on each accepted connection is ours (broker/connection.py, broker/hub.py),
because amqtt 0.12.1's own handling (shared/reference/amqtt-findings.md) costs about 52 KB per idle device,
scans every subscription for every message, acknowledges QoS 1 before routing, never enforces keep-alive,
hangs on MQTT 5 and lets a failed login take over another client's session. The hook is one method,
_create_server_instance; tests/broker/test_amqtt_contract.py fails loudly if an upgrade changes it.
"""

import asyncio
import ssl
from typing import Any

from amqtt.broker import Broker
from amqtt.contexts import ListenerType

from broker.connection import Connection
from broker.hub import Hub
from broker.settings import BrokerSettings

LISTENER = "default"
TLS_LISTENER = "tls"
LISTEN_BACKLOG = 4096  # a reconnect storm of thousands of devices arrives at once


def amqtt_config(settings: BrokerSettings) -> dict[str, Any]:
    """Return amqtt's configuration: our listeners, and no amqtt plugins (our engine authenticates and routes)."""
    listeners: dict[str, Any] = {LISTENER: {"type": "tcp", "bind": f"{settings.host}:{settings.mqtt_port}"}}
    if settings.tls_port is not None:
        listeners[TLS_LISTENER] = {
            "type": "tcp",
            "bind": f"{settings.host}:{settings.tls_port}",
            "ssl": True,
            "certfile": settings.tls_cert_file,
            "keyfile": settings.tls_key_file,
        }
    return {"listeners": listeners, "plugins": {}}


class RelayBroker(Broker):
    """amqtt's Broker serving every listener with our MQTT connection engine."""

    def __init__(self, settings: BrokerSettings) -> None:
        """Build the broker; must run inside an event loop (amqtt requirement)."""
        super().__init__(amqtt_config(settings))
        self.settings = settings
        self.hub = Hub(settings)

    async def start(self) -> None:
        """Open the listeners and begin enforcing time-outs."""
        self.hub.start(asyncio.get_running_loop())
        await super().start()

    async def shutdown(self) -> None:
        """Close every connection, then the listeners."""
        self.hub.close_all()
        await super().shutdown()

    @property
    def port(self) -> int:
        """Return the TCP port the plain listener is bound to (useful with MQTT_PORT=0)."""
        return self.port_of(LISTENER)

    def port_of(self, listener: str) -> int:
        """Return the TCP port a listener is bound to."""
        return self._servers[listener].instance.sockets[0].getsockname()[1]

    @property
    def connected_clients(self) -> int:
        """Return the number of open connections."""
        return len(self.hub.connections)

    async def _create_server_instance(
        self,
        listener_name: str,
        listener_type: ListenerType,
        address: str | None,
        port: int,
        ssl_context: ssl.SSLContext | None,
    ) -> asyncio.Server:
        if listener_type != ListenerType.TCP:
            raise ValueError(f"listener {listener_name}: only TCP listeners are supported")
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            lambda: Connection(self.hub), address, port, ssl=ssl_context, reuse_address=True, backlog=LISTEN_BACKLOG
        )
