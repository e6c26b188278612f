"""Fixtures: a real Mosquitto from the shipped config, paho clients on it, and a home broker bridged to it."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from .clients import Clients
from .process import HomeBroker, RelayBroker, run_home_broker, run_relay


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[RelayBroker]:
    """Mosquitto running config/mosquitto/ as installed on Debian, on ephemeral 127.0.0.1 ports."""
    with run_relay(tmp_path / "relay") as broker:
        yield broker


@pytest.fixture
def mqtt(mosquitto: RelayBroker) -> Iterator[Clients]:
    """A factory of paho clients on that Mosquitto (devices, the gateway, others); all closed afterwards."""
    clients = Clients(mosquitto)
    yield clients
    clients.close_all()


@pytest.fixture
def home_broker(tmp_path: Path) -> Iterator[Callable[..., HomeBroker]]:
    """Return a starter of home brokers bridged to a relay's device port with a token; stopped afterwards."""
    with ExitStack() as stack:

        def start(remote_port: int, token: str, prefix: str, remote_host: str = "127.0.0.1") -> HomeBroker:
            workdir = tmp_path / f"home-{prefix}"
            return stack.enter_context(run_home_broker(workdir, remote_host, remote_port, token, prefix))

        yield start
