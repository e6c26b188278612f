"""A simulated device reports each labelled message by id, and whether it was addressed to it (bench/device.py)."""

import json

import pytest

from bench.device import Device, topic_filter
from tests.support.raw import packet

TOKEN = "soak-device-000001"


class Tally:
    """Records what the device reports."""

    def __init__(self) -> None:
        self.messages = 0
        self.receipts: list[tuple[int, bool]] = []

    def subscribed(self, device: Device) -> None: ...
    def refused(self, device: Device, reason: str) -> None: ...
    def lost(self, device: Device) -> None: ...

    def message(self, device: Device, latency_ns: int | None) -> None:
        self.messages += 1

    def receipt(self, device: Device, message_id: int, addressed_here: bool) -> None:
        self.receipts.append((message_id, addressed_here))


def publish(topic: str, payload: dict[str, object]) -> bytes:
    """A QoS 0 PUBLISH, as the broker sends it to a device."""
    name = topic.encode()
    return packet(0x30, len(name).to_bytes(2, "big") + name + json.dumps(payload, separators=(",", ":")).encode())


@pytest.mark.parametrize(
    ("topic", "to", "addressed_here"),
    [
        (topic_filter(TOKEN), TOKEN, True),
        (topic_filter(TOKEN), "soak-device-000002", False),
        (topic_filter("soak-device-000002"), TOKEN, False),
    ],
)
def test_labelled_message_is_reported_by_id_with_its_addressee_checked(topic: str, to: str, addressed_here: bool) -> None:
    tally = Tally()
    device = Device(tally, TOKEN, 60, anonymous=False)
    device.data_received(publish(topic, {"text": "soak", "id": "42", "to": to, "ts": 1}))
    assert (tally.messages, tally.receipts) == (1, [(42, addressed_here)])


def test_unlabelled_message_is_counted_without_a_receipt() -> None:
    tally = Tally()
    device = Device(tally, TOKEN, 60, anonymous=False)
    device.data_received(publish(topic_filter(TOKEN), {"text": "bench", "ts": 1}))
    assert (tally.messages, tally.receipts) == (1, [])
