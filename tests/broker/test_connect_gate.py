"""The CONNECT gate: which first packets reach amqtt and which get refused."""

import asyncio

import pytest

from broker.connect_gate import CONNACK_UNACCEPTABLE_PROTOCOL, ConnectRejected, check_protocol, read_connect
from tests.support import raw


def _body(packet: bytes) -> bytes:
    return packet[2:]


def test_mqtt_311_connect_passes() -> None:
    check_protocol(_body(raw.connect(b"abcdefghijkl")))


@pytest.mark.parametrize("protocol", [(b"MQTT", 5), (b"MQIsdp", 3)])
def test_other_versions_are_answered_with_unacceptable_protocol(protocol: tuple[bytes, int]) -> None:
    with pytest.raises(ConnectRejected) as caught:
        check_protocol(_body(raw.connect(b"abcdefghijkl", protocol=protocol)))
    assert caught.value.reply == CONNACK_UNACCEPTABLE_PROTOCOL


@pytest.mark.parametrize("body", [b"", b"\x00", b"\x00\x04MQ", b"\x00\x04HTTP\x04"])
def test_garbage_is_rejected_without_answer(body: bytes) -> None:
    with pytest.raises(ConnectRejected) as caught:
        check_protocol(body)
    assert caught.value.reply == b""


async def _gate(data: bytes, timeout: float = 1.0) -> bytes:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()

    class Exact:
        async def read(self, n: int) -> bytes:
            return await reader.readexactly(n)

    return await read_connect(Exact(), timeout)


def test_read_connect_returns_the_whole_packet() -> None:
    packet = raw.connect(b"abcdefghijkl")
    assert asyncio.run(_gate(packet + b"\xc0\x00")) == packet


@pytest.mark.parametrize(
    "data",
    [b"", b"\x30\x00", b"\x10\xff\xff\xff\xff", b"\x10\x80\x80\x01", b"\x10\x05\x00\x04MQ"],
    ids=["empty", "not-connect", "bad-length", "too-large", "truncated"],
)
def test_read_connect_rejects_bad_first_packets(data: bytes) -> None:
    with pytest.raises(ConnectRejected):
        asyncio.run(_gate(data))
