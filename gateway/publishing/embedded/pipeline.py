"""A worker's one pipelined link to the embedded broker, shared by the requests it serves side by side.

The gateway's worker (gateway/serving/worker.py) runs each request in a greenlet. When the app publishes, the
message is queued on this link and the request's greenlet hands control back to the worker's loop (the hub),
which goes on serving other requests. Once per turn of the loop the queued messages leave in one send (what
the socket does not take at once leaves when it is writable again); the link's socket sits in the worker's
selector, and each PUBACK (with its delivery receipt) resumes the request that waits for it. So a worker
keeps many publishes in flight, pays one send and one receive per batch, not per webhook, and never sits
idle while the broker routes. The link's socket is non-blocking: nothing here ever waits.

Failures end every wait at once: a link that breaks throws BrokerUnavailable into every waiting request (the
messages may still arrive), and a link that stays silent for PUBLISH_TIMEOUT_S throws BrokerTimeout into
them; either way the link is closed and the next publish opens a new one (with the publisher's back-off).
"""

import selectors
import time

from greenlet import getcurrent, greenlet

from gateway.errors import ApiError, BrokerTimeout, BrokerUnavailable
from gateway.publishing.embedded.link import BrokerLink, LinkDown
from gateway.publishing.embedded.publisher import DROPPED, EmbeddedPublisher

# Packet ids are 1..65,535 and answers come back in order, so below this many in flight the next id is free.
MAX_IN_FLIGHT = 60_000


class Pipeline:
    """Publish from request greenlets over one link; only the hub calls flush(), on_ready(), expire() and close()."""

    def __init__(self, publisher: EmbeddedPublisher, selector: selectors.BaseSelector) -> None:
        """Attach to a worker's loop: the greenlet creating the pipeline is the hub, selector is its selector."""
        self._publisher = publisher
        self._selector = selector
        self._hub = getcurrent()
        self._link: BrokerLink | None = None
        self._events = 0  # what the selector watches the link for
        # packet id -> (the request waiting for its answer, when it stops waiting); in deadline order, because
        # every wait is equally long and entries are added as they start.
        self._waiting: dict[int, tuple[greenlet, float]] = {}

    @property
    def connected(self) -> bool:
        """Return True when the link is open or can be opened now."""
        try:
            self._open()
        except BrokerUnavailable:
            return False
        return True

    @property
    def in_flight(self) -> int:
        """Return how many publishes wait for their answer."""
        return len(self._waiting)

    def can_wait(self) -> bool:
        """Return True when called from a request's greenlet, which can hand control to the hub while it waits."""
        return getcurrent() is not self._hub

    def publish(self, topic: str, payload: bytes) -> int | None:
        """From a request's greenlet: queue the message, wait for its answer and return how many devices it reached."""
        if len(self._waiting) >= MAX_IN_FLIGHT:
            raise BrokerUnavailable()
        packet_id = self._open().queue(topic, payload)
        self._waiting[packet_id] = (getcurrent(), time.monotonic() + self._publisher.timeout_s)
        return self._hub.switch()

    def flush(self) -> None:
        """Send the messages queued since the last flush, in one write; watch for room if the socket is full."""
        link = self._link
        if link is None:
            return
        try:
            done = link.flush()
        except LinkDown as err:
            self._drop(link, BrokerUnavailable(DROPPED), str(err))
            return
        events = selectors.EVENT_READ if done else selectors.EVENT_READ | selectors.EVENT_WRITE
        if events != self._events:
            self._selector.modify(link, events, self)
            self._events = events

    def on_ready(self, events: int) -> None:
        """The link's socket is ready (selector events): send what waits to be sent, take in the answers."""
        if events & selectors.EVENT_WRITE:
            self.flush()
        if events & selectors.EVENT_READ:
            self._take_answers()

    def _take_answers(self) -> None:
        """Resume every request whose answer has arrived."""
        link = self._link
        if link is None:
            return
        try:
            answers = link.answers()
        except LinkDown as err:
            self._drop(link, BrokerUnavailable(DROPPED), str(err))
            return
        for packet_id, devices in answers:
            waiter = self._waiting.pop(packet_id, None)
            if waiter is not None:
                waiter[0].switch(devices)

    def next_deadline(self) -> float | None:
        """Return when the longest-waiting request stops waiting, or None when none waits."""
        for _, deadline in self._waiting.values():
            return deadline
        return None

    def expire(self, now: float) -> None:
        """Give up on a link whose oldest message has waited PUBLISH_TIMEOUT_S without an answer."""
        deadline = self.next_deadline()
        if deadline is None or deadline > now:
            return
        # A busy worker may not have read answers that arrived in time: take them first.
        self._take_answers()
        deadline = self.next_deadline()
        if deadline is not None and deadline <= now and self._link is not None:
            self._drop(self._link, BrokerTimeout())

    def close(self) -> None:
        """Close the link; requests still waiting get BrokerUnavailable."""
        if self._link is not None:
            self._drop(self._link, BrokerUnavailable(DROPPED))

    def _open(self) -> BrokerLink:
        if self._link is None:
            link = self._publisher.open_link()
            link.nonblocking()
            self._selector.register(link, selectors.EVENT_READ, self)
            self._link, self._events = link, selectors.EVENT_READ
        return self._link

    def _drop(self, link: BrokerLink, error: ApiError, reason: str = "") -> None:
        """Close the link and throw error into every request still waiting on it."""
        self._selector.unregister(link)
        self._link = None
        self._publisher.forget(link)
        if reason:
            self._publisher.lost(reason)
        waiting, self._waiting = self._waiting, {}
        for waiter, _ in waiting.values():
            waiter.throw(error)
