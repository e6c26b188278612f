"""The broker's /metrics (METRICS_PORT) counts what happens on real connections, and costs nothing per idle device."""

import re
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.tokens import generate_token
from common.topics import topic_for
from tests.support import raw
from tests.support.clients import Clients
from tests.support.embedded import EmbeddedBroker
from tests.support.scrape import Scrape, scrape, scrape_until

CONNACK_ACCEPTED = bytes((0x20, 0x02, 0x00, 0x00))
README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.fixture
def embedded_broker() -> Iterator[EmbeddedBroker]:
    """The embedded broker with its metrics listener on an ephemeral port (and quick CONNECT time-outs)."""
    running = EmbeddedBroker(metrics_port=0, metrics_host="127.0.0.1", connect_timeout_s=0.5).start()
    yield running
    running.stop()


def metrics_port(broker: EmbeddedBroker) -> int:
    assert broker.metrics is not None
    return broker.metrics.port


def test_devices_subscriptions_routing_drops_and_bytes_are_counted(
    embedded_broker: EmbeddedBroker, mqtt: Clients, token: str
) -> None:
    port = metrics_port(embedded_broker)
    before = scrape(port)
    device = mqtt.device(token)
    device.subscribe(f"awtrix/{token}/notify", f"awtrix/{token}/custom/#")
    gateway = mqtt.gateway()
    assert gateway.devices_reached(topic_for(token, "notify"), b'{"text":"hi"}') == 1
    assert gateway.devices_reached(topic_for(generate_token(), "notify"), b"{}") == 0
    device.send(topic_for(generate_token(), "notify"), b"{}")  # outside its namespace: dropped by the ACL
    device.next_message()
    device.sync()

    after = scrape(port)
    assert after.value("awtrix_broker_devices_connected") == 1
    assert after.value("awtrix_broker_gateway_links") == 1
    assert after.value("awtrix_broker_subscriptions") == 2
    assert after.value("awtrix_broker_connections") == 2
    assert after.value("awtrix_broker_messages_routed_total") == 1
    assert after.value("awtrix_broker_deliveries_total") == 1
    assert after.value("awtrix_broker_messages_dropped_total", reason="no_subscriber") == 1
    assert after.value("awtrix_broker_messages_dropped_total", reason="acl") == 1
    assert after.value("awtrix_broker_connections_opened_total") - before.value("awtrix_broker_connections_opened_total") == 2
    assert after.value("awtrix_broker_sent_bytes_total") > len(b'{"text":"hi"}') + len(topic_for(token, "notify"))
    assert after.value("awtrix_broker_received_bytes_total") > after.value("awtrix_broker_sent_bytes_total") > 0
    assert token not in after.text
    assert after.series == before.series  # every label value is always exported
    stated = re.search(r"the broker exactly \*\*(\d+)\s+series\*\*", README)
    assert stated is not None and after.series == int(stated.group(1))


def connect_without_clean_session(client_id: bytes, username: bytes) -> bytes:
    """A CONNECT with clean session off (raw.connect always sets it)."""
    string = lambda value: struct.pack("!H", len(value)) + value  # noqa: E731
    return raw.packet(0x10, string(b"MQTT") + bytes((4, 0x80)) + struct.pack("!H", 60) + string(client_id) + string(username))


REFUSED = [
    (raw.connect(b"not a token"), "invalid_username"),
    (raw.connect(b"gateway", password=b"wrong-secret"), "bad_gateway_secret"),
    (connect_without_clean_session(b"", generate_token().encode()), "client_id_rejected"),
    (raw.connect(generate_token().encode(), protocol=(b"MQTT", 5)), "unsupported_protocol"),
]


def test_refused_logins_are_counted_by_reason(embedded_broker: EmbeddedBroker) -> None:
    port = metrics_port(embedded_broker)
    for connect, reason in REFUSED:
        before = scrape(port)
        client = raw.RawClient(embedded_broker.port)
        try:
            client.send(connect)
            assert client.closed_by_peer()
        finally:
            client.close()
        refused = scrape(port)
        assert refused.value("awtrix_broker_logins_refused_total", reason=reason) == 1, reason
        assert refused.total("awtrix_broker_logins_refused_total") - before.total("awtrix_broker_logins_refused_total") == 1


def test_oversize_packets_protocol_errors_and_silent_connections_are_counted(embedded_broker: EmbeddedBroker, token: str) -> None:
    oversize, garbage, silent, quiet_device = (raw.RawClient(embedded_broker.port) for _ in range(4))
    try:
        oversize.send(raw.connect(token.encode(), client_id=b"oversize"))
        assert oversize.read_packet() == CONNACK_ACCEPTED
        oversize.send(raw.publish(topic_for(token, "stats").encode(), b"x" * 9000))
        garbage.send(raw.subscribe(1, b"#"))  # not a CONNECT first
        quiet_device.send(raw.connect(token.encode(), keepalive=1, client_id=b"quiet"))
        assert quiet_device.read_packet() == CONNACK_ACCEPTED
        for client in (oversize, garbage, silent, quiet_device):  # silent: 0.5 s without CONNECT; quiet: 1.5 s
            assert client.closed_by_peer()
    finally:
        for client in (oversize, garbage, silent, quiet_device):
            client.close()
    counted = scrape_until(metrics_port(embedded_broker), lambda s: s.value("awtrix_broker_connections") == 0)
    assert counted.value("awtrix_broker_messages_dropped_total", reason="oversize") == 1
    assert counted.value("awtrix_broker_protocol_errors_total") == 1
    assert counted.value("awtrix_broker_connect_timeouts_total") == 1
    assert counted.value("awtrix_broker_keepalive_expired_total") == 1
    assert counted.value("awtrix_broker_connections_opened_total") == 4
    assert counted.value("awtrix_broker_connections_closed_total") == 4


def test_event_loop_lag_is_measured_twice_a_second(embedded_broker: EmbeddedBroker) -> None:
    measured = scrape_until(metrics_port(embedded_broker), lambda s: s.value("awtrix_broker_event_loop_lag_seconds_count") >= 2)
    assert measured.value("awtrix_broker_event_loop_lag_seconds_bucket", le="+Inf") >= 2
    assert measured.value("process_resident_memory_bytes") > 0


def test_idle_devices_add_no_timer_or_object_for_the_metrics(embedded_broker: EmbeddedBroker) -> None:
    loop = embedded_broker._loop
    assert loop is not None
    timers = lambda: sum(not timer.cancelled() for timer in loop._scheduled)  # type: ignore[attr-defined]  # noqa: E731
    before = embedded_broker.call(timers)
    devices = [raw.RawClient(embedded_broker.port) for _ in range(50)]
    try:
        for number, device in enumerate(devices):
            device.send(raw.connect(generate_token().encode(), client_id=b"idle-%d" % number))
            assert device.read_packet() == CONNACK_ACCEPTED
        # One keep-alive timer per connection, which the broker has with or without metrics; nothing more.
        assert embedded_broker.call(timers) == before + 50
        counted: Scrape = scrape(metrics_port(embedded_broker))
        assert counted.value("awtrix_broker_devices_connected") == 50
        assert embedded_broker.call(timers) == before + 50
    finally:
        for device in devices:
            device.close()
