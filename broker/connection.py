"""One client connection: an asyncio protocol that speaks MQTT 3.1.1 and leaves shared state to the Hub.

A protocol object per connection and no task, queue or timer of its own keep an idle device at a few KB.
"""

import asyncio
import logging

from broker.hub import KEEPALIVE_GRACE, Hub
from common.mqtt_codec import (
    CONNACK_ACCEPTED,
    CONNECT,
    DISCONNECT,
    PINGREQ,
    PINGRESP_BYTES,
    PUBACK,
    PUBCOMP,
    PUBLISH,
    PUBREC,
    PUBREL,
    SUBSCRIBE,
    UNSUBACK,
    UNSUBSCRIBE,
    Connect,
    MalformedPacket,
    UnsupportedProtocol,
    check_flags,
    encode_ack,
    encode_connack,
    encode_publish,
    encode_suback,
    next_frame,
    parse_connect,
    parse_packet_id,
    parse_publish,
    parse_subscribe,
    parse_unsubscribe,
)
from common.receipts import RECEIPT_TOPIC
from common.topics import topic_in_namespace

log = logging.getLogger(__name__)

NEW, LOGGING_IN, CONNECTED, CLOSED = range(4)
# A device whose socket buffers this much unread data gets no more messages until it catches up.
WRITE_HIGH_WATER_BYTES = 256 * 1024
_RECEIPT_TOPIC = RECEIPT_TOPIC.encode()


