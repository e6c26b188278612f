"""MqttPublisher against real brokers: laziness, failures, timeouts, rejections and what it logs."""

import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.errors import ApiError, BrokerRejected, BrokerTimeout, BrokerUnavailable
from gateway.publishing.mqtt.mqtt_client import MqttPublisher
from gateway.settings import BrokerSettings
from tests.gateway.conftest import WAIT_S, Mosquitto
from tests.support.clients import Clients
from tests.support.mosquitto import free_ports

GATEWAY_PASSWORD = "gateway-password-never-logged"


class LogWatch(logging.Handler):
    """Collect the publisher's log records and wake waiters when a matching one arrives."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record and notify waiters."""
        with self._changed:
            self.records.append(record)
            self._changed.notify_all()

    def wait_for(self, pattern: str, count: int = 1, timeout: float = WAIT_S) -> list[logging.LogRecord]:
        """Return the records matching pattern once there are at least count of them."""
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.matching(pattern)) >= count, timeout), self.text
            return self.matching(pattern)

    def matching(self, pattern: str) -> list[logging.LogRecord]:
        """Return the records whose message matches pattern."""
        return [record for record in self.records if re.search(pattern, record.getMessage())]

    @property
    def text(self) -> str:
        """Every message, one per line."""
        return "\n".join(record.getMessage() for record in self.records)


@pytest.fixture
def log_watch() -> Iterator[LogWatch]:
    """Watch everything gateway.publisher logs, at every level."""
    logger = logging.getLogger("gateway.publisher")
    watch = LogWatch()
    previous = logger.level
    logger.addHandler(watch)
    logger.setLevel(logging.DEBUG)
    yield watch
    logger.removeHandler(watch)
    logger.setLevel(previous)


def paho_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("paho-mqtt-client-")]


def test_publisher_starts_no_thread_until_first_use(mosquitto: Mosquitto, publishers: list[MqttPublisher]) -> None:
    before = paho_threads()
    publisher = MqttPublisher(mosquitto.external(), 1.5)
    publishers.append(publisher)
    assert paho_threads() == before
    assert publisher.wait_until(connected=True, timeout_s=WAIT_S)
    assert len(paho_threads()) == len(before) + 1


def test_each_publisher_has_its_own_client_id_with_the_pid(
    mosquitto: Mosquitto, make_publisher: Callable[..., MqttPublisher]
) -> None:
    make_publisher(mosquitto.external())
    make_publisher(mosquitto.external())
    assert mosquitto.output is not None
    connected_as = rf"New client connected from \S+ as gateway-{os.getpid()}-"
    first = mosquitto.output.wait_for(connected_as + "([0-9a-f]{8})").group(1)
    mosquitto.output.wait_for(connected_as + f"(?!{first})[0-9a-f]{{8}}")


def test_unreachable_external_broker_raises_broker_unavailable_at_once_and_logs_one_line(
    make_publisher: Callable[..., MqttPublisher], log_watch: LogWatch
) -> None:
    (port,) = free_ports(1)  # nothing listens here
    broker = BrokerSettings("127.0.0.1", port, "gateway", GATEWAY_PASSWORD, external=True)
    publisher = make_publisher(broker, wait_connected=False)
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable):
        publisher.publish("awtrix/some-device-token-0/notify", b"{}")
    assert time.monotonic() - started < 0.5
    assert not publisher.connected
    # paho retries in the background: the same problem again must not add a second warning.
    attempts = log_watch.wait_for(rf"cannot reach the MQTT broker at 127\.0\.0\.1:{port}: Connection refused", count=2)
    assert [record.levelname for record in attempts[:2]] == ["WARNING", "DEBUG"]


