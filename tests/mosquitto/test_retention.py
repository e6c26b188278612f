"""Nothing outlives its moment: no retained messages, no queue for offline devices, nothing on disk."""

from pathlib import Path

import pytest

from common.tokens import generate_token
from tests.support.clients import MQTT5, MQTT311, Clients, sentinel_comes_first
from tests.support.mosquitto import run_relay

RETAIN_NOT_SUPPORTED = 154  # 0x9A
UNSPECIFIED_ERROR = 128  # what paho reports when an MQTT 3.1.1 broker just closes the socket


@pytest.mark.parametrize(
    ("protocol", "reason_code"),
    [pytest.param(MQTT311, UNSPECIFIED_ERROR, id="mqtt311"), pytest.param(MQTT5, RETAIN_NOT_SUPPORTED, id="mqtt5")],
)
def test_retained_publish_from_gateway_is_refused_and_never_replayed(mqtt: Clients, protocol: int, reason_code: int) -> None:
    token = generate_token()
    gateway = mqtt.gateway(protocol=protocol)

    gateway.send(f"awtrix/{token}/notify", b'{"text":"stale"}', qos=1, retain=True)

    assert gateway.wait_disconnected() == reason_code
    clock = mqtt.device(token)
    clock.subscribe(f"awtrix/{token}/#")
    assert sentinel_comes_first(clock, mqtt.gateway(), token) == []


@pytest.mark.parametrize("subtopic", ["stats", "stats/device"])
def test_retained_publish_from_device_disconnects_it(mqtt: Clients, subtopic: str) -> None:
    token = generate_token()
    clock = mqtt.device(token)

    clock.send(f"awtrix/{token}/{subtopic}", b"online", retain=True)

    assert clock.wait_disconnected() == UNSPECIFIED_ERROR


@pytest.mark.parametrize(
    ("protocol", "connack_code"),
    [pytest.param(MQTT311, None, id="mqtt311"), pytest.param(MQTT5, RETAIN_NOT_SUPPORTED, id="mqtt5")],
)
def test_connect_with_retained_will_is_refused(mqtt: Clients, protocol: int, connack_code: int | None) -> None:
    # What AWTRIX 3 does with Home Assistant discovery on (ArduinoHA's availability will is retained).
    token = generate_token()
    will = (f"awtrix/{token}/stats/device", "offline", 0, True)
    clock = mqtt.new(mqtt.broker.device_port, token, "x", protocol=protocol, will=will)

    connack = clock.connect()

    assert (connack.reason_code if connack else None) == connack_code
    clock.wait_disconnected()


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
