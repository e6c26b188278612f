"""Hand-built MQTT packets over a raw socket, for what a well-behaved client library refuses to send."""

import socket
import struct

WAIT_S = 5.0


def _string(value: bytes) -> bytes:
    return struct.pack("!H", len(value)) + value


def _remaining_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def packet(first_byte: int, body: bytes) -> bytes:
    """Frame body behind a fixed header."""
    return bytes((first_byte,)) + _remaining_length(len(body)) + body


def connect(
    username: bytes | None = None,
    keepalive: int = 60,
    client_id: bytes = b"raw",
    protocol: tuple[bytes, int] = (b"MQTT", 4),
    password: bytes | None = None,
) -> bytes:
    """Return a CONNECT packet; protocol (b"MQTT", 5) adds the empty MQTT 5 property list."""
    name, level = protocol
    flags = 0x02 | (0x80 if username is not None else 0) | (0x40 if password is not None else 0)
    body = _string(name) + bytes((level, flags)) + struct.pack("!H", keepalive)
    if level == 5:
        body += b"\x00"
    body += _string(client_id)
    if username is not None:
        body += _string(username)
    if password is not None:
        body += _string(password)
    return packet(0x10, body)


def subscribe(packet_id: int, *filters: bytes) -> bytes:
    """Return a SUBSCRIBE for filters at QoS 0."""
    body = struct.pack("!H", packet_id) + b"".join(_string(f) + b"\x00" for f in filters)
    return packet(0x82, body)


def publish(topic: bytes, payload: bytes) -> bytes:
    """Return a QoS 0 PUBLISH."""
    return packet(0x30, _string(topic) + payload)


class RawClient:
    """A TCP connection to the broker that speaks bytes."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        """Connect the socket."""
        self.sock = socket.create_connection((host, port), timeout=WAIT_S)

    def send(self, data: bytes) -> None:
        """Write bytes."""
        self.sock.sendall(data)

    def read_packet(self, timeout: float = WAIT_S) -> bytes:
        """Return the next whole packet, or b"" when the broker closed the connection."""
        self.sock.settimeout(timeout)
        first = self.sock.recv(1)
        if not first:
            return b""
        length, shift, header = 0, 0, first
        while True:
            byte = self.sock.recv(1)
            if not byte:
                return b""
            header += byte
            length |= (byte[0] & 0x7F) << shift
            shift += 7
            if not byte[0] & 0x80:
                break
        body = b""
        while len(body) < length:
            chunk = self.sock.recv(length - len(body))
            if not chunk:
                return b""
            body += chunk
        return header + body

    def closed_by_peer(self, timeout: float = WAIT_S) -> bool:
        """Return True when the broker closes the connection within timeout (reading past any packets)."""
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(4096):
                pass
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
        return True

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()
