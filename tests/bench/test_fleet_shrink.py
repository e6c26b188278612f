"""The bench's fleet shrinks back to its first devices: the others disconnect, and nobody counts them as dropped."""

import secrets
from collections.abc import Iterator

import pytest

from bench.fleet import DeviceFleet
from tests.support.processes import Process, start_broker

DEVICES = 30
KEPT = 5


@pytest.fixture
def broker() -> Iterator[tuple[Process, int]]:
    """The Procfile's broker on an ephemeral loopback port."""
    process, port = start_broker({"GATEWAY_SECRET": secrets.token_urlsafe(24)})
    yield process, port
    process.stop()


def test_shrink_disconnects_the_later_devices_only(broker: tuple[Process, int]) -> None:
    _, port = broker
    fleet = DeviceFleet("shrink-dev-", 2)
    try:
        assert fleet.grow("127.0.0.1", port, DEVICES, 20).complete
        assert fleet.shrink(KEPT, 10) == 0
        assert fleet.subscribed() == KEPT
        assert fleet.receipts().dropped == []  # leaving on purpose is not a drop
        # The fleet grows again from where it now ends: the same devices reconnect, each exactly once.
        assert fleet.grow("127.0.0.1", port, DEVICES, 20).complete
        assert fleet.subscribed() == DEVICES
    finally:
        fleet.close()
