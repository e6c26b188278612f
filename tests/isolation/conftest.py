"""Run every test here against each relay broker: the embedded amqtt broker and Mosquitto from config/mosquitto/."""

import pytest

from tests.support.relays import Relay


@pytest.fixture
def relay(each_relay: Relay) -> Relay:
    """Each relay broker in turn."""
    return each_relay
