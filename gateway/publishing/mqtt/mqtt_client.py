"""Publish webhooks to an external MQTT broker with paho-mqtt; MQTT 5 reason codes tell whether a device got them.

For AWTRIX NG commands the gateway learns the clock's answer by watching commands and answers in the broker's
order (gateway/publishing/mqtt/observer.py); it first probes whether an NG clock listens at all, because its own
subscriptions to NG's command topics make every such publish look delivered.
"""

import itertools
import logging
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from common.firmware import Firmware, awtrix_ng
from common.mqtt_codec import publish_packet_bytes
from common.topics import namespace, token_of_topic
from gateway.errors import BodyTooLarge, BrokerRejected, BrokerTimeout, BrokerUnavailable
from gateway.publishing.mqtt.acks import Ack, PendingAcks
from gateway.publishing.mqtt.observer import Observer, filters
from gateway.publishing.mqtt.retained import SWEEP_S, SWEPT, foreign_retained, retained_by_ng
from gateway.publishing.outcome import Outcome
from gateway.publishing.reconnect import RepeatFilter, client_id, retry_delay
from gateway.settings import BrokerSettings

log = logging.getLogger("gateway.publisher")  # the name in log lines, kept when the module moved

KEEPALIVE_S = 30
MIN_RECONNECT_DELAY_S = 1
MAX_RECONNECT_DELAY_S = 5
PUBACK_SUCCESS = 0
PUBACK_NO_MATCHING_SUBSCRIBERS = 16
CONNACK_UNSUPPORTED_PROTOCOL_VERSION = 132
# Mosquitto refuses a packet whose remaining length + 1 exceeds its max_packet_size (config/mosquitto/README.md).
BROKER_MAX_PACKET_BYTES = 8194
# MQTT 5 adds a property length to every PUBLISH, and a correlation (13 bytes: id, length, 10 bytes) to NG commands.
CORRELATION_BYTES = 1 + 13
OBSERVE = SubscribeOptions(qos=0, noLocal=False, retainAsPublished=True)


