"""PubSubClient 2.8 on a raw socket: its CONNECT, SUBSCRIBE and PUBLISH bytes, its 8192-byte read buffer, its pings.

Both AWTRIX 3 and AWTRIX NG speak MQTT through PubSubClient (fw-facts §A1, §A2, §B1); a stand-in subclasses
Wire and handles what arrives in on_publish(), on the reader thread.
"""

import queue
import socket
import struct
import threading
import time

BUFFER_BYTES = 8192  # MQTT_MAX_PACKET_SIZE / setBufferSize(8192)
KEEPALIVE_S = 15  # PubSubClient's default, never changed by either firmware
WAIT_S = 5.0
PINGREQ = b"\xc0\x00"


def string(value: bytes) -> bytes:
    """Return an MQTT string: a 2-byte length and the bytes."""
    return struct.pack("!H", len(value)) + value


def frame(first: int, body: bytes) -> bytes:
    """Return a packet: the fixed header byte, the remaining length, the body."""
    length, header = len(body), bytearray((first,))
    while True:
        byte, length = length % 128, length // 128
        header.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(header) + body


def connect_packet(
    client_id: bytes, will: tuple[bytes, bytes, bool], credentials: tuple[bytes, bytes] | None, keepalive: int = KEEPALIVE_S
) -> bytes:
    """Return PubSubClient::connect's CONNECT: MQTT 3.1.1, clean session, a QoS 0 will (retained or not)."""
    will_topic, will_message, will_retain = will
    flags = 0x02 | 0x04 | (0x20 if will_retain else 0) | (0xC0 if credentials is not None else 0)
    body = string(b"MQTT") + bytes((4, flags)) + struct.pack("!H", keepalive) + string(client_id)
    body += string(will_topic) + string(will_message)
    if credentials is not None:
        body += string(credentials[0]) + string(credentials[1])
    return frame(0x10, body)


def subscribe_packet(packet_id: int, topic_filter: bytes) -> bytes:
    """Return PubSubClient::subscribe's SUBSCRIBE: one filter, QoS 0."""
    return frame(0x82, struct.pack("!H", packet_id) + string(topic_filter) + b"\x00")


def publish_packet(topic: bytes, payload: bytes, retain: bool = False) -> bytes:
    """Return PubSubClient::publish's PUBLISH: QoS 0, retained or not."""
    return frame(0x30 | (1 if retain else 0), string(topic) + payload)


class Wire:
    """One PubSubClient connection: connect() logs in and runs on_connected(); a thread reads what arrives."""

    def __init__(self, host: str, port: int, prefix: str) -> None:
        """Remember where to connect; nothing is sent yet."""
        self.host, self.port, self.prefix = host, port, prefix
        self.sock: socket.socket | None = None
        self.closed = threading.Event()
        self.oversized = 0  # packets dropped unread because they did not fit the buffer
        self.received: queue.Queue[tuple[str, bytes]] = queue.Queue()  # every PUBLISH handed to the firmware
        self._lock = threading.Lock()
        self._subacks = threading.Condition()
        self.subscribed = 0  # SUBACKs read (PubSubClient ignores them; a test waits for them before publishing)
        self._next_id = 1
        self._last_out = time.monotonic()

    def connect(self, packet: bytes) -> None:
        """Send CONNECT, wait for CONNACK 0, then run on_connected() and start reading."""
        self.sock = socket.create_connection((self.host, self.port), timeout=WAIT_S)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(packet)
        first, body = self._read_packet()
        assert first >> 4 == 2 and body[1:2] == b"\x00", f"CONNACK refused: {body!r}"
        self._next_id = 1  # PubSubClient resets nextMsgId at CONNECT and pre-increments it
        self.on_connected()
        threading.Thread(target=self._read_forever, daemon=True).start()

    def wait_subscribed(self, count: int, timeout: float = WAIT_S) -> None:
        """Wait until count SUBACKs came: the broker has handled the subscriptions (the clock itself never waits)."""
        with self._subacks:
            assert self._subacks.wait_for(lambda: self.subscribed >= count, timeout), f"{self.subscribed} of {count} SUBACKs"

    def on_connected(self) -> None:
        """What the firmware does right after CONNACK (subscribe, announce itself)."""

    def on_publish(self, suffix: str, payload: bytes) -> None:
        """Handle a PUBLISH under the prefix (suffix is the topic after '<prefix>/'), on the reader thread."""

    def subscribe(self, suffix: str) -> None:
        """Subscribe to <prefix>/<suffix> at QoS 0, without waiting for the SUBACK (as PubSubClient does)."""
        self._next_id += 1
        self.send(subscribe_packet(self._next_id, f"{self.prefix}/{suffix}".encode()))

    def publish(self, suffix: str, payload: bytes, retain: bool = False) -> None:
        """Publish under the prefix at QoS 0."""
        self.send(publish_packet(f"{self.prefix}/{suffix}".encode(), payload, retain))

    def send(self, data: bytes) -> None:
        """Write bytes to the broker (from any thread)."""
        with self._lock:
            assert self.sock is not None
            self.sock.sendall(data)
            self._last_out = time.monotonic()

    def vanish(self) -> None:
        """Drop the connection without DISCONNECT, as a clock that loses power (the broker then sends the will)."""
        if self.sock is not None:
            self.closed.set()
            self.sock.close()

    def close(self) -> None:
        """Disconnect cleanly (DISCONNECT, no will) if still connected."""
        if self.sock is not None and not self.closed.is_set():
            self.closed.set()
            try:
                self.send(b"\xe0\x00")
            except OSError:
                pass
            self.sock.close()

    def _read_forever(self) -> None:
        assert self.sock is not None
        self.sock.settimeout(1.0)
        while not self.closed.is_set():
            try:
                first, body = self._read_packet()
            except TimeoutError:
                self._ping_if_due()
                continue
            except (OSError, EOFError):
                break
            if first >> 4 == 3 and body is not None:
                self._take_publish(first, body)
            elif first >> 4 == 9:
                with self._subacks:
                    self.subscribed += 1
                    self._subacks.notify_all()
            self._ping_if_due()
        self.closed.set()

    def _take_publish(self, first: int, body: bytes) -> None:
        topic_length = struct.unpack("!H", body[:2])[0]
        topic = body[2 : 2 + topic_length].decode()
        payload = body[2 + topic_length + (2 if first & 0x06 else 0) :]
        if first & 0x06:
            self.send(frame(0x40, body[2 + topic_length : 4 + topic_length]))  # PUBACK a QoS 1 delivery
        self.received.put((topic, payload))
        if topic.startswith(self.prefix + "/"):
            self.on_publish(topic[len(self.prefix) + 1 :], payload)

    def _ping_if_due(self) -> None:
        if time.monotonic() - self._last_out > KEEPALIVE_S:
            self.send(PINGREQ)

    def _read_packet(self) -> tuple[int, bytes | None]:
        """Return (first byte, body), body None for a packet the 8192-byte buffer could not hold (PSC readPacket)."""
        first = self._read_exactly(1)[0]
        length, multiplier, header = 0, 1, 1
        while True:
            byte = self._read_exactly(1)[0]
            header += 1
            length += (byte & 0x7F) * multiplier
            multiplier *= 128
            if not byte & 0x80:
                break
        body = self._read_exactly(length)
        if header + length > BUFFER_BYTES:
            self.oversized += 1
            return first, None
        return first, body

    def _read_exactly(self, count: int) -> bytes:
        assert self.sock is not None
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise EOFError("the broker closed the connection")
            data += chunk
        return data
