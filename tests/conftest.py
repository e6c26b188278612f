"""Shared fixtures: a real embedded broker on an ephemeral port, and device clients cleaned up after each test."""

from collections.abc import Callable, Iterator

import pytest

from common.tokens import generate_token
from tests.support.embedded import TEST_SECRET, EmbeddedBroker
from tests.support.mqtt import BareGateway, Device


@pytest.fixture
def embedded_broker() -> Iterator[EmbeddedBroker]:
    """A real RelayBroker listening on 127.0.0.1:<ephemeral>."""
    running = EmbeddedBroker().start()
    yield running
    running.stop()


@pytest.fixture
def token() -> str:
    """A fresh device token."""
    return generate_token()


@pytest.fixture
def clients() -> Iterator[list[Device]]:
    """A list tests append their MQTT clients to, so each is closed afterwards."""
    opened: list[Device] = []
    yield opened
    for client in opened:
        client.close()


@pytest.fixture
def device(embedded_broker: EmbeddedBroker, clients: list[Device]) -> Callable[..., Device]:
    """Return a factory of connected device clients on the embedded broker."""

    def make(username: str | None, expect_rc: int = 0, **kwargs: object) -> Device:
        client = Device(embedded_broker.port, username, **kwargs)  # type: ignore[arg-type]
        clients.append(client)
        assert client.connect() == expect_rc
        return client

    return make


@pytest.fixture
def gateway(embedded_broker: EmbeddedBroker, clients: list[Device]) -> BareGateway:
    """A bare MQTT client logged in as the gateway on the embedded broker."""
    client = BareGateway(embedded_broker.port, embedded_broker.settings.gateway_username, TEST_SECRET)
    clients.append(client)
    assert client.connect() == 0
    return client
