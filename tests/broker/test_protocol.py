"""Protocol edge cases the stock amqtt gets wrong: other MQTT versions, silent clients, bad first packets."""

import time
from collections.abc import Iterator

import paho.mqtt.client as paho
import pytest

from tests.support import raw
from tests.support.clients import Clients
from tests.support.embedded import EmbeddedBroker

CONNACK_ACCEPTED = bytes((0x20, 0x02, 0x00, 0x00))
CONNACK_BAD_PROTOCOL = bytes((0x20, 0x02, 0x00, 0x01))
CONNACK_NOT_AUTHORIZED = bytes((0x20, 0x02, 0x00, 0x05))


@pytest.fixture
def raw_client(embedded_broker: EmbeddedBroker) -> Iterator[raw.RawClient]:
    """A raw TCP connection to the embedded broker."""
    client = raw.RawClient(embedded_broker.port)
    yield client
    client.close()


@pytest.mark.parametrize("protocol", [(b"MQTT", 5), (b"MQIsdp", 3)])
def test_other_protocol_versions_get_a_refusing_connack_then_close(
    raw_client: raw.RawClient, token: str, protocol: tuple[bytes, int]
) -> None:
    raw_client.send(raw.connect(token.encode(), protocol=protocol))
    assert raw_client.read_packet() == CONNACK_BAD_PROTOCOL
    assert raw_client.closed_by_peer()


def test_paho_mqtt5_client_is_refused_cleanly_not_left_hanging(mqtt: Clients, token: str) -> None:
    connack = mqtt.new(mqtt.broker.device_port, token, "x", protocol=paho.MQTTv5).connect()
    assert connack is not None and connack.reason_code == 132  # "Unsupported protocol version"


def test_first_packet_other_than_connect_closes_without_answer(raw_client: raw.RawClient) -> None:
    raw_client.send(raw.subscribe(1, b"#"))
    assert raw_client.read_packet() == b""


def test_unknown_protocol_name_closes_without_answer(raw_client: raw.RawClient, token: str) -> None:
    raw_client.send(raw.connect(token.encode(), protocol=(b"HTTP", 4)))
    assert raw_client.read_packet() == b""


def test_truncated_connect_does_not_hang_other_clients(mqtt: Clients, token: str) -> None:
    stalled = raw.RawClient(mqtt.broker.device_port)
    stalled.send(raw.connect(token.encode())[:5])
    try:
        mqtt.device(token).sync()
    finally:
        stalled.close()


def test_client_that_never_sends_connect_is_closed_after_timeout(token: str) -> None:
    running = EmbeddedBroker(connect_timeout_s=0.5).start()
    try:
        silent = raw.RawClient(running.port)
        started = time.monotonic()
        assert silent.closed_by_peer(timeout=5)
        assert time.monotonic() - started < 3
        silent.close()
    finally:
        running.stop()


def test_silent_client_is_disconnected_after_one_and_a_half_keepalives(raw_client: raw.RawClient, token: str) -> None:
    raw_client.send(raw.connect(token.encode(), keepalive=1))
    assert raw_client.read_packet() == CONNACK_ACCEPTED
    started = time.monotonic()
    assert raw_client.closed_by_peer(timeout=5)
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 2.5


def test_pinging_client_stays_connected_past_its_keepalive(raw_client: raw.RawClient, token: str) -> None:
    raw_client.send(raw.connect(token.encode(), keepalive=1))
    assert raw_client.read_packet() == CONNACK_ACCEPTED
    for _ in range(4):  # 4 x 0.6 s = 2.4 s > 1.5 x keep-alive
        assert not raw_client.closed_by_peer(timeout=0.6)
        raw_client.send(bytes((0xC0, 0x00)))  # PINGREQ
        assert raw_client.read_packet() == bytes((0xD0, 0x00))  # PINGRESP


def test_publish_with_wildcard_topic_closes_that_connection(raw_client: raw.RawClient, token: str) -> None:
    raw_client.send(raw.connect(token.encode()))
    assert raw_client.read_packet() == CONNACK_ACCEPTED
    raw_client.send(raw.publish(f"awtrix/{token}/#".encode(), b"x"))
    assert raw_client.closed_by_peer()


@pytest.mark.parametrize("bad_filter", ["awtrix/{token}#", "awtrix/{token}/#/x", "awtrix/{token}/no+mix"])
def test_malformed_filter_inside_own_namespace_is_refused(raw_client: raw.RawClient, token: str, bad_filter: str) -> None:
    raw_client.send(raw.connect(token.encode()))
    assert raw_client.read_packet() == CONNACK_ACCEPTED
    raw_client.send(raw.subscribe(7, bad_filter.format(token=token).encode(), f"awtrix/{token}/notify".encode()))
    assert raw_client.read_packet() == bytes((0x90, 0x04, 0x00, 0x07, 0x80, 0x00))


@pytest.mark.parametrize("packet", ["subscribe", "unsubscribe"])
def test_nul_character_in_a_filter_closes_the_connection(raw_client: raw.RawClient, token: str, packet: str) -> None:
    raw_client.send(raw.connect(token.encode()))
    assert raw_client.read_packet() == CONNACK_ACCEPTED
    bad = f"awtrix/{token}/a\x00b".encode()
    frame = raw.subscribe(7, bad) if packet == "subscribe" else raw.packet(0xA2, b"\x00\x07" + len(bad).to_bytes(2, "big") + bad)
    raw_client.send(frame)
    assert raw_client.closed_by_peer()
