"""Publish to the embedded broker over one blocking connection per request thread, or the worker's pipeline.

Each gunicorn request thread opens its own link (gateway/publishing/embedded/link.py) on first use and keeps it. paho's
single network thread, which every request handed its message to and waited on, cost ~0.5 ms of CPU per
webhook (docs/PERFORMANCE.md); here a webhook is one send and one receive on the request's own thread.
Links are opened on demand: after a failure, threads fail fast for a jittered, growing delay before one of
them tries again, so a broker that is down costs a connection attempt per delay, not one per webhook.
In the gateway's own worker, requests publish through the worker's pipeline instead (gateway/publishing/embedded/pipeline.py),
one link per worker with many messages in flight; its link opens and fails by the same rules.
"""

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from common.firmware import Firmware
from gateway.errors import BrokerTimeout, BrokerUnavailable
from gateway.publishing.embedded.link import BrokerLink, LinkDown, LinkTimeout, LoginRefused
from gateway.publishing.outcome import Outcome
from gateway.publishing.reconnect import RepeatFilter, client_id, retry_delay
from gateway.settings import BrokerSettings

if TYPE_CHECKING:
    from gateway.publishing.embedded.pipeline import Pipeline

log = logging.getLogger("gateway.publisher")  # the name in log lines, kept when the module moved

MIN_RETRY_S = 0.25
MAX_RETRY_S = 2.0
WAIT_POLL_S = 0.05
DROPPED = "The connection to the MQTT broker dropped; the message may still arrive."


class EmbeddedPublisher:
    """Publish at QoS 1 from any thread, each on its own link; learn from the broker's receipt whether a device got it."""

    def __init__(self, broker: BrokerSettings, publish_timeout_s: float) -> None:
        """Open nothing yet: each thread connects on its first publish."""
        self._broker = broker
        self.timeout_s = publish_timeout_s
        self.pipeline: Pipeline | None = None  # set by the gateway's worker, for its request greenlets
        self._where = f"{broker.host}:{broker.port}"
        self._lock = threading.Lock()  # guards everything below
        self._local = threading.local()  # .link: this thread's BrokerLink
        self._links: set[BrokerLink] = set()
        self._retry_at = 0.0
        self._failures = 0
        self._healthy = False  # the last attempt succeeded; only decides which lines are logged
        self._repeats = RepeatFilter()
        self.on_link: Callable[[bool], None] = lambda up: None  # told when the link goes up or down (gateway/metrics/)
        # A forked child must not share its parent's sockets: it starts with no links.
        reference = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (publisher := reference()) and publisher._forget_links())

    @property
    def connected(self) -> bool:
        """Return True when this thread (or the worker's pipeline) has, or can open, a link to the broker."""
        if self.pipeline is not None:
            return self.pipeline.connected
        try:
            self._link()
        except BrokerUnavailable:
            return False
        return True

    def start(self) -> None:
        """Connect this thread now rather than on its first publish."""
        _ = self.connected

    def wait_until(self, connected: bool, timeout_s: float) -> bool:
        """Wait until this thread's view of the connection equals connected; return False if timeout_s passes first."""
        deadline = time.monotonic() + timeout_s
        while self.connected != connected:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(WAIT_POLL_S, left))
        return True

    def stop(self) -> None:
        """Close every link; a later publish opens new ones."""
        with self._lock:
            links, self._links = self._links, set()
            self._healthy = False
        for link in links:
            link.close()

    def publish(self, topic: str, payload: bytes) -> bool | None:
        """Publish at QoS 1 and return True (a device got it), False (none subscribed) or None (unknown)."""
        reached = self.send(topic, payload).reached
        return None if reached is None else reached > 0

    def send(self, topic: str, payload: bytes, reply_timeout_s: float = 0.0) -> Outcome:
        """Publish at QoS 1 and return its outcome, with the clocks' answers that come within reply_timeout_s."""
        if self.pipeline is not None and self.pipeline.can_wait():
            return self.pipeline.publish(topic, payload, reply_timeout_s)
        link = self._link()
        try:
            receipt, replies = link.send(topic, payload, reply_timeout_s)
        except LinkTimeout:
            self.forget(link)
            raise BrokerTimeout() from None
        except LinkDown as err:
            self.forget(link)
            self.lost(str(err))
            raise BrokerUnavailable(DROPPED) from None
        if receipt is not None and replies is None and receipt.connections is None and not receipt.busy:
            return tuple.__new__(Outcome, (receipt.reached, None, None, None, 0))  # the plain delivery, cheaply
        return Outcome.of(receipt, replies)

    def probe(self, token: str, firmware: Firmware) -> bool:
        """Return False: the embedded broker's receipt already says who listens (connections and their trees)."""
        return False

    def _link(self) -> BrokerLink:
        link: BrokerLink | None = getattr(self._local, "link", None)
        if link is not None and not link.closed:
            if not link.peer_closed():
                return link
            self.forget(link)
            self.lost("the broker closed the connection")
        self._local.link = link = self.open_link()
        return link

    def open_link(self) -> BrokerLink:
        """Open a link, or raise BrokerUnavailable at once while the back-off after a failure lasts."""
        with self._lock:
            now = time.monotonic()
            if self._failures:  # after a failure, one thread tries at a time, once the delay has passed
                if now < self._retry_at:
                    raise BrokerUnavailable()
                self._retry_at = now + self.timeout_s
        try:
            link = BrokerLink.open(self._broker, client_id(), self.timeout_s)
        except LoginRefused as err:
            self._failed(
                f"the MQTT broker at {self._where} refused the gateway's login (CONNACK {err.return_code}); "
                "check that GATEWAY_USERNAME and GATEWAY_SECRET match the broker's"
            )
            raise BrokerUnavailable() from None
        except (OSError, LinkDown) as err:
            detail = err.strerror or str(err) if isinstance(err, OSError) else str(err)
            self._failed(f"cannot reach the MQTT broker at {self._where}: {detail}")
            raise BrokerUnavailable() from None
        with self._lock:
            self._links.add(link)
            self._retry_at, self._failures = 0.0, 0
            self._repeats.reset()
            first, self._healthy = not self._healthy, True
        # One line per recovery, not one per thread.
        log.log(logging.INFO if first else logging.DEBUG, "connected to the MQTT broker at %s (MQTT 3.1.1)", self._where)
        if first:
            self.on_link(True)
        return link

    def _failed(self, problem: str) -> None:
        with self._lock:
            self._failures += 1
            self._retry_at = time.monotonic() + retry_delay(self._failures, MIN_RETRY_S, MAX_RETRY_S)
            self._healthy = False
            level = self._repeats.level(problem)
        log.log(level, "%s", problem)
        self.on_link(False)

    def lost(self, reason: str) -> None:
        """Note that an open link broke (one warning until the next successful connection)."""
        with self._lock:
            was_healthy, self._healthy = self._healthy, False
        if was_healthy:
            log.warning("lost the connection to the MQTT broker at %s (%s); reconnecting", self._where, reason)
            self.on_link(False)

    def forget(self, link: BrokerLink) -> None:
        """Close a link and stop counting it."""
        link.close()
        with self._lock:
            self._links.discard(link)

    def _forget_links(self) -> None:
        self._local = threading.local()
        self._links = set()
        self._lock = threading.Lock()
