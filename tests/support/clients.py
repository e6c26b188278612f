"""Real paho clients for tests on any relay broker: they record what arrives, wait on events, never reconnect."""

import itertools
import queue
import threading
from dataclasses import dataclass
from typing import TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties

from common.receipts import RECEIPT_TOPIC, REPLY_TOPIC, Receipt, decode_receipt, decode_reply
from tests.support.relays import Relay

WAIT_S = 5.0
WHATEVER = "whatever"  # devices may send any password; the device listener ignores it
MQTT311 = mqtt.MQTTv311
MQTT5 = mqtt.MQTTv5
_ids = itertools.count()
T = TypeVar("T")


@dataclass(frozen=True)
class Message:
    """One message as a client received it."""

    topic: str
    payload: bytes
    qos: int
    retain: bool


@dataclass(frozen=True)
class Connack:
    """The broker's answer to CONNECT."""

    reason_code: int
    session_present: bool
    properties: dict[str, object]


class Client:
    """One paho client; every wait has a timeout and a broker-side disconnect ends it for good."""

    def __init__(
        self,
        port: int,
        username: str | None,
        password: str | None = None,
        *,
        protocol: int = MQTT311,
        client_id: str | None = None,
        clean_session: bool = True,
        will: tuple[str, str | bytes, int, bool] | None = None,
        host: str = "127.0.0.1",
        keepalive: int = 60,
        bind_address: str = "",
    ) -> None:
        """Create the client; nothing is sent before connect()."""
        self.host, self.port, self.keepalive, self.bind_address = host, port, keepalive, bind_address
        self.client_id = client_id if client_id is not None else f"mosquitto-test-{next(_ids)}"
        session = {} if protocol == MQTT5 else {"clean_session": clean_session}
        self._paho = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=protocol,
            reconnect_on_failure=False,
            **session,
        )
        if username is not None:
            self._paho.username_pw_set(username, password)
        if will is not None:
            self._paho.will_set(*will)
        self.messages: queue.Queue[Message] = queue.Queue()
        self.disconnect_reason: int | None = None
        self.disconnected = threading.Event()
        self._connack: queue.Queue[Connack | None] = queue.Queue()
        self._acks: dict[int, queue.Queue[object]] = {}
        self._paho.on_connect = self._on_connect
        self._paho.on_disconnect = self._on_disconnect
        self._paho.on_message = self._on_message
        self._paho.on_subscribe = lambda c, u, mid, codes, p: self._ack(mid).put([code.value for code in codes])
        self._paho.on_unsubscribe = lambda c, u, mid, codes, p: self._ack(mid).put(None)
        self._paho.on_publish = lambda c, u, mid, code, p: self._ack(mid).put(code.value)
        self.receipts: dict[int, Receipt] = {}
        self.replies: queue.Queue[tuple[int, str, bytes]] = queue.Queue()  # (sequence, topic, the clock's bytes)
        self._paho.message_callback_add(RECEIPT_TOPIC, self._on_receipt)
        self._paho.message_callback_add(REPLY_TOPIC, lambda c, u, message: self.replies.put(decode_reply(message.payload)))

    def connect(self) -> Connack | None:
        """Connect and return the CONNACK, or None if the broker closed the connection without one."""
        self._paho.connect(self.host, self.port, keepalive=self.keepalive, bind_address=self.bind_address)
        self._paho.loop_start()
        return _get(self._connack, "CONNACK")

    def subscribe(self, *filters: str, qos: int = 0) -> list[int]:
        """Subscribe and return the codes in the SUBACK (granted QoS, or >= 0x80 for a failure)."""
        result, mid = self._paho.subscribe([(f, qos) for f in filters])
        assert result == mqtt.MQTT_ERR_SUCCESS
        return _get(self._ack(mid), "SUBACK")  # type: ignore[return-value]

    def sync(self) -> None:
        """Round-trip an UNSUBSCRIBE: the broker has handled everything sent before, and all it sent us arrived."""
        result, mid = self._paho.unsubscribe(f"sync/{self.client_id}")
        assert result == mqtt.MQTT_ERR_SUCCESS
        _get(self._ack(mid), "UNSUBACK")

    def send(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False) -> None:
        """Publish without waiting for any answer."""
        self._paho.publish(topic, payload, qos=qos, retain=retain)

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> int:
        """Publish at QoS 1 and return the PUBACK reason code (always 0 under MQTT 3.1.1)."""
        return self._publish(topic, payload, retain)[0]

    def devices_reached(self, topic: str, payload: bytes | str) -> int:
        """Publish at QoS 1 as the gateway of the embedded broker and return its receipt's device count."""
        return self.receipt(topic, payload).reached

    def receipt(self, topic: str, payload: bytes | str) -> Receipt:
        """Publish at QoS 1 as the gateway of the embedded broker and return its whole receipt."""
        return self.receipts.pop(self._publish(topic, payload, False)[1])

    def next_reply(self, timeout: float = WAIT_S) -> tuple[int, str, bytes]:
        """Return the next answer the embedded broker forwarded: (publish sequence, topic, the clock's bytes)."""
        return _get(self.replies, "reply", timeout)

    def _publish(self, topic: str, payload: bytes | str, retain: bool) -> tuple[int, int]:
        info = self._paho.publish(topic, payload, qos=1, retain=retain)
        return _get(self._ack(info.mid), "PUBACK"), info.mid  # type: ignore[return-value]

    def expect_only(self, topic: str, payload: bytes, timeout: float = WAIT_S) -> None:
        """Assert that the next message is exactly (topic, payload)."""
        message = self.next_message(timeout)
        assert (message.topic, message.payload) == (topic, payload)

    @property
    def paho(self) -> mqtt.Client:
        """The underlying paho client, for tests that must misbehave (stop pinging, drop the socket)."""
        return self._paho

    def next_message(self, timeout: float = WAIT_S) -> Message:
        """Return the next message, failing the test if none arrives in time."""
        return _get(self.messages, "message", timeout)

    def messages_before(self, topic: str, payload: bytes, timeout: float = WAIT_S) -> list[Message]:
        """Wait for the message (topic, payload) and return every message that arrived before it."""
        earlier = []
        while (message := self.next_message(timeout)).topic != topic or message.payload != payload:
            earlier.append(message)
        return earlier

    def messages_before_topic(self, topic: str, timeout: float = WAIT_S) -> Message:
        """Wait for the next message on topic and return it, skipping the others."""
        while (message := self.next_message(timeout)).topic != topic:
            pass
        return message

    def wait_disconnected(self, timeout: float = WAIT_S) -> int | None:
        """Wait until the broker ends the connection and return the reason code paho reports."""
        assert self.disconnected.wait(timeout), f"still connected after {timeout} s"
        return self.disconnect_reason

    def close(self) -> None:
        """Disconnect if still connected, stop the network thread and release paho's sockets."""
        if not self.disconnected.is_set():
            self._paho.disconnect()
        self._paho.loop_stop()
        # paho closes its sockets only in __del__, which may run after the test's warnings check
        self._paho._reset_sockets()

    def _ack(self, mid: int) -> "queue.Queue[object]":
        # The answer can arrive before publish() returns its mid; whichever side comes first makes the box.
        return self._acks.setdefault(mid, queue.Queue())

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object, code: object, props: object) -> None:
        values = props.json() if isinstance(props, Properties) else {}
        self._connack.put(Connack(code.value, flags.session_present, values))  # type: ignore[attr-defined]

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: object, code: object, props: object) -> None:
        self.disconnect_reason = code.value  # type: ignore[attr-defined]
        self.disconnected.set()
        self._connack.put(None)  # ends connect()'s wait when the broker hangs up before any CONNACK

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        self.messages.put(Message(message.topic, message.payload, message.qos, bool(message.retain)))

    def _on_receipt(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        receipt = decode_receipt(message.payload)
        self.receipts[receipt.packet_id] = receipt


def _get(box: "queue.Queue[T]", what: str, timeout: float = WAIT_S) -> T:
    """Return the next item from box, failing the test if none comes in time."""
    try:
        return box.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"no {what} within {timeout} s") from None


