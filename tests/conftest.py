"""Shared fixtures: a real embedded broker on an ephemeral port, a relay description, and MQTT clients."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from common.tokens import generate_token
from tests.support.clients import Clients
from tests.support.embedded import TEST_SECRET, EmbeddedBroker
from tests.support.relays import KINDS, Relay, relay_of_kind


@pytest.fixture
def embedded_broker() -> Iterator[EmbeddedBroker]:
    """A real RelayBroker listening on 127.0.0.1:<ephemeral>."""
    running = EmbeddedBroker().start()
    yield running
    running.stop()


@pytest.fixture
def relay(embedded_broker: EmbeddedBroker) -> Relay:
    """The broker under test; folders that test other brokers override this fixture."""
    port = embedded_broker.port
    return Relay("embedded", "127.0.0.1", port, port, embedded_broker.settings.gateway_username, TEST_SECRET)


@pytest.fixture(params=KINDS)
def each_relay(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Relay]:
    """A running relay broker of each kind in turn, for suites that must hold on every broker."""
    with relay_of_kind(request.param, tmp_path / "relay") as running:
        yield running


@pytest.fixture
def mqtt(relay: Relay) -> Iterator[Clients]:
    """A factory of real paho clients on the relay under test; all closed after the test."""
    clients = Clients(relay)
    yield clients
    clients.close_all()


@pytest.fixture
def token() -> str:
    """A fresh device token."""
    return generate_token()