class MqttPublisher:
    """Publish at QoS 1 from any thread through paho's network thread; connect lazily, in the background, and reconnect."""

    def __init__(self, broker: BrokerSettings, publish_timeout_s: float) -> None:
        self._broker = broker
        self._timeout_s = publish_timeout_s
        self._where = f"{broker.host}:{broker.port}"
        self._protocol = MQTTProtocolVersion.MQTTv5
        self._acks = PendingAcks()
        self._lock = threading.Lock()  # guards _client and _pid
        self._client: mqtt.Client | None = None
        self._pid: int | None = None
        self._state = threading.Condition()  # guards _connected; notified when it changes
        self._connected = False
        self._failures = 0
        self._repeats = RepeatFilter()  # used on paho's network thread only
        self._observer = Observer()
        self._observing = threading.Event()  # the subscriptions of the current connection are granted
        self._correlations = itertools.count(1)
        self._me = secrets.token_bytes(4)
        self._sweeps: set[int] = set()  # ids of the sweeping SUBSCRIBEs, to end each once granted
        self.on_link: Callable[[bool], None] = lambda up: None  # told when the link goes up or down (gateway/metrics/)

    @property
    def connected(self) -> bool:
        """Return True while connected to the broker; the first call starts connecting."""
        self.start()
        with self._state:
            return self._connected

    def start(self) -> None:
        """Start connecting in the background unless already started in this process."""
        with self._lock:
            # A paho network thread does not survive fork(): a forked child starts its own client.
            if self._client is None or self._pid != os.getpid():
                self._set_connected(False)  # a forked child inherits its parent's flag, not its connection
                self._client = self._build_client(self._protocol)
                self._pid = os.getpid()
                # Only now: callbacks ignore any client that is not self._client.
                self._client.loop_start()

    def wait_until(self, connected: bool, timeout_s: float) -> bool:
        """Wait until the connection state equals connected; return False if timeout_s passes first."""
        self.start()
        with self._state:
            return self._state.wait_for(lambda: self._connected == connected, timeout_s)

    def stop(self) -> None:
        """Disconnect and end the network thread; a later call to publish() starts a new one."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None and self._pid == os.getpid():
            client.disconnect()
            client.loop_stop()
        self._set_connected(False)

    def publish(self, topic: str, payload: bytes) -> bool | None:
        """Publish at QoS 1 and return True (a device got it), False (none subscribed) or None (unknown)."""
        reached = self.send(topic, payload).reached
        return None if reached is None else reached > 0

    def send(self, topic: str, payload: bytes, reply_timeout_s: float = 0.0) -> Outcome:
        """Publish at QoS 1 and return its outcome; for an NG command, with the clock's answers within reply_timeout_s."""
        token = token_of_topic(topic)
        command = topic[len(namespace(token)) :] if token is not None else ""
        if token is None or self._protocol != MQTTProtocolVersion.MQTTv5 or awtrix_ng.FIRMWARE.rule_of(command) is None:
            delivered = self._outcome(self._publish(topic, payload))
            return Outcome(None if delivered is None else int(delivered))
        if not self.probe(token, awtrix_ng.FIRMWARE):
            return Outcome(0)  # no NG clock: the command is not published at all
        size = publish_packet_bytes(topic, payload) + CORRELATION_BYTES
        if size > BROKER_MAX_PACKET_BYTES:
            raise BodyTooLarge(f"With the correlation the gateway adds for the broker, the message would be {size} bytes.")
        correlation = self._me + next(self._correlations).to_bytes(6, "big")
        waiter = self._observer.expect(correlation, command) if reply_timeout_s > 0 else None
        properties = Properties(PacketTypes.PUBLISH)
        properties.CorrelationData = correlation
        self._publish(topic, payload, properties)
        replies = None if waiter is None else self._observer.wait(correlation, waiter, reply_timeout_s)
        return Outcome(1, replies=replies)

    def probe(self, token: str, firmware: Firmware) -> bool:
        """Return True when a clock of firmware listens for token: a publish to a topic it subscribes to and ignores."""
        if firmware.probe is None or self._protocol != MQTTProtocolVersion.MQTTv5:
            return False
        if firmware is awtrix_ng.FIRMWARE:
            self._observing.wait(self._timeout_s)  # the gateway's own subscriptions must be in place first
        return self._outcome(self._publish(namespace(token) + firmware.probe, b"")) is True

    def _publish(self, topic: str, payload: bytes, properties: Properties | None = None) -> Ack:
        """Publish at QoS 1 and return the acknowledgement, or raise BrokerUnavailable / BrokerTimeout."""
        self.start()
        with self._state:
            if not self._connected:
                raise BrokerUnavailable()
            client = self._client
        if client is None:  # stop() ran meanwhile
            raise BrokerUnavailable()
        sent_at = time.monotonic()
        info = client.publish(topic, payload, qos=1, retain=False, properties=properties)
        ack = self._acks.claim(info.mid, sent_at)
        try:
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                raise BrokerUnavailable()
            if not ack.done.wait(self._timeout_s):
                raise BrokerTimeout()
            if ack.lost:
                raise BrokerUnavailable("The connection to the MQTT broker dropped; the message may still arrive.")
            return ack
        finally:
            self._acks.release(info.mid, ack)

    def _outcome(self, ack: Ack) -> bool | None:
        if self._protocol == MQTTProtocolVersion.MQTTv5:
            if ack.reason_code == PUBACK_SUCCESS:
                return True
            if ack.reason_code == PUBACK_NO_MATCHING_SUBSCRIBERS:
                return False
            log.warning("MQTT broker at %s refused a message with PUBACK reason code %s", self._where, ack.reason_code)
            raise BrokerRejected(f"The MQTT broker refused the message (reason code {ack.reason_code}).")
        return None  # an MQTT 3.1.1 PUBACK says nothing about subscribers

    def _build_client(self, protocol: MQTTProtocolVersion) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id(),
            protocol=protocol,
        )
        # A callback that raises would otherwise end the network thread, and with it reconnection.
        client.suppress_exceptions = True
        if self._broker.username is not None:
            client.username_pw_set(self._broker.username, self._broker.password)
        if self._broker.tls:
            client.tls_set()  # the system's CA certificates
        client.reconnect_delay_set(min_delay=MIN_RECONNECT_DELAY_S, max_delay=MAX_RECONNECT_DELAY_S)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.connect_async(self._broker.host, self._broker.port, keepalive=KEEPALIVE_S)
        return client

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any) -> None:
        if client is not self._client:
            return
        if reason.value == CONNACK_UNSUPPORTED_PROTOCOL_VERSION and self._protocol == MQTTProtocolVersion.MQTTv5:
            self._fall_back_to_mqtt311(client)
        elif reason.is_failure:
            self._problem(
                f"the MQTT broker at {self._where} refused the gateway's login ({reason}); "
                "check the user name and password in MQTT_URL"
            )
        else:
            self._failures = 0
            self._repeats.reset()
            log.info("connected to the MQTT broker at %s (MQTT %s)", self._where, self._version_name())
            self._observer, self._observing = Observer(), threading.Event()  # what it saw before may have gaps
            if self._protocol == MQTTProtocolVersion.MQTTv5:
                client.subscribe([(topic_filter, OBSERVE) for topic_filter in filters()])
                self._sweep(client)
            self._set_connected(True)

    def _on_connect_fail(self, client: mqtt.Client, _userdata: Any) -> None:
        if client is not self._client:
            return
        # paho calls this from inside its `except OSError` block, so the error is still current.
        error = sys.exc_info()[1]
        detail = (error.strerror or str(error)) if isinstance(error, OSError) else "unknown error"
        self._problem(f"cannot reach the MQTT broker at {self._where}: {detail}")
        self._back_off(client)

    def _on_disconnect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any) -> None:
        if client is not self._client:
            return
        with self._state:
            was_connected = self._connected
        self._set_connected(False)
        self._acks.lose_all()
        if was_connected:
            log.warning("lost the connection to the MQTT broker at %s (%s); reconnecting", self._where, reason)
        self._back_off(client)

    def _on_publish(self, client: mqtt.Client, _userdata: Any, mid: int, reason: ReasonCode, _props: Any) -> None:
        self._acks.acked(mid, reason.value)

    def _on_subscribe(self, client: mqtt.Client, _userdata: Any, mid: int, _codes: Any, _props: Any) -> None:
        if client is not self._client:
            return
        if mid in self._sweeps:  # the retained messages came before this SUBACK; the live ones are not wanted
            self._sweeps.discard(mid)
            client.unsubscribe(list(SWEPT))
        else:
            self._observing.set()

    def _sweep(self, client: mqtt.Client) -> None:
        """Subscribe for a moment to where devices publish, to hear (and clear) what is retained there; again later."""
        if client is not self._client:
            return  # stopped or replaced
        result, mid = client.subscribe([(topic_filter, OBSERVE) for topic_filter in SWEPT])
        if result == MQTTErrorCode.MQTT_ERR_SUCCESS and mid is not None:
            self._sweeps.add(mid)
        timer = threading.Timer(SWEEP_S, self._sweep, (client,))
        timer.daemon = True
        timer.start()

    def _on_message(self, client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        if client is not self._client:
            return
        if message.retain and message.payload and foreign_retained(message.topic):
            client.publish(message.topic, b"", qos=0, retain=True)
        correlation = getattr(message.properties, "CorrelationData", None)
        offline = self._observer.seen(message.topic, message.payload, correlation)
        if offline is not None:  # NG's retained will fired: nothing it retained may outlive its connection
            for topic in retained_by_ng(offline):
                client.publish(topic, b"", qos=0, retain=True)

    def _fall_back_to_mqtt311(self, client: mqtt.Client) -> None:
        log.warning(
            "MQTT broker at %s does not speak MQTT 5; using MQTT 3.1.1, which cannot tell whether a device received a message",
            self._where,
        )
        with self._lock:
            self._protocol = MQTTProtocolVersion.MQTTv311
            self._client = self._build_client(self._protocol)
            self._client.loop_start()
        client.disconnect()  # ends the old client's network thread, which is running this callback

    def _back_off(self, client: mqtt.Client) -> None:
        # paho adds no jitter; after reconnect_delay_set() it waits exactly min_delay, so we set a
        # jittered delay per attempt and workers of one gateway do not reconnect in step.
        self._failures += 1
        delay = retry_delay(self._failures, MIN_RECONNECT_DELAY_S, MAX_RECONNECT_DELAY_S)
        # paho accepts float seconds despite its int hints.
        client.reconnect_delay_set(min_delay=delay, max_delay=MAX_RECONNECT_DELAY_S)  # type: ignore[arg-type]

    def _problem(self, message: str) -> None:
        log.log(self._repeats.level(message), "%s", message)

    def _set_connected(self, connected: bool) -> None:
        with self._state:
            self._connected = connected
            self._state.notify_all()
        self.on_link(connected)

    def _version_name(self) -> str:
        return "5" if self._protocol == MQTTProtocolVersion.MQTTv5 else "3.1.1"
