"""The one module that touches amqtt's broker internals (pinned: amqtt==0.12.1).

It fixes what amqtt 0.12.1 gets wrong for a multi-tenant relay (see shared/reference/amqtt-findings.md):
- CONNECT is read whole and vetted first (MQTT 5 / 3.1 get a CONNACK refusal instead of a hang);
- authentication runs before any session is touched, and sessions are keyed by username + client id,
  so a client id held by another token can never be taken over, and a failed login disturbs nothing;
- keep-alive is enforced: a silent connection is closed after 1.5 x its keep-alive;
- routing uses a token index instead of scanning every subscription, delivers at the lower of the
  publish and subscription QoS, and never queues or retains anything;
- a QoS 1 publish from the gateway is routed before it is acknowledged, and a delivery receipt
  (common/receipts.py) precedes the PUBACK.
tests/broker/test_amqtt_contract.py fails loudly if an amqtt upgrade changes what this relies on.
"""

import asyncio
import logging
import math
from typing import Any

from amqtt.adapters import BufferReader, ReaderAdapter, WriterAdapter
from amqtt.broker import Broker
from amqtt.contexts import Action
from amqtt.errors import AMQTTError, MQTTError, NoDataError
from amqtt.mqtt import packet_class
from amqtt.mqtt.connack import NOT_AUTHORIZED, ConnackPacket
from amqtt.mqtt.constants import QOS_0, QOS_1
from amqtt.mqtt.packet import (
    DISCONNECT,
    PINGREQ,
    PUBACK,
    PUBCOMP,
    PUBLISH,
    PUBREC,
    PUBREL,
    SUBSCRIBE,
    UNSUBSCRIBE,
    MQTTFixedHeader,
)
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.mqtt.puback import PubackPacket
from amqtt.mqtt.publish import PublishPacket
from amqtt.mqtt.subscribe import SubscribePacket
from amqtt.mqtt.unsubscribe import UnsubscribePacket
from amqtt.session import Session
from amqtt.utils import gen_client_id

from broker.connect_gate import ConnectRejected, read_connect
from broker.login_throttle import LoginThrottle
from broker.routing import SubscriptionIndex
from broker.settings import BrokerSettings
from common.receipts import RECEIPT_TOPIC, encode_receipt
from common.topics import topic_in_namespace

log = logging.getLogger(__name__)

KEEPALIVE_GRACE = 1.5
LISTENER = "default"
TLS_LISTENER = "tls"
SUBACK_FAILURE = 0x80


def amqtt_config(settings: BrokerSettings) -> dict[str, Any]:
    """Return the amqtt configuration for our one TCP listener and our two plugins."""
    gateway = {"gateway_username": settings.gateway_username}
    # Connection limits are ours (RelayBroker._client_connected): amqtt's make the excess wait, not leave.
    plain = {"type": "tcp", "bind": f"{settings.host}:{settings.mqtt_port}", "max_connections": -1}
    listeners: dict[str, Any] = {LISTENER: plain}
    if settings.tls_port is not None:
        listeners[TLS_LISTENER] = {
            "type": "tcp",
            "bind": f"{settings.host}:{settings.tls_port}",
            "max_connections": -1,
            "ssl": True,
            "certfile": settings.tls_cert_file,
            "keyfile": settings.tls_key_file,
        }
    return {
        "listeners": listeners,
        "plugins": {
            "broker.auth.TokenAuthPlugin": {**gateway, "gateway_secret": settings.gateway_secret},
            "broker.acl.NamespaceAclPlugin": gateway,
        },
    }


class Subscriber:
    """A hashable handle on a session (amqtt's Session defines __eq__ and so cannot be a dict key)."""

    __slots__ = ("session",)

    def __init__(self, session: Session) -> None:
        """Wrap session."""
        self.session = session


def subscriber_of(session: Session) -> Subscriber:
    """Return the session's handle, creating it on first use."""
    handle = session.attributes.get("relay_subscriber")
    if handle is None:
        handle = session.attributes["relay_subscriber"] = Subscriber(session)
    return handle


