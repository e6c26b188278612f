"""bridge.conf.example: a home Mosquitto logs in to the relay (either broker) as a device and republishes under the
AWTRIX's prefix."""

import queue
from collections.abc import Callable

from common.tokens import generate_token
from tests.support.clients import Client, Clients, Message
from tests.support.mosquitto import HomeBroker

PREFIX = "awtrix_7ac880"
LINK_S = 10.0
PROBE_S = 0.1


def wait_for_link(home: HomeBroker, mqtt: Clients) -> None:
    """Wait until the home broker reports its bridge connected (retained state "1", local only)."""
    watcher = mqtt.on(home.port)
    watcher.subscribe(f"$SYS/broker/connection/{home.bridge_client_id}/state")
    while watcher.next_message(LINK_S).payload != b"1":
        pass


def first_delivery(gateway: Client, token: str, clock: Client) -> Message:
    """Publish probes until one crosses the bridge: its subscription on the relay may lag the link state."""
    for attempt in range(int(LINK_S / PROBE_S)):
        gateway.send(f"awtrix/{token}/notify", f"probe-{attempt}".encode(), qos=1)
        try:
            return clock.messages.get(timeout=PROBE_S)
        except queue.Empty:
            continue
    raise AssertionError(f"nothing crossed the bridge within {LINK_S} s")


def without_probes(messages: list[Message]) -> list[tuple[str, bytes]]:
    """Return (topic, payload) of each message that is not a late probe."""
    return [(m.topic, m.payload) for m in messages if not m.payload.startswith(b"probe-")]


def test_bridge_delivers_gateway_messages_under_the_device_prefix(mqtt: Clients, home_broker: Callable[..., HomeBroker]) -> None:
    token = generate_token()
    home = home_broker(mqtt.broker.device_port, token, PREFIX)
    wait_for_link(home, mqtt)
    clock = mqtt.on(home.port)
    clock.subscribe(f"{PREFIX}/#")
    gateway = mqtt.gateway()
    assert first_delivery(gateway, token, clock).topic == f"{PREFIX}/notify"

    gateway.publish(f"awtrix/{token}/notify", b'{"text":"via the bridge"}')
    gateway.publish(f"awtrix/{token}/custom/weather", b'{"text":"12C"}')

    earlier = clock.messages_before(f"{PREFIX}/custom/weather", b'{"text":"12C"}')
    assert without_probes(earlier) == [(f"{PREFIX}/notify", b'{"text":"via the bridge"}')]


def test_bridge_carries_nothing_of_other_tokens(mqtt: Clients, home_broker: Callable[..., HomeBroker]) -> None:
    token, other = generate_token(), generate_token()
    home = home_broker(mqtt.broker.device_port, token, PREFIX)
    wait_for_link(home, mqtt)
    everything = mqtt.on(home.port)
    everything.subscribe("#")
    gateway = mqtt.gateway()
    first_delivery(gateway, token, everything)

    gateway.publish(f"awtrix/{other}/notify", b"not yours")
    gateway.publish(f"awtrix/{token}/notify", b"sentinel")

    assert without_probes(everything.messages_before(f"{PREFIX}/notify", b"sentinel")) == []
