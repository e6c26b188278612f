"""Idle simulated devices stay connected: the fleet pings each one well within the broker's 1.5 x keep-alive."""

import secrets
import time
from collections.abc import Iterator

import pytest

from bench.fleet import DeviceFleet
from tests.support.processes import Process, start_broker

KEEPALIVE_S = 4
DEVICES = 50  # not a multiple of the devices pinged per tick: the old round-robin skipped some at its wrap-around
WATCH_S = 2.5 * 1.5 * KEEPALIVE_S


@pytest.fixture
def broker() -> Iterator[tuple[Process, int]]:
    """The Procfile's broker on an ephemeral loopback port."""
    process, port = start_broker({"GATEWAY_SECRET": secrets.token_urlsafe(24)})
    yield process, port
    process.stop()


def test_idle_devices_are_never_dropped_for_silence(broker: tuple[Process, int]) -> None:
    _, port = broker
    fleet = DeviceFleet("keepalive-dev-", 1, keepalive_s=KEEPALIVE_S)
    try:
        assert fleet.grow("127.0.0.1", port, DEVICES, 20).complete
        deadline = time.monotonic() + WATCH_S
        while time.monotonic() < deadline:
            assert fleet.receipts().dropped == []
            time.sleep(0.5)  # polling a condition that must stay false for WATCH_S; nothing to wait on
        assert fleet.subscribed() == DEVICES
    finally:
        fleet.close()
