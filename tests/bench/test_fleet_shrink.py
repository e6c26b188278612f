"""The bench's fleet shrinks back to its first devices: the others disconnect, and nobody counts them as dropped."""

import time

from bench.fleet import DeviceFleet
from tests.support.embedded import EmbeddedBroker

DEVICES = 30
KEPT = 5
WITHIN_S = 10.0


def broker_connections(embedded_broker: EmbeddedBroker, expected: int) -> int:
    """Return the broker's connection count once it equals expected, or whatever it is after WITHIN_S."""
    deadline = time.monotonic() + WITHIN_S
    while True:
        count = embedded_broker.call(lambda: embedded_broker.broker.connected_clients)  # type: ignore[union-attr]
        if count == expected or time.monotonic() > deadline:
            return count  # type: ignore[return-value]
        time.sleep(0.02)  # the broker hears each DISCONNECT on its own loop; nothing to wait on from here


def test_shrink_disconnects_the_later_devices_only(embedded_broker: EmbeddedBroker) -> None:
    fleet = DeviceFleet("shrink-dev-", 2)
    try:
        assert fleet.grow("127.0.0.1", embedded_broker.port, DEVICES, 20).complete
        assert broker_connections(embedded_broker, DEVICES) == DEVICES
        assert fleet.shrink(KEPT, 10) == 0
        assert fleet.subscribed() == KEPT
        assert broker_connections(embedded_broker, KEPT) == KEPT
        assert fleet.receipts().dropped == []  # leaving on purpose is not a drop
        # The fleet grows again from where it now ends: the same devices reconnect, each exactly once.
        assert fleet.grow("127.0.0.1", embedded_broker.port, DEVICES, 20).complete
        assert fleet.subscribed() == DEVICES
        assert broker_connections(embedded_broker, DEVICES) == DEVICES
    finally:
        fleet.close()
