"""The whole system as users run it: the Procfile's broker and web processes, on ephemeral ports."""

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from tests.support.mqtt import Device
from tests.support.processes import Process, start_broker, start_gateway


@dataclass
class System:
    """A running broker process and a gunicorn gateway with several workers."""

    broker: Process
    gateway: Process
    mqtt_port: int
    http_port: int


@pytest.fixture(scope="module")
def system() -> Iterator[System]:
    """Start broker and gateway once per test module; stop both afterwards."""
    env = {"GATEWAY_SECRET": secrets.token_urlsafe(24)}
    broker, mqtt_port = start_broker(env)
    gateway, http_port = start_gateway({**env, "MQTT_PORT": str(mqtt_port)}, workers=3)
    gateway.wait_for(r"connected to the MQTT broker", timeout=20)
    yield System(broker, gateway, mqtt_port, http_port)
    gateway.stop()
    broker.stop()


@pytest.fixture
def device_on(clients: list[Device]) -> Callable[..., Device]:
    """Return a factory of connected devices on a given broker port, closed after the test."""

    def make(port: int, username: str, **kwargs: object) -> Device:
        client = Device(port, username, **kwargs)  # type: ignore[arg-type]
        clients.append(client)
        assert client.connect() == 0
        return client

    return make
