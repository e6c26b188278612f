"""One simulated device: a raw MQTT 3.1.1 connection that subscribes to its token's topic and counts messages.

A payload carrying a message id ("id":"<n>", as `make soak` sends) is also reported by id, with whether its
"to" field and its topic name this device's token. As an AWTRIX NG clock (ng=True) it subscribes to
<prefix>/cmd/# instead and answers every command on <command>/result with {"ok":true}, as NG does.
"""

import asyncio
import re
import time
from typing import Protocol

from tests.support.raw import connect, packet, publish, subscribe

PINGREQ = b"\xc0\x00"
DISCONNECT = b"\xe0\x00"
SUBACK_FAILURE = 0x80
_TS = re.compile(rb'"ts":(\d+)')
_ID = re.compile(rb'"id":"(\d+)"')
_TO = re.compile(rb'"to":"([^"]*)"')
NG_OK = b'{"ok":true}'


class Tally(Protocol):
    """Where a device reports what happens to it (the fleet of its process)."""

    def subscribed(self, device: "Device") -> None:
        """The device's SUBACK granted its subscription."""

    def refused(self, device: "Device", reason: str) -> None:
        """The broker refused the CONNECT or the SUBSCRIBE."""

    def lost(self, device: "Device") -> None:
        """The connection ended."""

    def message(self, device: "Device", latency_ns: int | None) -> None:
        """A PUBLISH arrived, with the latency read from its payload's "ts" when present."""

    def receipt(self, device: "Device", message_id: int, addressed_here: bool) -> None:
        """That PUBLISH carried message_id; addressed_here: its "to" and its topic are this device's token."""


def topic_filter(token: str, ng: bool = False) -> str:
    """Return the filter a device subscribes to: AWTRIX 3's notify topic under its token, or NG's command tree."""
    return f"awtrix/{token}/cmd/#" if ng else f"awtrix/{token}/notify"


class Device(asyncio.Protocol):
    """A device connection: CONNECT, then SUBSCRIBE after CONNACK, then count PUBLISH packets."""

    def __init__(self, tally: Tally, token: str, keepalive_s: int, anonymous: bool, ng: bool = False) -> None:
        """Prepare the packets; nothing is sent until the connection is made."""
        self.ng = ng
        self.tally = tally
        self.token = token
        self.transport: asyncio.Transport | None = None
        self.state = "connecting"
        self.received = 0
        self.ever_subscribed = False
        self.ping_due = 0.0  # monotonic time of the next PINGREQ; the fleet keeps it
        self._buffer = bytearray()
        username = None if anonymous else token.encode()
        self._connect = connect(username=username, keepalive=keepalive_s, client_id=f"bench-{token}".encode())
        self._topic = topic_filter(token, ng).encode()
        self._notify = f"awtrix/{token}/notify".encode()
        self._to = b'"to":"' + token.encode() + b'"'
        self._subscribe = subscribe(1, self._topic)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Send CONNECT."""
        self.transport = transport  # type: ignore[assignment]
        self.state = "connected"
        self.transport.write(self._connect)

    def connection_lost(self, exc: Exception | None) -> None:
        """Tell the fleet; the fleet decides whether to reconnect."""
        self.state = "closed"
        self.transport = None
        self.tally.lost(self)

    def ping(self) -> None:
        """Send PINGREQ when connected."""
        if self.transport is not None:
            self.transport.write(PINGREQ)

    def close(self) -> None:
        """Send DISCONNECT and close."""
        if self.transport is not None:
            self.transport.write(DISCONNECT)
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        """Split the stream into packets and handle each."""
        buffer = self._buffer
        buffer += data
        while len(buffer) >= 2:
            length, shift, offset = 0, 0, 1
            while True:
                if offset >= len(buffer):
                    return
                byte = buffer[offset]
                length |= (byte & 0x7F) << shift
                offset += 1
                if not byte & 0x80:
                    break
                shift += 7
            end = offset + length
            if len(buffer) < end:
                return
            self._handle(buffer[0], bytes(buffer[offset:end]))
            del buffer[:end]

    def _handle(self, first: int, body: bytes) -> None:
        kind = first >> 4
        if kind == 3:
            self._publish(first, body)
        elif kind == 2:  # CONNACK
            if len(body) >= 2 and body[1] == 0:
                self.transport.write(self._subscribe)  # type: ignore[union-attr]
            else:
                self.tally.refused(self, f"CONNACK {body[1] if len(body) > 1 else '?'}")
                self.transport.close()  # type: ignore[union-attr]
        elif kind == 9:  # SUBACK
            if body[-1:] == bytes((SUBACK_FAILURE,)) or len(body) < 3:
                self.tally.refused(self, "SUBACK failure")
            else:
                self.state = "subscribed"
                self.ever_subscribed = True
                self.tally.subscribed(self)

    def _publish(self, first: int, body: bytes) -> None:
        now = time.time_ns()
        topic_length = int.from_bytes(body[:2], "big")
        payload_at = 2 + topic_length
        if first & 0x06:  # QoS 1: acknowledge so the broker does not resend
            packet_id = body[payload_at : payload_at + 2]
            payload_at += 2
            self.transport.write(packet(0x40, packet_id))  # type: ignore[union-attr]
        self.received += 1
        if self.ng:  # answer the command, as NG's MqttService::handleMessage does
            self.transport.write(publish(body[2 : 2 + topic_length] + b"/result", NG_OK))  # type: ignore[union-attr]
        match = _TS.search(body, payload_at)
        self.tally.message(self, now - int(match.group(1)) if match else None)
        labelled = _ID.search(body, payload_at)
        if labelled is not None:
            to = _TO.search(body, payload_at)
            here = to is not None and to.group(0) == self._to and body[2 : 2 + topic_length] == self._notify
            self.tally.receipt(self, int(labelled.group(1)), here)
