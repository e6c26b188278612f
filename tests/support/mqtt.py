"""Real paho-mqtt clients acting as devices and as a bare gateway, with event-based waits."""

import itertools
import queue
import threading
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes

from common.receipts import RECEIPT_TOPIC, decode_receipt

WAIT_S = 5.0
_ids = itertools.count()


@dataclass
class Received:
    """One message as the device saw it."""

    topic: str
    payload: bytes
    qos: int
    retain: bool


@dataclass
class Device:
    """A paho client logged in as a device (username = token) or with any credentials a test chooses."""

    port: int
    username: str | None
    password: str | None = "any"
    client_id: str | None = None
    keepalive: int = 60
    protocol: int = mqtt.MQTTv311
    host: str = "127.0.0.1"
    bind_address: str = ""
    messages: "queue.Queue[Received]" = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        """Create the paho client; nothing is sent yet."""
        client_id = self.client_id if self.client_id is not None else f"test-device-{next(_ids)}"
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=self.protocol)
        if self.username is not None:
            self.client.username_pw_set(self.username, self.password)
        self._connack: queue.Queue[int] = queue.Queue()
        self._subacks: dict[int, queue.Queue[list[int]]] = {}
        self._acks: dict[int, queue.Queue[int]] = {}
        self._lock = threading.Lock()
        self.disconnected = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: self._connack.put(rc.value)
        self.client.on_subscribe = self._on_subscribe
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message
        self.client.on_disconnect = lambda *args: self.disconnected.set()

    def connect(self, timeout: float = WAIT_S) -> int:
        """Connect, wait for the CONNACK and return its return code (0 = accepted)."""
        self.client.connect(self.host, self.port, keepalive=self.keepalive, bind_address=self.bind_address)
        self.client.loop_start()
        return self._connack.get(timeout=timeout)

    def subscribe(self, *filters: str, qos: int = 0, timeout: float = WAIT_S) -> list[int]:
        """Subscribe and return the SUBACK's granted codes (0x80 = refused)."""
        with self._lock:
            result, mid = self.client.subscribe([(f, qos) for f in filters])
            assert result == mqtt.MQTT_ERR_SUCCESS
            box = self._subacks.setdefault(mid, queue.Queue())
        return box.get(timeout=timeout)

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False) -> None:
        """Publish and, for QoS 1, wait for the PUBACK."""
        with self._lock:
            info = self.client.publish(topic, payload, qos=qos, retain=retain)
            box = self._acks.setdefault(info.mid, queue.Queue())
        if qos:
            box.get(timeout=WAIT_S)

    def expect(self, timeout: float = WAIT_S) -> Received:
        """Return the next message, failing the test if none arrives in time."""
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no message within {timeout} s") from None

    def expect_only(self, topic: str, payload: bytes, timeout: float = WAIT_S) -> None:
        """Assert the next message is exactly this one (nothing unexpected came before it)."""
        got = self.expect(timeout)
        assert (got.topic, got.payload) == (topic, payload)

    def close(self) -> None:
        """Disconnect cleanly and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int, codes: list, props: object) -> None:
        with self._lock:
            box = self._subacks.setdefault(mid, queue.Queue())
        box.put([code.value for code in codes])

    def _on_publish(self, client: mqtt.Client, userdata: object, mid: int, rc: object, props: object) -> None:
        with self._lock:
            box = self._acks.setdefault(mid, queue.Queue())
        box.put(getattr(rc, "value", 0))

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        self.messages.put(Received(msg.topic, msg.payload, msg.qos, msg.retain))


class BareGateway(Device):
    """A paho client with the gateway's credentials that collects the embedded broker's receipts."""

    def __post_init__(self) -> None:
        """Route receipts aside from ordinary messages."""
        super().__post_init__()
        self.receipts: dict[int, int] = {}
        self.client.message_callback_add(RECEIPT_TOPIC, self._on_receipt)

    def send(self, topic: str, payload: bytes | str) -> int:
        """Publish at QoS 1, wait for the PUBACK and return the devices the receipt reports."""
        with self._lock:
            info = self.client.publish(topic, payload, qos=1)
            box = self._acks.setdefault(info.mid, queue.Queue())
        box.get(timeout=WAIT_S)
        return self.receipts.pop(info.mid)

    def _on_receipt(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        packet_id, devices = decode_receipt(msg.payload)
        self.receipts[packet_id] = devices


def connack_codes() -> type:
    """Return paho's packet-type enum (kept here so tests import MQTT names from one place)."""
    return PacketTypes
