"""Run the bridge example against each relay broker, with a real home Mosquitto bridging in from it."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.mosquitto import HomeBroker, run_home_broker
from tests.support.relays import Relay


@pytest.fixture
def relay(each_relay: Relay) -> Relay:
    """Each relay broker in turn."""
    return each_relay


@pytest.fixture
def home_broker(tmp_path: Path) -> Iterator[Callable[..., HomeBroker]]:
    """Return a starter of home brokers bridged to a relay's device port with a token; stopped afterwards."""
    with ExitStack() as stack:

        def start(remote_port: int, token: str, prefix: str, remote_host: str = "127.0.0.1") -> HomeBroker:
            workdir = tmp_path / f"home-{prefix}"
            return stack.enter_context(run_home_broker(workdir, remote_host, remote_port, token, prefix))

        yield start
