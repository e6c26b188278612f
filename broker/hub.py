"""The broker's shared state: live sessions, the token-indexed subscriptions, routing and time-outs."""

import asyncio
import itertools
from typing import TYPE_CHECKING

from broker.acl import device_may_publish, device_may_subscribe, gateway_may_publish
from broker.auth import Identity, authenticate
from broker.login_throttle import LoginThrottle
from broker.routing import SubscriptionIndex
from broker.settings import BrokerSettings
from broker.stats import BrokerStats
from common.mqtt_codec import CONNACK_IDENTIFIER_REJECTED, CONNACK_NOT_AUTHORIZED, SUBACK_FAILURE, Connect

if TYPE_CHECKING:
    from broker.connection import Connection

KEEPALIVE_GRACE = 1.5
MAX_GRANTED_QOS = 1


class Hub:
    """Everything connections share. Runs on one event loop; no method blocks or awaits."""

    def __init__(self, settings: BrokerSettings) -> None:
        """Start empty; start() gives the hub its event loop."""
        self.settings = settings
        self.index = SubscriptionIndex()
        self.sessions: dict[tuple[str, str], Connection] = {}
        self.connections: set[Connection] = set()
        self.throttle = LoginThrottle(settings.failed_logins_per_minute)
        self.stats = BrokerStats()  # plain ints, exported by broker/metrics.py
        self.closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client_ids = itertools.count(1)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Use loop for the clock and for timers."""
        self._loop = loop

    def now(self) -> float:
        """Return the event loop's clock."""
        assert self._loop is not None
        return self._loop.time()

    def later(self, delay_s: float, callback: object, *args: object) -> None:
        """Run callback(*args) on the loop after delay_s."""
        assert self._loop is not None
        self._loop.call_later(delay_s, callback, *args)  # type: ignore[arg-type]

    def at(self, when: float, callback: object) -> asyncio.TimerHandle:
        """Run callback() on the loop at when (the loop's clock); the handle cancels it."""
        assert self._loop is not None
        return self._loop.call_at(when, callback)  # type: ignore[arg-type]

    def opened(self, connection: "Connection") -> bool:
        """Admit a new TCP connection unless the broker is closing or full."""
        if self.closing or len(self.connections) >= self.settings.max_connections:
            self.stats.connections_refused += 1
            return False
        self.connections.add(connection)
        self.stats.connections_opened += 1
        return True

    def login(self, connection: "Connection", connect: Connect) -> tuple[int, Identity | None]:
        """Authenticate a CONNECT; on success end any earlier connection with the same username and client id."""
        identity = authenticate(connect.username, connect.password, self.settings.gateway_username, self.settings.gateway_secret)
        if identity is None:
            self.throttle.failed(connection.address)
            gateway = connect.username == self.settings.gateway_username
            self.stats.logins_refused["bad_gateway_secret" if gateway else "invalid_username"] += 1
            return CONNACK_NOT_AUTHORIZED, None
        client_id = connect.client_id
        if not client_id:
            if not connect.clean_session:
                self.stats.logins_refused["client_id_rejected"] += 1
                return CONNACK_IDENTIFIER_REJECTED, None  # [MQTT-3.1.3-8]
            client_id = f"auto-{next(self._client_ids)}"
        key = (identity.username, client_id)
        earlier = self.sessions.get(key)
        if earlier is not None:
            earlier.close()  # take-over [MQTT-3.1.4-2]; sessions keyed by username cannot be stolen
        self.sessions[key] = connection
        connection.session_key = key
        return 0, identity

    def lost(self, connection: "Connection") -> None:
        """Forget a closed connection: its session, its subscriptions, and send its will if it had one."""
        self.connections.discard(connection)
        if connection.session_key is not None and self.sessions.get(connection.session_key) is connection:
            del self.sessions[connection.session_key]
        self.index.remove_all(connection)
        will = connection.will
        if will is not None:
            connection.will = None
            self.route(will[0], will[1], will[2])

    def subscribe(self, connection: "Connection", entries: list[tuple[str, int]]) -> list[int]:
        """Grant each filter inside the device's own namespace (QoS at most 1); refuse the rest with 0x80."""
        codes = []
        for topic_filter, qos in entries:
            allowed = not connection.is_gateway and device_may_subscribe(connection.username, topic_filter)
            granted = min(qos, MAX_GRANTED_QOS)
            if allowed and self.index.add(connection, topic_filter, granted):
                codes.append(granted)
            else:
                codes.append(SUBACK_FAILURE)
        return codes

    def unsubscribe(self, connection: "Connection", filters: list[str]) -> None:
        """Drop the connection's subscriptions to these filters."""
        for topic_filter in filters:
            self.index.remove(connection, topic_filter)

    def may_publish(self, connection: "Connection", topic: str) -> bool:
        """Return True when the connection may publish to topic; count a refusal as a message dropped by the ACL."""
        if connection.is_gateway:
            allowed = gateway_may_publish(topic)
        else:
            allowed = device_may_publish(connection.username, topic)
        if not allowed:
            self.stats.dropped["acl"] += 1
        return allowed

    def route(self, topic: str, payload: bytes, qos: int) -> int:
        """Hand a message to every connected subscriber's connection; return how many took it."""
        matched = self.index.match(topic)
        if not matched:
            self.stats.dropped["no_subscriber"] += 1
            return 0
        topic_bytes = topic.encode()
        reached = 0
        for connection, granted_qos in matched.items():
            if connection.deliver(topic_bytes, payload, min(qos, granted_qos)):  # type: ignore[attr-defined]
                reached += 1
        self.stats.routed(len(matched), reached)
        return reached

    def close_all(self) -> None:
        """Refuse new connections and close every open one."""
        self.closing = True
        for connection in list(self.connections):
            connection.close()
