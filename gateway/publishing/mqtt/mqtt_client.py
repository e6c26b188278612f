"""Publish webhooks to an external MQTT broker with paho-mqtt; MQTT 5 reason codes tell whether a device got them."""

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from gateway.errors import BrokerRejected, BrokerTimeout, BrokerUnavailable
from gateway.publishing.mqtt.acks import Ack, PendingAcks
from gateway.publishing.reconnect import RepeatFilter, client_id, retry_delay
from gateway.settings import BrokerSettings

log = logging.getLogger("gateway.publisher")  # the name in log lines, kept when the module moved

KEEPALIVE_S = 30
MIN_RECONNECT_DELAY_S = 1
MAX_RECONNECT_DELAY_S = 5
PUBACK_SUCCESS = 0
PUBACK_NO_MATCHING_SUBSCRIBERS = 16
CONNACK_UNSUPPORTED_PROTOCOL_VERSION = 132


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
        self.start()
        with self._state:
            if not self._connected:
                raise BrokerUnavailable()
            client = self._client
        if client is None:  # stop() ran meanwhile
            raise BrokerUnavailable()
        sent_at = time.monotonic()
        info = client.publish(topic, payload, qos=1, retain=False)
        ack = self._acks.claim(info.mid, sent_at)
        try:
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                raise BrokerUnavailable()
            if not ack.done.wait(self._timeout_s):
                raise BrokerTimeout()
            if ack.lost:
                raise BrokerUnavailable("The connection to the MQTT broker dropped; the message may still arrive.")
            return self._outcome(ack)
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
