"""Decode and encode MQTT 3.1.1 packets (pure functions, no I/O): the broker's side, and the few a gateway sends."""

import struct
from dataclasses import dataclass

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 10, 11, 12, 13, 14

CONNACK_ACCEPTED, CONNACK_BAD_PROTOCOL, CONNACK_IDENTIFIER_REJECTED, CONNACK_NOT_AUTHORIZED = 0, 1, 2, 5
SUBACK_FAILURE = 0x80
PINGRESP_BYTES = bytes((PINGRESP << 4, 0))
DISCONNECT_BYTES = bytes((DISCONNECT << 4, 0))

# Fixed-header flags MQTT 3.1.1 prescribes for each packet a client may send (PUBLISH carries its own).
_REQUIRED_FLAGS = {
    CONNECT: 0,
    PUBACK: 0,
    PUBREC: 0,
    PUBREL: 2,
    PUBCOMP: 0,
    SUBSCRIBE: 2,
    UNSUBSCRIBE: 2,
    PINGREQ: 0,
    DISCONNECT: 0,
}


class MalformedPacket(Exception):
    """The bytes break MQTT 3.1.1; the connection must be closed."""


class PacketTooLarge(MalformedPacket):
    """A packet is larger than the broker accepts (MQTT_MAX_PACKET_BYTES)."""


class UnsupportedProtocol(Exception):
    """A CONNECT for another MQTT version (answer CONNACK 1), or not MQTT at all (reply is empty)."""

    def __init__(self, reply: bytes) -> None:
        """Keep the bytes to answer with before closing."""
        super().__init__("unsupported protocol")
        self.reply = reply


@dataclass(frozen=True)
class Connect:
    """The fields of a CONNECT the broker uses."""

    client_id: str
    clean_session: bool
    keepalive_s: int
    username: str | None
    password: bytes | None
    will_topic: str | None
    will_message: bytes
    will_qos: int


def next_frame(buffer: bytearray, offset: int, max_packet_bytes: int) -> tuple[int, bytes, int] | None:
    """Return (first byte, body, end offset) of the packet starting at offset, or None if it is not all there."""
    length, multiplier, position = 0, 1, offset + 1
    while True:
        if position >= len(buffer):
            return None
        byte = buffer[position]
        length += (byte & 0x7F) * multiplier
        position += 1
        if not byte & 0x80:
            break
        multiplier *= 128
        if position - offset > 4:
            raise MalformedPacket("remaining length longer than 4 bytes")
    end = position + length
    if end - offset > max_packet_bytes:
        raise PacketTooLarge("packet larger than the broker accepts")
    if end > len(buffer):
        return None
    return buffer[offset], bytes(buffer[position:end]), end


def check_flags(first_byte: int) -> int:
    """Return the packet type, raising MalformedPacket for a type or flags a client may not send."""
    packet_type, flags = first_byte >> 4, first_byte & 0x0F
    if packet_type == PUBLISH:
        if flags & 0x06 == 0x06:
            raise MalformedPacket("PUBLISH with QoS 3")
        return packet_type
    if _REQUIRED_FLAGS.get(packet_type) != flags:
        raise MalformedPacket(f"packet type {packet_type} with flags {flags} is not for a broker")
    return packet_type


class _Reader:
    """Read MQTT fields from one packet body, raising MalformedPacket on any overrun."""

    __slots__ = ("body", "position")

    def __init__(self, body: bytes) -> None:
        self.body, self.position = body, 0

    def take(self, count: int) -> bytes:
        end = self.position + count
        if end > len(self.body):
            raise MalformedPacket("field runs past the end of the packet")
        chunk, self.position = self.body[self.position : end], end
        return chunk

    def uint16(self) -> int:
        return struct.unpack("!H", self.take(2))[0]

    def binary(self) -> bytes:
        return self.take(self.uint16())

    def string(self) -> str:
        return decode_string(self.binary())

    def remaining(self) -> bytes:
        return self.take(len(self.body) - self.position)

    def done(self) -> bool:
        return self.position == len(self.body)