@pytest.fixture
def locked_mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A Mosquitto that requires a password and lets the gateway publish nowhere."""
    broker = Mosquitto(tmp_path, users={"gateway": GATEWAY_PASSWORD}, acl="user gateway\ntopic read nothing/#\n").start()
    yield broker
    broker.stop()


def test_wrong_password_logs_one_refusal_without_the_password(
    locked_mosquitto: Mosquitto, make_publisher: Callable[..., MqttPublisher], log_watch: LogWatch
) -> None:
    publisher = make_publisher(locked_mosquitto.external("gateway", "wrong-password-never-logged"), wait_connected=False)
    publisher.start()
    (refusal,) = log_watch.wait_for("refused the gateway's login")
    assert refusal.levelname == "WARNING"
    assert "MQTT_URL" in refusal.getMessage()
    assert not publisher.connected
    assert "never-logged" not in log_watch.text


def test_puback_refusal_raises_broker_rejected_with_502(
    locked_mosquitto: Mosquitto, make_publisher: Callable[..., MqttPublisher]
) -> None:
    publisher = make_publisher(locked_mosquitto.external("gateway", GATEWAY_PASSWORD))
    with pytest.raises(BrokerRejected) as caught:
        publisher.publish("awtrix/some-device-token-0/notify", b"{}")
    assert (caught.value.status, caught.value.code) == (502, "broker_rejected")
    assert "135" in caught.value.message  # MQTT 5 reason code 0x87, not authorized


def test_silent_broker_raises_broker_timeout_and_the_late_ack_is_forgotten(
    mosquitto: Mosquitto, make_publisher: Callable[..., MqttPublisher], plain_mqtt: Clients, token: str
) -> None:
    clock = plain_mqtt.device(token)
    assert clock.subscribe(f"awtrix/{token}/#") == [0]
    publisher = make_publisher(mosquitto.external(), timeout_s=0.3)
    assert mosquitto.output is not None
    mosquitto.output.popen.send_signal(signal.SIGSTOP)  # alive and connected, but answering nothing
    try:
        started = time.monotonic()
        with pytest.raises(BrokerTimeout) as caught:
            publisher.publish(f"awtrix/{token}/notify", b'{"text":"late"}')
        assert 0.3 <= time.monotonic() - started < 1.0
        assert caught.value.headers() == {"Retry-After": "1"}
    finally:
        mosquitto.output.popen.send_signal(signal.SIGCONT)
    # The message was sent, so it may still arrive, as the 503 message says; the next publish is unaffected.
    clock.expect_only(f"awtrix/{token}/notify", b'{"text":"late"}')
    assert publisher.publish(f"awtrix/{token}/notify", b'{"text":"next"}') is True
    clock.expect_only(f"awtrix/{token}/notify", b'{"text":"next"}')


def test_publisher_errors_are_api_errors_with_retry_after() -> None:
    for error in (BrokerUnavailable(), BrokerTimeout()):
        assert isinstance(error, ApiError)
        assert (error.status, error.headers()) == (503, {"Retry-After": "1"})


def test_forked_child_connects_with_its_own_client(mosquitto: Mosquitto, make_publisher: Callable[..., MqttPublisher]) -> None:
    publisher = make_publisher(mosquitto.external())
    child = os.fork()
    if child == 0:  # the child: the parent's network thread did not survive the fork
        works = False
        try:
            works = publisher.wait_until(connected=True, timeout_s=WAIT_S)
            works = works and publisher.publish("awtrix/nobody-listens-here-0/notify", b"{}") is False
        finally:
            os._exit(0 if works else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert mosquitto.output is not None
    mosquitto.output.wait_for(rf"New client connected from \S+ as gateway-{child}-[0-9a-f]{{8}}")


@pytest.fixture
def tls_mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A Mosquitto whose only listener speaks TLS with a self-signed certificate."""
    broker = Mosquitto(tmp_path, tls=True).start()
    yield broker
    broker.stop()


def tls_settings(broker: Mosquitto) -> BrokerSettings:
    return BrokerSettings(host="127.0.0.1", port=broker.port, username=None, password=None, tls=True, external=True)


# paho 2.2 does not close the TLS socket when the handshake fails (client.py, _ssl_wrap_socket);
# CPython then closes it when the failed attempt is dropped, with a ResourceWarning.
@pytest.mark.filterwarnings("ignore:Exception ignored in. <ssl.SSLSocket:pytest.PytestUnraisableExceptionWarning")
def test_mqtts_refuses_a_certificate_the_system_does_not_trust(
    tls_mosquitto: Mosquitto, make_publisher: Callable[..., MqttPublisher], log_watch: LogWatch
) -> None:
    publisher = make_publisher(tls_settings(tls_mosquitto), wait_connected=False)
    publisher.start()
    (failure,) = log_watch.wait_for("CERTIFICATE_VERIFY_FAILED")
    assert failure.levelname == "WARNING"
    assert not publisher.connected


def test_mqtts_publishes_over_tls_to_a_trusted_broker(
    tls_mosquitto: Mosquitto, make_publisher: Callable[..., MqttPublisher], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_mosquitto.certificate))  # stands in for the system's CA store
    publisher = make_publisher(tls_settings(tls_mosquitto))
    assert publisher.publish("awtrix/nobody-listens-here-0/notify", b"{}") is False
