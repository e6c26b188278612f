"""A worker's one pipelined link to the embedded broker, shared by the requests it serves side by side.

The gateway's worker (gateway/serving/worker.py) runs each request in a greenlet. When the app publishes, the
message is queued on this link and the request's greenlet hands control back to the worker's loop (the hub),
which goes on serving other requests. Once per turn of the loop the queued messages leave in one send (what
the socket does not take at once leaves when it is writable again); the link's socket sits in the worker's
selector, and each PUBACK (with its delivery receipt) resumes the request that waits for it. So a worker
keeps many publishes in flight, pays one send and one receive per batch, not per webhook, and never sits
idle while the broker routes. The link's socket is non-blocking: nothing here ever waits.

A receipt that announces answers from the clocks it reached (an AWTRIX NG /result) keeps its request waiting,
still without holding the worker, until those answers arrive (the broker forwards them numbered by the publish's
sequence on the link) or RESULT_TIMEOUT_S passes; then the request resumes with what came. Waiting for answers
never closes the link.

Failures end every wait at once: a link that breaks throws BrokerUnavailable into every request waiting for its
PUBACK (the messages may still arrive), and a link that stays silent for PUBLISH_TIMEOUT_S throws BrokerTimeout
into them; either way the link is closed and the next publish opens a new one (with the publisher's back-off).
Requests that only wait for answers resume with those that came.
"""

import selectors
import time
from dataclasses import dataclass, field

from greenlet import getcurrent, greenlet

from common.receipts import Receipt
from gateway.errors import ApiError, BrokerTimeout, BrokerUnavailable
from gateway.publishing.embedded.link import BrokerLink, LinkDown
from gateway.publishing.embedded.publisher import DROPPED, EmbeddedPublisher
from gateway.publishing.outcome import Outcome

# Packet ids are 1..65,535 and answers come back in order, so below this many in flight the next id is free.
MAX_IN_FLIGHT = 60_000


@dataclass(eq=False)
class Awaiting:
    """A request whose publish was acknowledged and whose clocks' answers it waits for."""

    waiter: greenlet
    deadline: float
    receipt: Receipt
    replies: list[tuple[str, bytes]] = field(default_factory=list)

    def outcome(self) -> Outcome:
        """Return what the request resumes with: the receipt and the answers that came."""
        return Outcome.of(self.receipt, tuple(self.replies))


class Pipeline:
    """Publish from request greenlets over one link; only the hub calls flush(), on_ready(), expire() and close()."""

    def __init__(self, publisher: EmbeddedPublisher, selector: selectors.BaseSelector) -> None:
        """Attach to a worker's loop: the greenlet creating the pipeline is the hub, selector is its selector."""
        self._publisher = publisher
        self._selector = selector
        self._hub = getcurrent()
        self._link: BrokerLink | None = None
        self._events = 0  # what the selector watches the link for
        # packet id -> (the request waiting for its PUBACK, when it stops waiting, its sequence, how long it waits
        # for answers); in deadline order, because every wait is equally long and entries are added as they start.
        self._waiting: dict[int, tuple[greenlet, float, int, float]] = {}
        # publish sequence -> a request waiting for the clocks' answers; in deadline order too.
        self._awaiting: dict[int, Awaiting] = {}

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

    def publish(self, topic: str, payload: bytes, reply_timeout_s: float = 0.0) -> Outcome:
        """From a request's greenlet: queue the message, wait for its receipt (and the clocks' answers it announces,
        up to reply_timeout_s), and return its outcome."""
        if len(self._waiting) >= MAX_IN_FLIGHT:
            raise BrokerUnavailable()
        link = self._open()
        packet_id = link.queue(topic, payload)
        deadline = time.monotonic() + self._publisher.timeout_s
        self._waiting[packet_id] = (getcurrent(), deadline, link.sequence, reply_timeout_s)
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
        now = time.monotonic()
        for packet_id, receipt in answers:
            entry = self._waiting.pop(packet_id, None)
            if entry is None:
                continue
            waiter, _, sequence, reply_timeout_s = entry
            if receipt is not None and receipt.awaiting and reply_timeout_s > 0:
                self._awaiting[sequence] = Awaiting(waiter, now + reply_timeout_s, receipt)
            else:
                waiter.switch(Outcome.of(receipt))
        for sequence, topic, body in link.take_replies():
            awaiting = self._awaiting.get(sequence)
            if awaiting is not None:  # else a late answer, to a request that stopped waiting
                awaiting.replies.append((topic, body))
                if len(awaiting.replies) >= awaiting.receipt.awaiting:
                    del self._awaiting[sequence]
                    awaiting.waiter.switch(awaiting.outcome())

    def next_deadline(self) -> float | None:
        """Return when the longest-waiting request stops waiting (for a PUBACK or for answers), or None."""
        deadlines = [entry[1] for entry in self._waiting.values()][:1]
        deadlines += [awaiting.deadline for awaiting in self._awaiting.values()][:1]
        return min(deadlines, default=None)

    def expire(self, now: float) -> None:
        """Resume requests whose answers did not come in time; give up on a link silent for PUBLISH_TIMEOUT_S."""
        deadline = self.next_deadline()
        if deadline is None or deadline > now:
            return
        # A busy worker may not have read answers that arrived in time: take them first.
        self._take_answers()
        for sequence, awaiting in list(self._awaiting.items()):
            if awaiting.deadline > now:
                break
            del self._awaiting[sequence]
            awaiting.waiter.switch(awaiting.outcome())
        oldest = next(iter(self._waiting.values()), None)
        if oldest is not None and oldest[1] <= now and self._link is not None:
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
        awaiting, self._awaiting = self._awaiting, {}
        for waiter, *_ in waiting.values():
            waiter.throw(error)
        for entry in awaiting.values():  # delivered already: they resume with the answers that came
            entry.waiter.switch(entry.outcome())