class RelayProtocolHandler(BrokerProtocolHandler):
    """amqtt's connection handler with keep-alive enforced and gateway publishes routed before PUBACK."""

    relay: "RelayBroker | None" = None
    is_gateway = False
    max_packet_bytes = 8192

    async def _reader_loop(self) -> None:
        """Read whole packets until the peer goes; a late, oversized or malformed packet closes the connection.

        amqtt's own loop skips a packet it cannot parse and goes on reading from the middle of it
        (a zombie connection), waits forever on a silent client, and accepts any packet size.
        """
        assert self.session is not None and self._reader_ready is not None
        self._reader_ready.set()
        handlers = self._client_packet_handlers()
        pending: set[asyncio.Task[None]] = set()
        try:
            while True:
                packet = await asyncio.wait_for(self._read_packet(), self.session.keep_alive or None)
                if packet is None or packet.fixed_header.packet_type not in handlers:
                    break
                task = asyncio.create_task(handlers[packet.fixed_header.packet_type](packet))
                pending.add(task)
                task.add_done_callback(pending.discard)
        except (TimeoutError, MQTTError, AMQTTError, NoDataError, ConnectionError, asyncio.IncompleteReadError):
            pass  # keep-alive expired, or the peer broke the protocol: either way the connection ends here
        except asyncio.CancelledError:
            pass
        for task in pending:
            task.cancel()
        await self.handle_connection_closed()
        self._reader_stopped.set()
        await self.stop()

    async def _read_packet(self) -> Any:
        assert self.reader is not None
        header = await MQTTFixedHeader.from_stream(self.reader)
        if header is None or header.bytes_length + header.remaining_length > self.max_packet_bytes:
            return None
        body = await self.reader.read(header.remaining_length) if header.remaining_length else b""
        stream = BufferReader(body)
        packet = await packet_class(header).from_stream(stream, fixed_header=header)
        # amqtt stops decoding silently where it cannot go on; whatever it did not account for is malformed
        if await stream.read(1) or (header.packet_type != PUBLISH and bytes(packet.to_bytes()) != header.to_bytes() + body):
            raise MQTTError("malformed packet")
        if "\x00" in "".join(_strings_of(packet)):
            raise MQTTError("[MQTT-1.5.3-2] U+0000 in a string")
        return packet

    def _client_packet_handlers(self) -> dict[int, Any]:
        return {
            PUBLISH: self.handle_publish,
            PUBACK: self.handle_puback,
            PUBREC: self.handle_pubrec,
            PUBREL: self.handle_pubrel,
            PUBCOMP: self.handle_pubcomp,
            SUBSCRIBE: self.handle_subscribe,
            UNSUBSCRIBE: self.handle_unsubscribe,
            PINGREQ: self.handle_pingreq,
            DISCONNECT: self.handle_disconnect,
        }

    async def handle_publish(self, publish_packet: PublishPacket) -> None:
        """Route a gateway QoS 1 publish, then send its receipt, then its PUBACK."""
        packet_id = publish_packet.variable_header.packet_id if publish_packet.variable_header else None
        if self.relay is None or not self.is_gateway or publish_packet.qos != QOS_1 or packet_id is None:
            await super().handle_publish(publish_packet)
            return
        devices = await self.relay.route_from(self.session, publish_packet.topic_name, publish_packet.data, QOS_1)
        receipt = PublishPacket.build(RECEIPT_TOPIC, encode_receipt(packet_id, devices), None, False, QOS_0, False)
        await self._send_packet(receipt)
        await self._send_packet(PubackPacket.build(packet_id))


