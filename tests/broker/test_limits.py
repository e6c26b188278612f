"""Broker limits: connection count, packet size, garbage, failed-login slow-down, TLS."""

import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.login_throttle import LoginThrottle
from common.topics import topic_for
from tests.support import raw
from tests.support.clients import Clients
from tests.support.embedded import EmbeddedBroker
from tests.support.relays import Relay
from tests.support.tls import make_certificate

CONNACK_ACCEPTED = bytes((0x20, 0x02, 0x00, 0x00))


@pytest.fixture
def small_broker() -> Iterator[EmbeddedBroker]:
    """An embedded broker that takes at most three connections."""
    running = EmbeddedBroker(max_connections=3).start()
    yield running
    running.stop()


def test_connections_over_the_limit_are_closed_at_once_and_others_keep_working(small_broker: EmbeddedBroker, token: str) -> None:
    held = [raw.RawClient(small_broker.port) for _ in range(3)]
    for client in held:
        client.send(raw.connect(token.encode(), client_id=str(id(client)).encode()))
        assert client.read_packet() == CONNACK_ACCEPTED
    extra = raw.RawClient(small_broker.port)
    try:
        assert extra.closed_by_peer(timeout=2)
        held[0].send(bytes((0xC0, 0x00)))
        assert held[0].read_packet() == bytes((0xD0, 0x00))
    finally:
        for client in [*held, extra]:
            client.close()


def _connected_raw(port: int, token: str) -> raw.RawClient:
    client = raw.RawClient(port)
    client.send(raw.connect(token.encode()))
    assert client.read_packet() == CONNACK_ACCEPTED
    return client


GARBAGE = {
    "oversized publish": lambda token: raw.publish(f"awtrix/{token}/stats".encode(), b"x" * 9000),
    "bad remaining length": lambda token: b"\x30\xff\xff\xff\xff\x01",
    "subscribe with truncated topic": lambda token: b"\x82\x09\x00\x01\x00\x10awtri",
    "NUL in topic": lambda token: raw.publish(f"awtrix/{token}/a\x00b".encode(), b"x"),
    "invalid UTF-8 topic": lambda token: raw.publish(b"awtrix/\xff\xfe/notify", b"x"),
    "second CONNECT": lambda token: raw.connect(token.encode()),
    "reserved packet type": lambda token: b"\xf0\x00",
    "server-only packet": lambda token: b"\x20\x02\x00\x00",
    "subscribe with trailing junk": lambda token: raw.packet(0x82, b"\x00\x01\x00\x03a/b\x00junk"),
}


@pytest.mark.parametrize("garbage", sorted(GARBAGE))
def test_garbage_closes_only_the_offending_connection(mqtt: Clients, token: str, garbage: str) -> None:
    bystander, gateway = mqtt.device(token), mqtt.gateway()
    bystander.subscribe(f"awtrix/{token}/notify")
    offender = _connected_raw(mqtt.broker.device_port, token)
    try:
        offender.send(GARBAGE[garbage](token))
        assert offender.closed_by_peer()
    finally:
        offender.close()
    assert gateway.devices_reached(topic_for(token, "notify"), b"still here") == 1
    bystander.expect_only(f"awtrix/{token}/notify", b"still here")


def test_publish_at_the_packet_limit_is_delivered(mqtt: Clients, token: str) -> None:
    clock, gateway = mqtt.device(token), mqtt.gateway()
    clock.subscribe(f"awtrix/{token}/notify")
    topic = topic_for(token, "notify")
    payload = b"x" * (8192 - 2 - 2 - len(topic) - 2 - 1)  # header 1 + 2 length bytes, topic, packet id
    assert gateway.devices_reached(topic, payload) == 1
    assert clock.next_message().payload == payload


def test_login_throttle_delays_only_after_the_limit_and_forgets_after_the_window() -> None:
    now = [0.0]
    throttle = LoginThrottle(limit=3, window_s=60, max_delay_s=10, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.delay_s("a") == 0
        throttle.failed("a")
    assert throttle.delay_s("a") == 0.25
    throttle.failed("a")
    assert throttle.delay_s("a") == 0.5
    for _ in range(20):
        throttle.failed("a")
    assert throttle.delay_s("a") == 10
    assert throttle.delay_s("b") == 0
    now[0] = 61
    assert throttle.delay_s("a") == 0


def test_login_throttle_memory_is_bounded() -> None:
    throttle = LoginThrottle(limit=1, max_tracked=100)
    for n in range(1000):
        throttle.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(throttle) == 100


def test_repeated_failed_logins_from_one_address_are_slowed_down(token: str) -> None:
    running = EmbeddedBroker(failed_logins_per_minute=2).start()
    try:
        timings = []
        for _ in range(5):
            client = raw.RawClient(running.port)
            started = time.monotonic()
            client.send(raw.connect(b"not-a-token!"))
            assert client.read_packet() == bytes((0x20, 0x02, 0x00, 0x05))
            timings.append(time.monotonic() - started)
            client.close()
        assert max(timings[:2]) < 0.2
        assert timings[2] >= 0.25 and timings[4] >= 1.0
    finally:
        running.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made by openssl for this test run."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


def test_tls_listener_serves_devices_with_the_operators_certificate(certificate: tuple[Path, Path], token: str) -> None:
    cert, key = certificate
    running = EmbeddedBroker(tls_port=0, tls_cert_file=str(cert), tls_key_file=str(key)).start()
    try:
        tls_port = running.call(lambda: running.broker.port_of("tls"))  # type: ignore[union-attr]
        port, user = running.port, running.settings.gateway_username
        mqtt = Clients(Relay("embedded", "127.0.0.1", tls_port, port, user, running.settings.gateway_secret))
        secure = mqtt.new(tls_port, token, "x")
        secure.paho.tls_set(ca_certs=str(cert), cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        try:
            assert secure.connect().reason_code == 0  # type: ignore[union-attr]
            secure.subscribe(f"awtrix/{token}/notify")
            assert mqtt.gateway().devices_reached(topic_for(token, "notify"), b"over tls") == 1
            secure.expect_only(f"awtrix/{token}/notify", b"over tls")
        finally:
            mqtt.close_all()
    finally:
        running.stop()


def test_plain_mqtt_client_cannot_talk_to_the_tls_port(certificate: tuple[Path, Path], token: str) -> None:
    cert, key = certificate
    running = EmbeddedBroker(tls_port=0, tls_cert_file=str(cert), tls_key_file=str(key)).start()
    try:
        tls_port = running.call(lambda: running.broker.port_of("tls"))  # type: ignore[union-attr]
        client = raw.RawClient(tls_port)
        client.send(raw.connect(token.encode()))
        assert client.read_packet(timeout=5) != CONNACK_ACCEPTED
        client.close()
    finally:
        running.stop()
