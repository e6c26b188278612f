"""Fixtures: a real Mosquitto from the shipped config, described like every other relay broker."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mosquitto import MosquittoRelay, run_relay
from tests.support.relays import Relay, from_mosquitto


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoRelay]:
    """Mosquitto running config/mosquitto/ as installed on Debian, on ephemeral 127.0.0.1 ports."""
    with run_relay(tmp_path / "relay") as broker:
        yield broker


@pytest.fixture
def relay(mosquitto: MosquittoRelay) -> Relay:
    """The Mosquitto relay, described like every other relay broker."""
    return from_mosquitto(mosquitto)