class RelayBroker(Broker):
    """amqtt's Broker with authentication-first sessions and token-indexed, queue-free routing."""

    def __init__(self, settings: BrokerSettings) -> None:
        """Build the broker; must run inside an event loop (amqtt requirement)."""
        super().__init__(amqtt_config(settings))
        self.settings = settings
        self._index = SubscriptionIndex()
        self._deliveries: set[asyncio.Future[Any]] = set()
        self._connections = 0
        self._closing = False
        self._writers: set[WriterAdapter] = set()
        self._throttle = LoginThrottle(settings.failed_logins_per_minute)

    @property
    def port(self) -> int:
        """Return the TCP port the plain listener is bound to (useful with MQTT_PORT=0)."""
        return self.port_of(LISTENER)

    def port_of(self, listener: str) -> int:
        """Return the TCP port a listener is bound to."""
        return self._servers[listener].instance.sockets[0].getsockname()[1]

    async def _client_connected(self, listener_name: str, reader: ReaderAdapter, writer: WriterAdapter) -> None:
        if self._closing or self._connections >= self.settings.max_connections:
            await _refuse(writer, b"")  # over the limit: close at once rather than queue
            return
        self._connections += 1
        self._writers.add(writer)
        try:
            await super()._client_connected(listener_name, reader, writer)
        finally:
            self._connections -= 1
            self._writers.discard(writer)
            await _refuse(writer, b"")  # some amqtt exits leave the socket open

    async def shutdown(self) -> None:
        """Stop listening, end every session, and close connections still waiting to log in."""
        self._closing = True
        await super().shutdown()
        for writer in list(self._writers):
            await _refuse(writer, b"")

    @property
    def connected_clients(self) -> int:
        """Return the number of sessions currently held."""
        return len(self._sessions)

    async def _initialize_client_session(
        self, reader: ReaderAdapter, writer: WriterAdapter, remote_address: str, remote_port: int
    ) -> tuple[BrokerProtocolHandler, Session]:
        try:
            raw = await read_connect(reader, self.settings.connect_timeout_s)
            handler, session = await RelayProtocolHandler.init_from_connect(BufferReader(raw), writer, self.plugins_manager)
        except ConnectRejected as err:
            await _refuse(writer, err.reply)
            raise MQTTError(str(err)) from err
        except MQTTError:
            raise
        except Exception as err:  # a CONNECT amqtt cannot decode (e.g. invalid UTF-8) must not kill the task
            await _refuse(writer, b"")
            raise MQTTError("undecodable CONNECT") from err
        if delay := self._throttle.delay_s(remote_address):
            await asyncio.sleep(delay)  # this address keeps failing to log in: slow it down
        if not await self._authenticate(session, self.listeners_config[LISTENER]):
            self._throttle.failed(remote_address)
            await _refuse(writer, ConnackPacket.build(0, NOT_AUTHORIZED).to_bytes())
            raise MQTTError("not authorized")
        self._prepare(session, handler)
        await self._take_over(session.client_id)
        return handler, session

    def _prepare(self, session: Session, handler: RelayProtocolHandler) -> None:
        handler.relay = self
        handler.max_packet_bytes = self.settings.max_packet_bytes
        handler.is_gateway = session.username == self.settings.gateway_username
        session.clean_session = True  # nothing is ever kept for an offline device
        session.parent = 0
        session.client_id = f"{session.username}\x00{session.client_id or gen_client_id()}"
        session.keep_alive = math.ceil(session.keep_alive * KEEPALIVE_GRACE) if session.keep_alive > 0 else 0
        if session.will_flag and (handler.is_gateway or not topic_in_namespace(session.username, session.will_topic or "")):
            session.will_flag = False

    async def _take_over(self, client_id: str) -> None:
        """Close the earlier connection of the same username and client id, and drop its subscriptions."""
        old_session, old_handler = self._sessions.pop(client_id, (None, None))
        if old_session is None:
            return
        self._index.remove_all(subscriber_of(old_session))
        if old_handler is not None:
            await old_handler.handle_connection_closed()
            await self._stop_handler(old_handler)

    async def _handle_disconnect(self, client_session: Session, handler: BrokerProtocolHandler, waiter: Any) -> None:
        await super()._handle_disconnect(client_session, handler, waiter)
        self._index.remove_all(subscriber_of(client_session))
        if self._sessions.get(client_session.client_id, (None,))[0] is client_session:
            del self._sessions[client_session.client_id]

    async def add_subscription(self, subscription: tuple[str, int], session: Session) -> int:
        """Grant a subscription inside the session's own namespace, or return the SUBACK failure code."""
        topic_filter, qos = subscription
        if not await self._topic_filtering(session, topic_filter, Action.SUBSCRIBE):
            return SUBACK_FAILURE
        granted = min(qos, QOS_1)
        if not self._index.add(subscriber_of(session), topic_filter, granted):
            return SUBACK_FAILURE
        return granted

    def _del_subscription(self, a_filter: str, session: Session) -> int:
        return int(self._index.remove(subscriber_of(session), a_filter))

    async def _del_all_subscriptions(self, session: Session) -> None:
        self._index.remove_all(subscriber_of(session))

    async def _handle_message_delivery(self, client_session: Session, handler: BrokerProtocolHandler, wait_deliver: Any) -> bool:
        message = wait_deliver.result()
        if message is None:
            return True
        topic = message.topic or ""
        if not topic or "+" in topic or "#" in topic:
            # [MQTT-3.3.2-2]: close the connection properly (stock amqtt leaves a zombie here)
            await handler.handle_connection_closed()
            return True
        await self.route_from(client_session, topic, message.data, message.qos or QOS_0)
        return True

    async def _broadcast_message(
        self, session: Session | None, topic: str | None, data: Any, force_qos: int | None = None
    ) -> None:
        if topic:
            await self.route_from(session, topic, data, force_qos or QOS_0)

    async def retain_message(self, *args: Any, **kwargs: Any) -> None:
        """Never retain: a retained command would replay on every reconnect."""

    async def route_from(self, session: Session | None, topic: str, data: bytes, qos: int) -> int:
        """Deliver a publish from session (None: the broker itself) if its ACL allows; return devices reached."""
        if session is not None and not await self._topic_filtering(session, topic, Action.PUBLISH):
            return 0
        return self.route(topic, bytes(data or b""), qos)

    def route(self, topic: str, data: bytes, qos: int) -> int:
        """Hand the message to every connected subscriber's connection; return how many there were."""
        devices = 0
        for subscriber, granted_qos in self._index.match(topic).items():
            session = subscriber.session  # type: ignore[attr-defined]
            entry = self._sessions.get(session.client_id)
            if entry is None or entry[0] is not session or session.transitions.state != "connected":
                continue
            delivery = asyncio.ensure_future(entry[1].mqtt_publish(topic, data, min(qos, granted_qos), retain=False))
            self._deliveries.add(delivery)
            delivery.add_done_callback(self._delivery_done)
            devices += 1
        return devices

    def _delivery_done(self, delivery: asyncio.Future[Any]) -> None:
        self._deliveries.discard(delivery)
        if not delivery.cancelled() and delivery.exception() is not None:
            log.debug("a delivery to a device failed: %s", type(delivery.exception()).__name__)


def _strings_of(packet: Any) -> list[str]:
    """Return the topic names and filters a client packet carries."""
    if isinstance(packet, PublishPacket):
        return [packet.topic_name or ""]
    if isinstance(packet, SubscribePacket | UnsubscribePacket) and packet.payload is not None:
        return [entry[0] if isinstance(entry, tuple) else entry for entry in packet.payload.topics]
    return []


async def _refuse(writer: WriterAdapter, reply: bytes) -> None:
    """Send reply (if any) and close the connection, aborting it if a graceful close fails."""
    try:
        if reply:
            writer.write(reply)
        await writer.close()
    except Exception:
        log.debug("graceful close failed; aborting the connection")
    # amqtt's adapter marks itself closed before closing, so a failed close would leave the socket open
    transport = getattr(getattr(writer, "_writer", None), "transport", None)
    if transport is not None and not transport.is_closing():
        transport.abort()
