"""Abuse fixtures: a real Redis on an ephemeral port, gateways over a real embedded broker, devices."""

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.publishing import Publisher
from gateway.settings import RateLimitSettings
from tests.gateway.conftest import (  # noqa: F401 (fixtures, registered by being imported here)
    Gateway,
    embedded_settings,
    make_gateway,
    make_publisher,
    publishers,
)
from tests.support.clients import Client, Clients
from tests.support.embedded import EmbeddedBroker
from tests.support.mosquitto import free_ports
from tests.support.processes import Process

REDIS_SERVER = "redis-server"
WAIT_S = 10.0
START_ATTEMPTS = 3
# Far above anything a test sends, so only the tests about limits ever meet one.
UNLIMITED = RateLimitSettings(per_token="100000 per minute", per_address="100000 per minute")


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
            (self.port,) = free_ports(1)
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


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A running Redis for rate-limit counts shared between gateways."""
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def publisher(embedded_broker: EmbeddedBroker, make_publisher: Callable[..., Publisher]) -> Publisher:  # noqa: F811
    """The gateway's real publisher for the embedded broker (its own link), connected."""
    return make_publisher(embedded_settings(embedded_broker))


@pytest.fixture
def gateway_with(publisher: Publisher, make_gateway: Callable[..., Gateway]) -> Callable[..., Gateway]:  # noqa: F811
    """Return a factory of gateways (Flask test clients) over the real publisher, with given settings."""
    return lambda **settings: make_gateway(publisher, **settings)


@pytest.fixture
def subscribed(mqtt: Clients) -> Callable[..., Client]:
    """Return a factory of devices on the embedded broker subscribed to their token's whole namespace."""

    def make(token: str, qos: int = 0) -> Client:
        device = mqtt.device(token)
        assert device.subscribe(f"awtrix/{token}/#", qos=qos) == [qos]
        return device

    return make
