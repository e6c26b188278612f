"""One MQTT 3.1.1 connection to the embedded broker, logged in as the gateway, used from one thread.

Two ways to use it. publish() sends one message and reads until its answer: the thread that publishes also
reads the broker's answer, so a webhook costs one send and one receive and no hand-off to another thread.
Or pipelined (gateway/publishing/embedded/pipeline.py): make the link non-blocking, queue() any number of messages, flush() them
with one send, and collect answers() as they arrive, never waiting. Either way every message's answer is its delivery receipt
followed by its PUBACK, which the broker writes together (common/receipts.py). A receipt may announce answers from the
clocks it reached (an AWTRIX NG /result): they follow later as replies numbered by the publish's sequence on this link.
"""

import select
import socket
import time

from common.mqtt_codec import (
    CONNACK,
    CONNACK_ACCEPTED,
    DISCONNECT_BYTES,
    PUBACK,
    PUBLISH,
    MalformedPacket,
    encode_connect,
    encode_publish,
    next_frame,
    parse_packet_id,
    parse_publish,
)
from common.receipts import RECEIPT_TOPIC, REPLY_TOPIC, Receipt, decode_receipt, decode_reply
from gateway.publishing.outcome import Replies
from gateway.settings import BrokerSettings

# The broker never times a gateway connection out (keep-alive 0); a closed connection is noticed before
# the next publish (peer_closed) or by the publish itself.
KEEPALIVE_S = 0
# The broker sends a gateway CONNACKs, receipts, PUBACKs and clocks' answers (a packet of up to 8192 bytes each).
MAX_PACKET_BYTES = 16384
# Pipelined, a worker has at most one message in flight per client connection (1,000 by default), and each
# answer (receipt and PUBACK) is ~25 bytes: one read takes in every answer that has arrived.
READ_BYTES = 65536
CLOSED_EVENTS = select.POLLRDHUP | select.POLLHUP | select.POLLERR | select.POLLNVAL


class LinkDown(Exception):
    """The connection failed or the broker broke the protocol; the link is closed."""


class LinkTimeout(LinkDown):
    """The broker did not answer within the timeout; the link is closed."""


class LoginRefused(Exception):
    """The broker answered the CONNECT with a refusal."""

    def __init__(self, return_code: int) -> None:
        """Keep the CONNACK return code for the log."""
        super().__init__(f"CONNACK return code {return_code}")
        self.return_code = return_code