class Connection(asyncio.Protocol):
    """The broker's side of one TCP (or TLS) connection."""

    __slots__ = (
        "_buffer",
        "_next_id",
        "_opened_at",
        "_replies",
        "_state",
        "_timer",
        "address",
        "hub",
        "is_gateway",
        "keepalive_s",
        "last_heard",
        "session_key",
        "transport",
        "username",
        "will",
    )

    def __init__(self, hub: Hub) -> None:
        """Wait for the transport; nothing is allocated per connection beyond this object."""
        self.hub = hub
        self.transport: asyncio.Transport | None = None
        self.address = ""
        self.username = ""
        self.is_gateway = False
        self.session_key: tuple[str, str] | None = None
        self.keepalive_s = 0
        self.will: tuple[str, bytes, int] | None = None
        self.last_heard = self._opened_at = 0.0
        self._state = NEW
        self._timer: asyncio.TimerHandle | None = None
        self._buffer = bytearray()
        self._replies: list[bytes] | None = None  # while handling received packets: answers to write together
        self._next_id = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Admit the connection, or close it at once when the broker is full or closing."""
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.address = peer[0] if peer else ""
        self.last_heard = self._opened_at = self.hub.now()
        if not self.hub.opened(self):
            self._state = CLOSED
            transport.abort()
            return
        self._arm_timer()

    def data_received(self, data: bytes) -> None:
        """Handle every whole packet that has arrived; a protocol violation closes the connection."""
        self.last_heard = self.hub.now()
        self.hub.stats.bytes_in += len(data)
        self._buffer += data
        self._drain_buffer()

    def connection_lost(self, exc: Exception | None) -> None:
        """The socket is gone, cleanly or not."""
        self._state = CLOSED
        self._stop_timer()
        self.hub.lost(self)

    def deliver(self, topic: bytes, payload: bytes, qos: int) -> bool:
        """Queue a PUBLISH to this client; return False when it is not connected or not keeping up."""
        if self._state != CONNECTED or self.transport.get_write_buffer_size() > WRITE_HIGH_WATER_BYTES:  # type: ignore[union-attr]
            return False
        packet_id = 0
        if qos:
            self._next_id = self._next_id % 65535 + 1
            packet_id = self._next_id
        packet = encode_publish(topic, payload, qos, packet_id)
        self.hub.stats.bytes_out += len(packet)
        self.transport.write(packet)  # type: ignore[union-attr]
        return True

    def close(self) -> None:
        """Close the connection (flushing what was written), publishing the will unless the client said goodbye."""
        if self._state == CLOSED:
            return
        self._state = CLOSED
        self._stop_timer()
        self.hub.lost(self)
        if self.transport is not None:
            self._write_replies()
            self.transport.close()

    def _check_timeouts(self) -> None:
        """Close a connection that sent no CONNECT in time, or went silent for 1.5 x its keep-alive; else check again later.

        One timer per connection, moved only when it fires (not on every packet): 10,000 idle devices cost
        ~110 timer callbacks a second at keep-alive 60, where a sweep of every connection cost 40,000.
        """
        self._timer = None
        deadline = self._deadline()
        if deadline is not None and self.hub.now() >= deadline:
            self.hub.stats.timed_out(logged_in=self._state == CONNECTED)
            self.close()
        else:
            self._arm_timer()

    def _deadline(self) -> float | None:
        """Return when the connection times out unless it is heard from, or None when it cannot time out."""
        if self._state in (NEW, LOGGING_IN):
            return self._opened_at + self.hub.settings.connect_timeout_s
        if self._state == CONNECTED and self.keepalive_s:
            return self.last_heard + self.keepalive_s * KEEPALIVE_GRACE
        return None

    def _arm_timer(self) -> None:
        """(Re)schedule the time-out check for the current deadline, if there is one."""
        self._stop_timer()
        deadline = self._deadline()
        if deadline is not None:
            self._timer = self.hub.at(deadline, self._check_timeouts)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _drain_buffer(self) -> None:
        # The answers to every packet of one read leave in one write: a gateway pipelining its publishes gets
        # their receipts and PUBACKs in one segment, for one system call on each side.
        offset, limit = 0, self.hub.settings.max_packet_bytes
        outermost = self._replies is None
        if outermost:
            self._replies = []
        try:
            while self._state in (NEW, CONNECTED):
                frame = next_frame(self._buffer, offset, limit)
                if frame is None:
                    break
                first_byte, body, offset = frame
                self._handle(first_byte, body)
        except UnsupportedProtocol as refused:
            self.hub.stats.logins_refused["unsupported_protocol"] += 1
            self._refuse(refused.reply)
        except MalformedPacket as err:
            self.hub.stats.malformed(err)
            log.debug("closing a connection that broke the protocol: %s", err)
            self.close()
        finally:
            del self._buffer[:offset]
            if outermost:
                self._write_replies()

    def _send(self, data: bytes) -> None:
        """Write an answer to this client, together with the other answers of this read when there are any."""
        self.hub.stats.bytes_out += len(data)
        if self._replies is None:
            self.transport.write(data)  # type: ignore[union-attr]
        else:
            self._replies.append(data)

    def _write_replies(self) -> None:
        replies, self._replies = self._replies, None
        if replies and self.transport is not None:
            self.transport.write(b"".join(replies))

    def _handle(self, first_byte: int, body: bytes) -> None:
        packet_type = check_flags(first_byte)
        if self._state == NEW:
            if packet_type != CONNECT:
                raise MalformedPacket("first packet is not CONNECT")
            self._begin_login(parse_connect(body))
        elif packet_type == PUBLISH:
            self._on_publish(first_byte & 0x0F, body)
        elif packet_type == SUBSCRIBE:
            packet_id, entries = parse_subscribe(body)
            self._send(encode_suback(packet_id, self.hub.subscribe(self, entries)))
        elif packet_type == UNSUBSCRIBE:
            packet_id, filters = parse_unsubscribe(body)
            self.hub.unsubscribe(self, filters)
            self._send(encode_ack(UNSUBACK, packet_id))
        elif packet_type == PINGREQ:
            self._send(PINGRESP_BYTES)
        elif packet_type == PUBREL:
            self._send(encode_ack(PUBCOMP, parse_packet_id(body)))
        elif packet_type in (PUBACK, PUBREC, PUBCOMP):
            parse_packet_id(body)  # acknowledgements of our QoS 1 deliveries: nothing is kept to retry
        elif packet_type == DISCONNECT:
            self.will = None
            self.close()
        else:
            raise MalformedPacket("CONNECT on a connected session")

    def _on_publish(self, flags: int, body: bytes) -> None:
        # The retain flag is not kept: the broker stores nothing, and delivers every message unretained.
        topic, packet_id, payload, qos = parse_publish(flags, body)
        if self.is_gateway:
            receipt = self.hub.route_from_gateway(self, topic, payload, qos, packet_id or 0)
            if qos == 1:  # the receipt precedes the PUBACK, in the same write (common/receipts.py)
                self._send(encode_publish(_RECEIPT_TOPIC, receipt) + encode_ack(PUBACK, packet_id))  # type: ignore[arg-type]
        elif self.hub.may_publish(self, topic):
            self.hub.route_from_device(self, topic, payload, qos)
        if qos == 1 and not self.is_gateway:
            self._send(encode_ack(PUBACK, packet_id))  # type: ignore[arg-type]
        elif qos == 2:
            self._send(encode_ack(PUBREC, packet_id))  # type: ignore[arg-type]

    def _begin_login(self, connect: Connect) -> None:
        delay = self.hub.throttle.delay_s(self.address)
        if not delay:
            self._finish_login(connect)
            return
        self._state = LOGGING_IN  # this address keeps failing to log in: answer it later
        self.transport.pause_reading()  # type: ignore[union-attr]
        self.hub.later(delay, self._finish_login, connect)

    def _finish_login(self, connect: Connect) -> None:
        if self._state == CLOSED:
            return
        code, identity = self.hub.login(self, connect)
        if identity is None:
            self._refuse(encode_connack(code))
            return
        self.username, self.is_gateway, self.keepalive_s = identity.username, identity.is_gateway, connect.keepalive_s
        if connect.will_topic is not None and not self.is_gateway and topic_in_namespace(self.username, connect.will_topic):
            self.will = (connect.will_topic, connect.will_message, min(connect.will_qos, 1))
        self._state = CONNECTED
        self._arm_timer()  # from the CONNECT deadline to the keep-alive one
        self._send(encode_connack(CONNACK_ACCEPTED))
        if self.transport.is_reading() is False:  # type: ignore[union-attr]
            self.transport.resume_reading()  # type: ignore[union-attr]
            self._drain_buffer()

    def _refuse(self, reply: bytes) -> None:
        if reply and self.transport is not None:
            self._send(reply)
        self.will = None
        self.close()
