"""Abuse fixtures: a real Redis on an ephemeral port, gateways over a real embedded broker, devices."""

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.publisher import MqttPublisher
from gateway.settings import RateLimitSettings
from tests.gateway.conftest import (  # noqa: F401 (fixtures, registered by being imported here)
    Gateway,
    Output,
    embedded_settings,
    free_port,
    make_gateway,
    make_publisher,
    publishers,
)
from tests.support.embedded import EmbeddedBroker
from tests.support.mqtt import Device

REDIS_SERVER = "redis-server"
START_ATTEMPTS = 3
# Far above anything a test sends, so only the tests about limits ever meet one.
UNLIMITED = RateLimitSettings(per_token="100000 per minute", per_address="100000 per minute")


class RedisServer:
    """A throw-away redis-server on 127.0.0.1: no snapshots, no append-only file."""

    def __init__(self, directory: Path) -> None:
        """Remember where Redis may write (it writes nothing with these options)."""
        self.directory = directory
        self.port = 0
        self.output: Output | None = None

    def start(self) -> "RedisServer":
        """Start on a free port, retrying if another process took the port in between."""
        binary = shutil.which(REDIS_SERVER) or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise AssertionError("redis-server is missing: run `make system-deps` (Debian package redis-server)")
        for _ in range(START_ATTEMPTS):
            self.port = free_port()
            args = [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
            popen = subprocess.Popen(
                [*args, "--dir", str(self.directory)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            self.output = Output(popen)
            try:
                self.output.wait_for(r"Ready to accept connections")
                return self
            except AssertionError:
                self.output.stop()
                if "Address already in use" not in self.output.text:
                    raise
        raise AssertionError(f"redis-server found no free port in {START_ATTEMPTS} attempts")

    @property
    def url(self) -> str:
        """The RATE_LIMIT_STORAGE_URL that points at this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Stop Redis if it runs."""
        if self.output is not None:
            self.output.stop()


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
def devices() -> Iterator[list[Device]]:
    """A list tests add their MQTT devices to, so each is closed afterwards."""
    opened: list[Device] = []
    yield opened
    for device in opened:
        device.close()


@pytest.fixture
def subscribed(embedded_broker: EmbeddedBroker, devices: list[Device]) -> Callable[..., Device]:
    """Return a factory of devices on the embedded broker subscribed to their token's whole namespace."""

    def make(token: str, qos: int = 0) -> Device:
        device = Device(embedded_broker.port, token)
        devices.append(device)
        assert device.connect() == 0
        assert device.subscribe(f"awtrix/{token}/#", qos=qos) == [qos]
        return device

    return make