def decode_string(raw: bytes) -> str:
    """Return raw as text; MQTT strings are UTF-8 without U+0000 [MQTT-1.5.3-1, -2]."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedPacket("string is not UTF-8") from err
    if "\x00" in text:
        raise MalformedPacket("string contains U+0000")
    return text


def parse_connect(body: bytes) -> Connect:
    """Decode a CONNECT body; raise UnsupportedProtocol or MalformedPacket when it cannot be served."""
    reader = _Reader(body)
    try:
        name, level = reader.binary(), reader.take(1)[0]
    except MalformedPacket:
        raise UnsupportedProtocol(b"") from None
    if (name, level) != (b"MQTT", 4):
        known = (name, level) in ((b"MQTT", 5), (b"MQTT", 3), (b"MQIsdp", 3))
        raise UnsupportedProtocol(encode_connack(CONNACK_BAD_PROTOCOL) if known else b"")
    flags, keepalive = reader.take(1)[0], reader.uint16()
    if flags & 0x01 or (flags & 0x40 and not flags & 0x80) or (not flags & 0x04 and flags & 0x38):
        raise MalformedPacket("invalid CONNECT flags")
    will_qos = (flags >> 3) & 0x03
    if will_qos == 3:
        raise MalformedPacket("will QoS 3")
    client_id = reader.string()
    will_topic, will_message = (reader.string(), reader.binary()) if flags & 0x04 else (None, b"")
    username = reader.string() if flags & 0x80 else None
    password = reader.binary() if flags & 0x40 else None
    if not reader.done():
        raise MalformedPacket("bytes after the CONNECT payload")
    return Connect(client_id, bool(flags & 0x02), keepalive, username, password, will_topic, will_message, will_qos)


def parse_publish(flags: int, body: bytes) -> tuple[str, int | None, bytes, int]:
    """Return (topic, packet id or None, payload, QoS) of a PUBLISH."""
    reader = _Reader(body)
    topic = reader.string()
    if not topic or "+" in topic or "#" in topic:
        raise MalformedPacket("PUBLISH topic is empty or has a wildcard")
    qos = (flags >> 1) & 0x03
    packet_id = reader.uint16() if qos else None
    if packet_id == 0:
        raise MalformedPacket("packet id 0")
    return topic, packet_id, reader.remaining(), qos


def parse_subscribe(body: bytes) -> tuple[int, list[tuple[str, int]]]:
    """Return the packet id and the (filter, requested QoS) pairs of a SUBSCRIBE."""
    reader = _Reader(body)
    packet_id, entries = reader.uint16(), []
    while not reader.done():
        topic_filter, qos = reader.string(), reader.take(1)[0]
        if qos > 2:
            raise MalformedPacket("requested QoS above 2")
        entries.append((topic_filter, qos))
    if not entries:
        raise MalformedPacket("SUBSCRIBE without topics")
    return packet_id, entries


def parse_unsubscribe(body: bytes) -> tuple[int, list[str]]:
    """Return the packet id and the filters of an UNSUBSCRIBE."""
    reader = _Reader(body)
    packet_id, filters = reader.uint16(), []
    while not reader.done():
        filters.append(reader.string())
    if not filters:
        raise MalformedPacket("UNSUBSCRIBE without topics")
    return packet_id, filters


def parse_packet_id(body: bytes) -> int:
    """Return the packet id of a PUBACK, PUBREC, PUBREL or PUBCOMP."""
    if len(body) != 2:
        raise MalformedPacket("acknowledgement of the wrong length")
    return struct.unpack("!H", body)[0]


def _remaining_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length & 0x7F, length >> 7
        out.append(byte | 0x80 if length else byte)
        if not length:
            return bytes(out)


def encode_connack(return_code: int) -> bytes:
    """Return a CONNACK (session present is always 0: the broker keeps no sessions)."""
    return bytes((CONNACK << 4, 2, 0, return_code))


def encode_ack(packet_type: int, packet_id: int) -> bytes:
    """Return a PUBACK, PUBREC, PUBREL (flags 2), PUBCOMP or UNSUBACK for packet_id."""
    flags = 2 if packet_type == PUBREL else 0
    return bytes(((packet_type << 4) | flags, 2)) + struct.pack("!H", packet_id)


def encode_suback(packet_id: int, codes: list[int]) -> bytes:
    """Return a SUBACK with one return code per requested filter."""
    return bytes((SUBACK << 4,)) + _remaining_length(2 + len(codes)) + struct.pack("!H", packet_id) + bytes(codes)


def encode_publish(topic: bytes, payload: bytes, qos: int = 0, packet_id: int = 0) -> bytes:
    """Return a PUBLISH (never retained, never a duplicate) of payload on topic (UTF-8 bytes)."""
    id_bytes = struct.pack("!H", packet_id) if qos else b""
    length = 2 + len(topic) + len(id_bytes) + len(payload)
    header = bytes(((PUBLISH << 4) | (qos << 1),)) + _remaining_length(length)
    return b"".join((header, struct.pack("!H", len(topic)), topic, id_bytes, payload))


def encode_connect(client_id: str, username: str | None, password: str | None, keepalive_s: int = 0) -> bytes:
    """Return a clean-session MQTT 3.1.1 CONNECT without a will (what the gateway sends the embedded broker)."""
    flags = 0x02 | (0x80 if username is not None else 0) | (0x40 if password is not None else 0)
    fields = [client_id] + [value for value in (username, password) if value is not None]
    payload = b"".join(_string(field.encode("utf-8")) for field in fields)
    body = _string(b"MQTT") + bytes((4, flags)) + struct.pack("!H", keepalive_s) + payload
    return bytes((CONNECT << 4,)) + _remaining_length(len(body)) + body


def _string(raw: bytes) -> bytes:
    return struct.pack("!H", len(raw)) + raw


def publish_packet_bytes(topic: str, payload: bytes) -> int:
    """Return the size of the QoS 1 MQTT 3.1.1 PUBLISH packet carrying payload to topic."""
    remaining = 2 + len(topic.encode("utf-8")) + 2 + len(payload)
    return 1 + _remaining_length_bytes(remaining) + remaining


def _remaining_length_bytes(remaining: int) -> int:
    count = 1
    while remaining >= 128:
        remaining //= 128
        count += 1
    return count