def sentinel_comes_first(victim: Client, gateway: Client, token: str) -> list[Message]:
    """Send the victim a sentinel it may read, published last, and return what reached it before the sentinel."""
    topic, payload = f"awtrix/{token}/notify", f"sentinel-{next(_ids)}".encode()
    gateway.publish(topic, payload)
    return victim.messages_before(topic, payload)


class Clients:
    """Make connected clients on a relay broker (or any port) and close them all at the end of a test."""

    def __init__(self, broker: Relay) -> None:
        """Remember the broker; no client exists yet."""
        self.broker = broker
        self._opened: list[Client] = []

    def new(self, port: int, username: str | None, password: str | None = None, **options: object) -> Client:
        """Return an unconnected client, closed automatically after the test."""
        client = Client(port, username, password, host=self.broker.host, **options)  # type: ignore[arg-type]
        self._opened.append(client)
        return client

    def device(self, username: str | None, password: str | None = WHATEVER, **options: object) -> Client:
        """Return a client connected to the device listener, the way an AWTRIX logs in."""
        return self._connected(self.new(self.broker.device_port, username, password, **options))

    def gateway(self, protocol: int | None = None, **options: object) -> Client:
        """Return a client connected where the gateway connects, with the gateway's credentials."""
        broker = self.broker
        version = protocol if protocol is not None else broker.gateway_protocol
        client = self.new(broker.gateway_port, broker.gateway_username, broker.gateway_password, protocol=version, **options)
        return self._connected(client)

    def delivered(self, gateway: Client, topic: str, payload: bytes | str) -> bool:
        """Publish as the gateway and return the broker's answer: did at least one device get it?"""
        if self.broker.kind == "embedded":
            return gateway.devices_reached(topic, payload) > 0
        return gateway.publish(topic, payload) == 0

    def on(self, port: int, username: str | None = None, **options: object) -> Client:
        """Return a client connected to another broker, e.g. a home broker with a bridge."""
        return self._connected(self.new(port, username, **options))

    def close_all(self) -> None:
        """Close every client this factory made."""
        for client in self._opened:
            client.close()

    @staticmethod
    def _connected(client: Client) -> Client:
        connack = client.connect()
        assert connack is not None and connack.reason_code == 0, connack
        return client
