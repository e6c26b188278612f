"""The whole system as users run it: the Procfile's web process in front of each relay broker."""

import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from tests.support.processes import POLLING_LIMITS, Process, start_broker, start_gateway
from tests.support.relays import KINDS, Relay, mosquitto_relay


@dataclass
class System:
    """A running relay broker and a gunicorn gateway with several workers in front of it."""

    relay: Relay
    gateway: Process
    http_port: int
    broker: Process | None  # the embedded broker's process; Mosquitto logs to files instead

    def logs(self) -> str:
        """Everything the gateway and the broker logged so far."""
        return self.own_logs() + self.relay.logs()

    def own_logs(self) -> str:
        """What our processes printed: the gateway, and the embedded broker if it is the relay."""
        return self.gateway.output + (self.broker.output if self.broker is not None else "")


@pytest.fixture(scope="module", params=KINDS)
def system(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """Start a broker of each kind and a 3-worker gateway once per test module; stop both afterwards."""
    with ExitStack() as stack:
        yield start_system(stack, request.param, tmp_path_factory, workers=3)


def start_system(
    stack: ExitStack, kind: str, tmp_path_factory: pytest.TempPathFactory, workers: int, env: dict[str, str] | None = None
) -> System:
    """Start a relay broker of kind and a gateway in front of it, both with env; stack stops them (gateway first)."""
    broker: Process | None = None
    env = env or {}
    if kind == "embedded":
        secret = secrets.token_urlsafe(24)
        broker, port = start_broker({"GATEWAY_SECRET": secret, **env})
        stack.callback(broker.stop)
        relay = Relay("embedded", "127.0.0.1", port, port, "gateway", secret)
    else:
        relay = stack.enter_context(mosquitto_relay(tmp_path_factory.mktemp("mosquitto")))
    gateway, http_port = start_gateway({**relay.gateway_env(), **POLLING_LIMITS, **env}, workers=workers)
    stack.callback(gateway.stop)
    gateway.wait_for(r"connected to the MQTT broker", timeout=20)
    return System(relay, gateway, http_port, broker)


@pytest.fixture
def relay(system: System) -> Relay:
    """The system's broker, so the shared `mqtt` client factory connects devices to it."""
    return system.relay
