"""Read and vet the first packet of a connection before amqtt parses it.

amqtt 0.12.1 parses CONNECT field by field straight from the socket: an MQTT 5 CONNECT makes it
wait for bytes that never come, and a client that never sends anything is never timed out. We
read the whole packet first (bounded in size and time), answer unsupported protocol versions
with a proper CONNACK, and hand amqtt only a complete MQTT 3.1.1 CONNECT.
"""

import asyncio

CONNECT_FIRST_BYTE = 0x10
CONNACK_UNACCEPTABLE_PROTOCOL = bytes((0x20, 0x02, 0x00, 0x01))
MAX_CONNECT_BYTES = 8192


class ConnectRejected(Exception):
    """The first packet is not an acceptable CONNECT; reply (if any) is what to send before closing."""

    def __init__(self, reason: str, reply: bytes = b"") -> None:
        """Keep the reason for the log and the bytes to answer with."""
        super().__init__(reason)
        self.reply = reply


async def read_connect(reader: asyncio.StreamReader | object, timeout_s: float) -> bytes:
    """Return the raw bytes of a complete MQTT 3.1.1 CONNECT, or raise ConnectRejected."""
    try:
        return await asyncio.wait_for(_read_packet(reader), timeout_s)
    except TimeoutError as err:
        raise ConnectRejected("no CONNECT in time") from err
    except (asyncio.IncompleteReadError, ConnectionError) as err:
        raise ConnectRejected("connection closed before CONNECT") from err


async def _read_packet(reader: object) -> bytes:
    read = reader.read  # type: ignore[attr-defined]
    first = await read(1)
    if first != bytes((CONNECT_FIRST_BYTE,)):
        raise ConnectRejected("first packet is not CONNECT")
    length, length_bytes = 0, b""
    for shift in (0, 7, 14, 21):
        byte = await read(1)
        length_bytes += byte
        length |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            break
    else:
        raise ConnectRejected("malformed remaining length")
    if length > MAX_CONNECT_BYTES:
        raise ConnectRejected("CONNECT too large")
    body = await read(length)
    check_protocol(body)
    return first + length_bytes + body


def check_protocol(body: bytes) -> None:
    """Raise ConnectRejected unless the CONNECT body announces MQTT 3.1.1."""
    if len(body) < 2:
        raise ConnectRejected("truncated CONNECT")
    name_length = int.from_bytes(body[:2], "big")
    name = body[2 : 2 + name_length]
    level = body[2 + name_length] if len(body) > 2 + name_length else None
    if name == b"MQTT" and level == 4:
        return
    if (name, level) in ((b"MQTT", 5), (b"MQIsdp", 3)):
        raise ConnectRejected("unsupported protocol version", CONNACK_UNACCEPTABLE_PROTOCOL)
    raise ConnectRejected("unknown protocol")
