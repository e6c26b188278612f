"""EmbeddedPublisher against the real embedded broker: a link per thread, retries, restarts, timeouts, fork."""

import json
import os
import secrets
import signal
import threading
import time
from collections.abc import Callable

import pytest

from gateway.errors import BrokerTimeout, BrokerUnavailable
from gateway.publishing.embedded.publisher import EmbeddedPublisher
from gateway.settings import BrokerSettings
from tests.gateway.conftest import WAIT_S, embedded_settings
from tests.gateway.publishing.mqtt.test_mqtt_client import LogWatch, log_watch  # noqa: F401 (a fixture)
from tests.support.clients import Clients
from tests.support.embedded import TEST_SECRET, EmbeddedBroker
from tests.support.mosquitto import free_ports
from tests.support.processes import start_broker
from tests.support.relays import Relay

NOBODY = "awtrix/nobody-listens-here-0/notify"


def test_each_request_thread_publishes_on_its_own_link(
    embedded_broker: EmbeddedBroker, make_publisher: Callable[..., EmbeddedPublisher], mqtt: Clients, token: str
) -> None:
    clock = mqtt.device(token)
    assert clock.subscribe(f"awtrix/{token}/#") == [0]
    publisher = make_publisher(embedded_settings(embedded_broker))
    assert isinstance(publisher, EmbeddedPublisher)
    links_before = embedded_broker.call(lambda: embedded_broker.broker.connected_clients)  # type: ignore[union-attr]
    together = threading.Barrier(4)
    answers: list[bool | None] = []

    def send(n: int) -> None:
        together.wait(WAIT_S)
        answers.append(publisher.publish(f"awtrix/{token}/notify", json.dumps({"n": n}).encode()))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S)
    assert answers == [True] * 4
    assert embedded_broker.call(lambda: embedded_broker.broker.connected_clients) == links_before + 4  # type: ignore[union-attr]
    received = sorted(clock.next_message().payload for _ in range(4))
    assert received == [json.dumps({"n": n}).encode() for n in range(4)]


def test_unreachable_broker_fails_fast_retries_with_backoff_and_warns_once(
    make_publisher: Callable[..., EmbeddedPublisher],
    log_watch: LogWatch,  # noqa: F811
) -> None:
    (port,) = free_ports(1)  # nothing listens here yet
    publisher = make_publisher(BrokerSettings("127.0.0.1", port, "gateway", TEST_SECRET), wait_connected=False)
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable):
        publisher.publish(NOBODY, b"{}")
    assert time.monotonic() - started < 0.5
    # Asked every 50 ms for a second, the publisher tries only when its growing delay has passed.
    assert not publisher.wait_until(connected=True, timeout_s=1.0)
    attempts = log_watch.matching(rf"cannot reach the MQTT broker at 127\.0\.0\.1:{port}: Connection refused")
    assert 2 <= len(attempts) <= 5
    assert [record.levelname for record in attempts] == ["WARNING"] + ["DEBUG"] * (len(attempts) - 1)
    broker = EmbeddedBroker(mqtt_port=port).start()
    try:
        assert publisher.wait_until(connected=True, timeout_s=WAIT_S)
        assert publisher.publish(NOBODY, b"{}") is False
        log_watch.wait_for(rf"connected to the MQTT broker at 127\.0\.0\.1:{port}")
    finally:
        publisher.stop()
        broker.stop()


def test_wrong_gateway_secret_names_the_variables_and_never_the_secret(
    embedded_broker: EmbeddedBroker,
    make_publisher: Callable[..., EmbeddedPublisher],
    log_watch: LogWatch,  # noqa: F811
) -> None:
    publisher = make_publisher(embedded_settings(embedded_broker, secret="wrong-secret-never-logged"), wait_connected=False)
    with pytest.raises(BrokerUnavailable):
        publisher.publish(NOBODY, b"{}")
    (refusal,) = log_watch.wait_for("refused the gateway's login")
    assert refusal.levelname == "WARNING"
    assert "GATEWAY_USERNAME and GATEWAY_SECRET" in refusal.getMessage()
    assert "never-logged" not in log_watch.text


def test_broker_restart_between_webhooks_costs_no_503(
    make_publisher: Callable[..., EmbeddedPublisher],
    log_watch: LogWatch,  # noqa: F811
) -> None:
    broker = EmbeddedBroker().start()
    publisher = make_publisher(embedded_settings(broker))
    try:
        assert publisher.publish(NOBODY, b"{}") is False
        broker.stop()
        broker = EmbeddedBroker(mqtt_port=broker.port).start()
        # The idle link's closed connection is noticed before anything is sent on it, and a new link opened.
        assert publisher.publish(NOBODY, b"{}") is False
        log_watch.wait_for(r"lost the connection to the MQTT broker .*\(the broker closed the connection\)")
    finally:
        publisher.stop()
        broker.stop()


def test_silent_broker_gives_broker_timeout_and_the_next_publish_uses_a_new_link(
    make_publisher: Callable[..., EmbeddedPublisher], token: str
) -> None:
    secret = secrets.token_urlsafe(24)
    process, port = start_broker({"GATEWAY_SECRET": secret})
    devices = Clients(Relay("embedded", "127.0.0.1", port, port, "gateway", secret))
    try:
        device = devices.device(token)
        assert device.subscribe(f"awtrix/{token}/#") == [0]
        publisher = make_publisher(BrokerSettings("127.0.0.1", port, "gateway", secret), timeout_s=0.3)
        process.popen.send_signal(signal.SIGSTOP)  # alive and connected, but answering nothing
        try:
            started = time.monotonic()
            with pytest.raises(BrokerTimeout):
                publisher.publish(f"awtrix/{token}/notify", b'{"text":"late"}')
            assert 0.3 <= time.monotonic() - started < 1.0
        finally:
            process.popen.send_signal(signal.SIGCONT)
        # The message was sent, so it may still arrive, as the 503 says; the next publish is unaffected.
        device.expect_only(f"awtrix/{token}/notify", b'{"text":"late"}')
        assert publisher.publish(f"awtrix/{token}/notify", b'{"text":"next"}') is True
        device.expect_only(f"awtrix/{token}/notify", b'{"text":"next"}')
    finally:
        devices.close_all()
        process.stop()


def test_forked_child_opens_its_own_link_and_leaves_the_parents_alone(
    embedded_broker: EmbeddedBroker, make_publisher: Callable[..., EmbeddedPublisher]
) -> None:
    publisher = make_publisher(embedded_settings(embedded_broker))
    assert publisher.publish(NOBODY, b"{}") is False
    child = os.fork()
    if child == 0:  # the child: the parent's link belongs to the parent
        works = False
        try:
            works = publisher.publish(NOBODY, b"{}") is False
        finally:
            os._exit(0 if works else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert publisher.publish(NOBODY, b"{}") is False