class BrokerLink:
    """A connection to the embedded broker, logged in as the gateway; use it from one thread at a time."""

    def __init__(self, sock: socket.socket, timeout_s: float) -> None:
        """Wrap a connected socket whose reads time out after timeout_s."""
        self._sock = sock
        self._timeout_s = timeout_s
        self._buffer = bytearray()
        self._outgoing = bytearray()  # queued PUBLISH packets, not sent yet
        self._receipts: dict[int, Receipt] = {}  # packet id -> its receipt, until its PUBACK arrives
        self._packet_id = 0
        self.sequence = 0  # publishes queued on this link; the broker counts the same (common/receipts.py)
        self.replies: list[tuple[int, str, bytes]] = []  # clocks' answers read and not taken yet
        self._poll = select.poll()
        self._poll.register(sock, select.POLLRDHUP)
        self.closed = False

    @classmethod
    def open(cls, broker: BrokerSettings, client_id: str, timeout_s: float) -> "BrokerLink":
        """Connect and log in; raise OSError, LinkDown or LoginRefused."""
        sock = socket.create_connection((broker.host, broker.port), timeout=timeout_s)
        link = cls(sock, timeout_s)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(encode_connect(client_id, broker.username, broker.password, KEEPALIVE_S))
            first, body = link._read_packet(time.monotonic() + timeout_s)
            if first >> 4 != CONNACK or len(body) != 2:
                raise LinkDown("the broker did not answer the CONNECT with a CONNACK")
            if body[1] != CONNACK_ACCEPTED:
                raise LoginRefused(body[1])
        except BaseException:
            link.close()
            raise
        return link

    def publish(self, topic: str, payload: bytes) -> int | None:
        """Publish at QoS 1 and return how many devices the broker routed it to (None: the broker sent no receipt).

        Raise LinkTimeout or LinkDown (the link is then closed): the message may or may not have been routed.
        """
        receipt, _ = self.send(topic, payload, 0.0)
        return None if receipt is None else receipt.reached

    def send(self, topic: str, payload: bytes, reply_timeout_s: float) -> tuple[Receipt | None, Replies | None]:
        """Publish at QoS 1; return its receipt and, when the receipt announces answers, those that came in time.

        The answers are (topic under the prefix, the clock's bytes); None when none was announced or waited for.
        Raise LinkTimeout or LinkDown (the link is then closed) when the broker fails; waiting for answers never does.
        """
        deadline = time.monotonic() + self._timeout_s
        try:
            packet_id = self.queue(topic, payload)
            sequence = self.sequence
            outgoing, self._outgoing = self._outgoing, bytearray()
            try:
                self._sock.sendall(outgoing)
            except TimeoutError as err:
                raise LinkTimeout("the broker did not take the message in time") from err
            except OSError as err:
                raise LinkDown(err.strerror or str(err)) from err
            while True:
                answer = self._answer(*self._read_packet(deadline))
                if answer is not None and answer[0] == packet_id:
                    receipt = answer[1]
                    break
            if receipt is None or not receipt.awaiting or reply_timeout_s <= 0:
                if self.replies:  # late answers to publishes that stopped waiting
                    self.replies.clear()
                return receipt, None
            return receipt, self._wait_replies(sequence, receipt.awaiting, time.monotonic() + reply_timeout_s)
        except BaseException:
            self.close()
            raise

    def take_replies(self) -> list[tuple[int, str, bytes]]:
        """Return the clocks' answers read since the last call: (publish sequence, topic, bytes)."""
        replies, self.replies = self.replies, []
        return replies

    def _wait_replies(self, sequence: int, count: int, deadline: float) -> Replies:
        """Read until count answers to publish sequence arrived or deadline passed; the link stays open either way."""
        found: list[tuple[str, bytes]] = []
        while True:
            found += [(topic, body) for number, topic, body in self.take_replies() if number == sequence]
            if len(found) >= count:
                return tuple(found)
            packet = self._next_packet()
            if packet is not None:
                self._answer(*packet)
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return tuple(found)
            self._sock.settimeout(left)
            try:
                chunk = self._sock.recv(READ_BYTES)
            except TimeoutError:
                continue
            except OSError as err:
                raise LinkDown(err.strerror or str(err)) from err
            finally:
                self._sock.settimeout(self._timeout_s)
            if not chunk:
                raise LinkDown("the broker closed the connection")
            self._buffer += chunk

    def nonblocking(self) -> None:
        """Never wait from now on (pipelined use; publish() is then no longer used).

        A socket with a timeout polls before every send and receive; a non-blocking one does not.
        """
        self._sock.setblocking(False)

    def queue(self, topic: str, payload: bytes) -> int:
        """Queue a QoS 1 PUBLISH for the next flush() and return its packet id (its sequence is then self.sequence)."""
        self._packet_id = self._packet_id % 0xFFFF + 1
        self.sequence += 1
        self._outgoing += encode_publish(topic.encode("utf-8"), payload, 1, self._packet_id)
        return self._packet_id

    def flush(self) -> bool:
        """Send what the socket takes of the queued PUBLISH packets now; return True when nothing is left.

        Raise LinkDown (the link is then closed) when the connection has failed.
        """
        if not self._outgoing:
            return True
        try:
            sent = self._sock.send(self._outgoing)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as err:
            self.close()
            raise LinkDown(err.strerror or str(err)) from err
        del self._outgoing[:sent]
        return not self._outgoing

    def answers(self) -> list[tuple[int, Receipt | None]]:
        """Read what the broker has sent, without waiting: (packet id, its receipt or None) per PUBACK.

        The clocks' answers read meanwhile wait in self.replies (take_replies()).

        Raise LinkDown (the link is then closed) when the broker closed the connection or broke the protocol.
        """
        try:
            try:
                chunk = self._sock.recv(READ_BYTES)
            except (BlockingIOError, InterruptedError):
                return []
            except OSError as err:
                raise LinkDown(err.strerror or str(err)) from err
            if not chunk:
                raise LinkDown("the broker closed the connection")
            self._buffer += chunk
            answers = []
            while (packet := self._next_packet()) is not None:
                answer = self._answer(*packet)
                if answer is not None:
                    answers.append(answer)
            return answers
        except BaseException:
            self.close()
            raise

    def fileno(self) -> int:
        """Return the socket's file descriptor, for a selector."""
        return self._sock.fileno()

    def peer_closed(self) -> bool:
        """Return True when the broker has closed (or reset) the connection, without waiting."""
        # One poll() system call; a recv() with MSG_PEEK would wait for the socket's timeout first.
        return any(events & CLOSED_EVENTS for _, events in self._poll.poll(0))

    def close(self) -> None:
        """Say goodbye if possible and close the socket."""
        if self.closed:
            return
        self.closed = True
        try:
            self._sock.send(DISCONNECT_BYTES, socket.MSG_DONTWAIT)
        except OSError:
            pass
        self._sock.close()

    def _answer(self, first: int, body: bytes) -> tuple[int, Receipt | None] | None:
        """Take in one packet from the broker; return (packet id, its receipt or None) for a PUBACK."""
        kind = first >> 4
        if kind == PUBACK:
            packet_id = parse_packet_id(body)
            return packet_id, self._receipts.pop(packet_id, None)
        if kind == PUBLISH:
            try:
                topic, _, payload, _ = parse_publish(first & 0x0F, body)
                if topic == RECEIPT_TOPIC:
                    receipt = decode_receipt(payload)
                    self._receipts[receipt.packet_id] = receipt
                elif topic == REPLY_TOPIC:
                    self.replies.append(decode_reply(payload))
            except (MalformedPacket, ValueError) as err:
                raise LinkDown(f"malformed delivery receipt: {err}") from err
        return None

    def _next_packet(self) -> tuple[int, bytes] | None:
        try:
            frame = next_frame(self._buffer, 0, MAX_PACKET_BYTES)
        except MalformedPacket as err:
            raise LinkDown(f"malformed packet from the broker: {err}") from err
        if frame is None:
            return None
        first, body, end = frame
        del self._buffer[:end]
        return first, body

    def _read_packet(self, deadline: float) -> tuple[int, bytes]:
        while True:
            packet = self._next_packet()
            if packet is not None:
                return packet
            if time.monotonic() >= deadline:
                raise LinkTimeout("the broker did not answer in time")
            try:
                chunk = self._sock.recv(READ_BYTES)
            except TimeoutError as err:
                raise LinkTimeout("the broker did not answer in time") from err
            except OSError as err:
                raise LinkDown(err.strerror or str(err)) from err
            if not chunk:
                raise LinkDown("the broker closed the connection")
            self._buffer += chunk
