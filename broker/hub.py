"""The broker's shared state: live sessions, the token-indexed subscriptions, routing and time-outs."""

import asyncio
import itertools
from typing import TYPE_CHECKING

from broker.acl import device_may_publish, device_may_subscribe, gateway_may_publish
from broker.answers import Answers
from broker.auth import Identity, authenticate
from broker.listeners import answering, is_answer, listening
from broker.login_throttle import LoginThrottle
from broker.routing import SubscriptionIndex
from broker.settings import BrokerSettings
from broker.stats import BrokerStats
from common.firmware import Firmware
from common.mqtt_codec import CONNACK_IDENTIFIER_REJECTED, CONNACK_NOT_AUTHORIZED, SUBACK_FAILURE, Connect
from common.receipts import REPLY_TOPIC, encode_receipt, encode_reply
from common.topics import namespace, token_of_topic

if TYPE_CHECKING:
    from broker.connection import Connection

KEEPALIVE_GRACE = 1.5
MAX_GRANTED_QOS = 1
_REPLY_TOPIC = REPLY_TOPIC.encode()


class Hub:
    """Everything connections share. Runs on one event loop; no method blocks or awaits."""

    def __init__(self, settings: BrokerSettings) -> None:
        """Start empty; start() gives the hub its event loop."""
        self.settings = settings
        self.index = SubscriptionIndex()
        self.sessions: dict[tuple[str, str], Connection] = {}
        self.connections: set[Connection] = set()
        self.answers = Answers()  # what answering clocks owe which gateway publish (broker/answers.py)
        self.published: dict[Connection, int] = {}  # gateway connection -> publishes received from it
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
        self.answers.forget(connection)
        self.published.pop(connection, None)
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

    def route_from_gateway(self, gateway: "Connection", topic: str, payload: bytes, qos: int, packet_id: int) -> bytes:
        """Route a gateway's publish and return its receipt: devices reached, who listens if none, answers to come."""
        sequence = self.published[gateway] = self.published.get(gateway, 0) + 1
        token = token_of_topic(topic) if gateway_may_publish(topic) else None
        if token is None:
            self.stats.dropped["acl"] += 1
            return encode_receipt(packet_id, 0)
        prefix = namespace(token)
        suffix = topic[len(prefix) :]
        if is_answer(suffix):  # a clock's answer topic: the gateway may not write what only clocks say
            self.stats.dropped["acl"] += 1
            return encode_receipt(packet_id, 0, *listening(self.index.subscribers_of(token), len(prefix)))
        matched = self.index.match(topic)
        answers = answering(suffix) if matched else ()
        topic_bytes, reached, awaiting, busy, now = topic.encode(), 0, 0, 0, self.now()
        for connection, granted_qos in matched.items():
            owed = [topics for firmware, topics in answers if self._answers_here(connection, firmware, prefix, suffix)]
            if owed and not self.answers.has_room(connection, sum(map(len, owed)), now):
                busy += 1  # it owes so many answers already that one more could not be told apart
                continue
            if connection.deliver(topic_bytes, payload, min(qos, granted_qos)):  # type: ignore[attr-defined]
                reached += 1
                for topics in owed:
                    awaiting += self.answers.expect(connection, topics, gateway, sequence, now)
        if matched:  # a busy clock counts as a subscriber not keeping up
            self.stats.routed(len(matched), reached)
        else:
            self.stats.dropped["no_subscriber"] += 1
        if reached or busy:
            return encode_receipt(packet_id, reached, awaiting=awaiting, busy=busy)
        return encode_receipt(packet_id, 0, *listening(self.index.subscribers_of(token), len(prefix)))

    def _answers_here(self, connection: "Connection", firmware: Firmware, prefix: str, topic: str) -> bool:
        """Return True when connection is a clock of firmware: it holds that firmware's own filter for topic."""
        receiving = firmware.receiving_filter(topic)
        return receiving is not None and self.index.holds(connection, prefix + receiving)

    def route_from_device(self, device: "Connection", topic: str, payload: bytes, qos: int) -> None:
        """Route a device's publish; hand an answer it owes to the gateway publish it answers, and no one else."""
        token = token_of_topic(topic) if self.answers.owes(device) or topic.endswith("/result") else None
        if token is None:
            self.route(topic, payload, qos)
            return
        suffix = topic[len(namespace(token)) :]
        pending = self.answers.take(device, suffix, self.now())
        if pending is not None:
            pending.gateway.deliver(_REPLY_TOPIC, encode_reply(pending.sequence, suffix, payload), 0)  # type: ignore[attr-defined]
            if is_answer(suffix):  # a clock's answer, handed to the gateway publish it answers only
                self.stats.routed(1, 1)
            else:  # also routed to subscribers below, which counts the message
                self.stats.deliveries += 1
        elif is_answer(suffix):
            self.stats.dropped["no_subscriber"] += 1  # an answer nobody waits for any more
        if not is_answer(suffix):
            self.route(topic, payload, qos)

    def close_all(self) -> None:
        """Refuse new connections and close every open one."""
        self.closing = True
        for connection in list(self.connections):
            connection.close()
