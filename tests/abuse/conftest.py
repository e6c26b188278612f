"""Abuse fixtures: a real Redis on an ephemeral port, gateways over a real embedded broker, devices."""

import itertools
import queue
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from gateway.publisher import MqttPublisher
from gateway.settings import RateLimitSettings
from tests.gateway.conftest import (  # noqa: F401 (fixtures, registered by being imported here)
    Gateway,
    embedded_settings,
    make_gateway,
    make_publisher,
    publishers,
)
from tests.support.embedded import EmbeddedBroker
from tests.support.processes import Process

REDIS_SERVER = "redis-server"
WAIT_S = 10.0
START_ATTEMPTS = 3
# Far above anything a test sends, so only the tests about limits ever meet one.
UNLIMITED = RateLimitSettings(per_token="100000 per minute", per_address="100000 per minute")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A throw-away redis-server on 127.0.0.1: no snapshots, no append-only file."""

    def __init__(self, directory: Path) -> None:
        """Remember where Redis may write (it writes nothing with these options)."""
        self.directory = directory
        self.port = 0
        self.process: Process | None = None

    def start(self) -> "RedisServer":
        """Start on a free port, retrying if another process took the port in between."""
        binary = shutil.which(REDIS_SERVER) or f"/usr/bin/{REDIS_SERVER}"
        if not Path(binary).exists():
            raise AssertionError("redis-server is missing: run `make system-deps` (Debian package redis-server)")
        for _ in range(START_ATTEMPTS):
            self.port = free_port()
            options = ["--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
            self.process = Process([binary, *options, "--dir", str(self.directory)], {})
            try:
                self.process.wait_for(r"Ready to accept connections", timeout=WAIT_S)
                return self
            except AssertionError:
                self.process.stop()
                if "Address already in use" not in self.process.output:
                    raise
        raise AssertionError(f"redis-server found no free port in {START_ATTEMPTS} attempts")

    @property
    def url(self) -> str:
        """The RATE_LIMIT_STORAGE_URL that points at this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Stop Redis if it runs."""
        if self.process is not None:
            self.process.stop()


class Subscriber:
    """A real paho client logged in as a device (username = token) that queues what it receives."""

    _ids = itertools.count()

    def __init__(self, port: int, token: str) -> None:
        """Create the client; connect() and subscribe() do the talking."""
        self.port = port
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._acks: queue.Queue[object] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"abuse-device-{next(self._ids)}")
        self.client.username_pw_set(token, "any")
        self.client.on_connect = lambda _c, _u, _f, reason, _p: self._acks.put(reason.value)
        self.client.on_subscribe = lambda _c, _u, _m, codes, _p: self._acks.put([code.value for code in codes])
        self.client.on_message = lambda _c, _u, message: self.messages.put((message.topic, message.payload))

    def connect(self) -> int:
        """Connect and return the CONNACK code (0 = accepted)."""
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        return self._acks.get(timeout=WAIT_S)  # type: ignore[return-value]

    def subscribe(self, topic_filter: str, qos: int) -> list[int]:
        """Subscribe and return the SUBACK's granted codes."""
        self.client.subscribe(topic_filter, qos)
        return self._acks.get(timeout=WAIT_S)  # type: ignore[return-value]

    def expect(self, timeout: float = WAIT_S) -> tuple[str, bytes]:
        """Return the next message (topic, payload), failing the test if none arrives in time."""
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no message within {timeout} s") from None

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A running Redis for rate-limit counts shared between gateways."""
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def publisher(embedded_broker: EmbeddedBroker, make_publisher: Callable[..., MqttPublisher]) -> MqttPublisher:  # noqa: F811
    """A real MqttPublisher connected to the embedded broker."""
    return make_publisher(embedded_settings(embedded_broker))


@pytest.fixture
def gateway_with(publisher: MqttPublisher, make_gateway: Callable[..., Gateway]) -> Callable[..., Gateway]:  # noqa: F811
    """Return a factory of gateways (Flask test clients) over the real publisher, with given settings."""
    return lambda **settings: make_gateway(publisher, **settings)


@pytest.fixture
def devices() -> Iterator[list[Subscriber]]:
    """A list tests add their MQTT devices to, so each is closed afterwards."""
    opened: list[Subscriber] = []
    yield opened
    for device in opened:
        device.close()


@pytest.fixture
def subscribed(embedded_broker: EmbeddedBroker, devices: list[Subscriber]) -> Callable[..., Subscriber]:
    """Return a factory of devices on the embedded broker subscribed to their token's whole namespace."""

    def make(token: str, qos: int = 0) -> Subscriber:
        device = Subscriber(embedded_broker.port, token)
        devices.append(device)
        assert device.connect() == 0
        assert device.subscribe(f"awtrix/{token}/#", qos=qos) == [qos]
        return device

    return make
