"""Nothing outlives its moment: what devices retain is cleared, no queue for offline devices, nothing on disk."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from common.tokens import generate_token
from gateway.publishing.mqtt.mqtt_client import MqttPublisher
from gateway.settings import BrokerSettings
from tests.support.clients import Clients, Message, sentinel_comes_first
from tests.support.devices.awtrix_ng import AwtrixNg
from tests.support.mosquitto import run_relay
from tests.support.relays import Relay

UNSPECIFIED_ERROR = 128  # what paho reports when an MQTT 3.1.1 broker just closes the socket


@pytest.fixture
def gateway_publisher(relay: Relay) -> Iterator[MqttPublisher]:
    """The gateway's own publisher on the gateway listener, connected (its connect-time sweep has run)."""
    broker = BrokerSettings(relay.host, relay.gateway_port, relay.gateway_username, relay.gateway_password, external=True)
    publisher = MqttPublisher(broker, 1.5)
    assert publisher.wait_until(connected=True, timeout_s=10)
    yield publisher
    publisher.stop()


def retained(mqtt: Clients, token: str) -> list[Message]:
    """Return what a new subscriber to the token's namespace gets at once: the retained messages kept there."""
    late = mqtt.device(token)
    late.subscribe(f"awtrix/{token}/#")
    return [message for message in sentinel_comes_first(late, mqtt.gateway(), token) if message.retain]


def test_ng_clock_with_its_retained_will_connects_and_stays_connected(relay: Relay, mqtt: Clients, token: str) -> None:
    clock = AwtrixNg(relay.host, relay.device_port, token).start()
    try:
        assert {message.topic for message in retained(mqtt, token)} >= {f"awtrix/{token}/availability"}
        assert not clock.closed.is_set()
    finally:
        clock.close()


def test_what_ng_retains_is_cleared_by_the_gateway_once_its_will_says_offline(
    relay: Relay, mqtt: Clients, gateway_publisher: MqttPublisher, token: str
) -> None:
    watcher = mqtt.device(token)
    watcher.subscribe(f"awtrix/{token}/state/device")
    clock = AwtrixNg(relay.host, relay.device_port, token).start()
    clock.publish("state/device", b'{"bat":99}', retain=True)
    watcher.expect_only(f"awtrix/{token}/state/device", b'{"bat":99}')
    kept = {message.topic.removeprefix(f"awtrix/{token}/") for message in retained(mqtt, token)}
    assert kept == {"availability", "state/capabilities", "state/prefix", "state/apps/active", "state/buttons/left",
                    "state/buttons/select", "state/buttons/right", "state/settings", "state/audio", "state/device"}  # fmt: skip
    clock.vanish()  # no DISCONNECT: Mosquitto publishes the retained will
    assert watcher.next_message().payload == b""  # the gateway's clearing publish
    assert retained(mqtt, token) == []


def test_what_a_device_leaves_retained_elsewhere_is_swept(relay: Relay, mqtt: Clients, token: str) -> None:
    clock = mqtt.device(token)
    clock.send(f"awtrix/{token}/stats/anything", b"stale", retain=True)
    clock.close()
    assert [message.payload for message in retained(mqtt, token)] == [b"stale"]  # Mosquitto keeps it, in memory
    watcher = mqtt.device(token)
    watcher.subscribe(f"awtrix/{token}/stats/anything")
    assert watcher.next_message().retain
    broker = BrokerSettings(relay.host, relay.gateway_port, relay.gateway_username, relay.gateway_password, external=True)
    publisher = MqttPublisher(broker, 1.5)
    try:
        assert publisher.wait_until(connected=True, timeout_s=10)
        assert watcher.next_message().payload == b""  # the sweep at connect clears it
        assert retained(mqtt, token) == []
    finally:
        publisher.stop()


def test_connect_with_plain_will_is_accepted(mqtt: Clients) -> None:
    # What AWTRIX 3 does with Home Assistant discovery off: will "offline" on stats/device, QoS 0, not retained.
    token = generate_token()
    clock = mqtt.new(mqtt.broker.device_port, token, "x", will=(f"awtrix/{token}/stats/device", "offline", 0, False))

    connack = clock.connect()

    assert connack is not None and connack.reason_code == 0


def test_persistent_session_gets_nothing_queued_while_away(mqtt: Clients) -> None:
    token = generate_token()
    clock = mqtt.device(token, client_id="awtrix_0a0b0c", clean_session=False)
    # The device listener grants QoS 0 only, and QoS 0 is never queued for an absent session.
    assert clock.subscribe(f"awtrix/{token}/notify", qos=1) == [0]
    clock.close()
    gateway = mqtt.gateway()

    # The kept session still counts as a subscriber: PUBACK 0, though nobody receives it.
    assert gateway.publish(f"awtrix/{token}/notify", b'{"text":"while away"}') == 0

    back = mqtt.new(mqtt.broker.device_port, token, "x", client_id="awtrix_0a0b0c", clean_session=False)
    connack = back.connect()
    assert connack is not None and connack.session_present
    assert sentinel_comes_first(back, gateway, token) == []


def test_device_publishing_at_qos1_is_disconnected(mqtt: Clients) -> None:
    token = generate_token()
    client = mqtt.device(token)

    client.send(f"awtrix/{token}/stats", b"{}", qos=1)

    assert client.wait_disconnected() == UNSPECIFIED_ERROR


@pytest.mark.parametrize(
    ("drop", "database_written"),
    [pytest.param((), False, id="shipped"), pytest.param(("persistence",), True, id="without-persistence-line")],
)
def test_shipped_config_overrides_debian_persistence(tmp_path: Path, drop: tuple[str, ...], database_written: bool) -> None:
    # Debian's main mosquitto.conf says "persistence true"; the shipped file, read after it, turns it off.
    with run_relay(tmp_path / "relay", drop=drop) as broker:
        persistence_dir = broker.persistence_dir
    assert (persistence_dir / "mosquitto.db").exists() is database_written


def test_ng_retained_state_left_while_no_gateway_was_connected_is_cleared_when_one_connects(
    relay: Relay, mqtt: Clients, token: str
) -> None:
    clock = AwtrixNg(relay.host, relay.device_port, token).start()
    watcher = mqtt.device(token)
    watcher.subscribe(f"awtrix/{token}/availability")
    assert watcher.next_message().payload == b"online"
    clock.vanish()
    assert watcher.next_message().payload == b"offline"
    assert len(retained(mqtt, token)) == 9  # Mosquitto keeps all of it (state/device is not sent on connect), the will too
    broker = BrokerSettings(relay.host, relay.gateway_port, relay.gateway_username, relay.gateway_password, external=True)
    publisher = MqttPublisher(broker, 1.5)
    try:
        assert publisher.wait_until(connected=True, timeout_s=10)
        assert watcher.next_message().payload == b""  # its subscription brought it the retained offline: it clears
        assert retained(mqtt, token) == []
    finally:
        publisher.stop()
