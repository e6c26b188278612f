"""The one small interface between the webhook application and whatever reaches the broker."""

from typing import Protocol, runtime_checkable

from common.firmware import Firmware
from gateway.publishing.outcome import Outcome


class Publisher(Protocol):
    """What the views need from the broker side."""

    @property
    def connected(self) -> bool:
        """Return True while connected to the broker (or able to connect now)."""
        ...

    def publish(self, topic: str, payload: bytes) -> bool | None:
        """Publish and return True (delivered), False (no device subscribed) or None (the broker cannot say)."""
        ...


@runtime_checkable
class Sends(Protocol):
    """What the real publishers add, and gateway/app/delivery.py uses when a publisher has it."""

    def send(self, topic: str, payload: bytes, reply_timeout_s: float = 0.0) -> Outcome:
        """Publish and return the outcome: devices reached, who listens if none, the clocks' answers in time."""
        ...

    def probe(self, token: str, firmware: Firmware) -> bool:
        """Return True when a clock of firmware listens for token (for brokers whose outcome cannot say)."""
        ...


@runtime_checkable
class Connects(Protocol):
    """What gunicorn's hooks call on a publisher with a real connection, around each worker.

    Runtime-checkable on its methods only: on Python 3.11 an isinstance() check reads every member, and
    reading `connected` would open a connection.
    """

    def wait_until(self, connected: bool, timeout_s: float) -> bool:
        """Wait until the connection state equals connected; return False if timeout_s passes first."""
        ...

    def stop(self) -> None:
        """Disconnect; a later publish connects again."""
        ...


class BrokerPublisher(Publisher, Connects, Protocol):
    """A publisher with a real connection to a broker."""
