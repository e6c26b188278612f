"""Which gateway publish each clock's answer belongs to: a short FIFO per answering clock, made when needed.

A clock reads its commands in order over its one connection and answers them in order, so when the broker
hands a gateway's command to a clock that answers it (the firmware tables say which: common/firmware), it
appends (the answer's topic, the gateway connection, that publish's sequence number) to the clock's FIFO.
The clock's next publish on that topic takes the first such entry, and only that gateway connection gets it.
An idle clock has no FIFO at all. Entries are kept long after the gateway stopped waiting (MAX_AGE_S), so a
late answer still takes its own entry instead of the next one. A clock that owes MAX_PENDING answers gets no
more commands until it answers (the gateway says device_busy): dropping an entry instead would hand the answer
it stood for to the next webhook. Only an answer more than MAX_AGE_S late can still go to the wrong webhook
(NG answers each command as soon as it ran it).
"""

from collections import deque
from collections.abc import Hashable
from typing import NamedTuple

MAX_PENDING = 256
MAX_AGE_S = 30.0


class Pending(NamedTuple):
    """One answer a clock owes: where it will publish it, and whose publish it answers."""

    topic: str  # under the clock's prefix, e.g. cmd/notify/result
    gateway: Hashable  # the gateway connection that published the command
    sequence: int  # that publish's number on the gateway's connection
    at: float  # when the command was handed to the clock (the broker's clock)


class Answers:
    """The FIFOs of every clock that owes answers, keyed by its connection."""

    def __init__(self) -> None:
        """Start with no clock owing anything."""
        self._owed: dict[Hashable, deque[Pending]] = {}

    def expect(self, device: Hashable, topics: tuple[str, ...], gateway: Hashable, sequence: int, now: float) -> int:
        """Record that device owes gateway's publish sequence an answer on each of topics; return how many."""
        owed = self._owed.get(device)
        if owed is None:
            owed = self._owed[device] = deque()
        owed.extend(Pending(topic, gateway, sequence, now) for topic in topics)
        return len(topics)

    def has_room(self, device: Hashable, count: int, now: float) -> bool:
        """Return True when device may owe count more answers (it owes fewer than MAX_PENDING once old ones are gone)."""
        owed = self._owed.get(device)
        if owed is None:
            return True
        self._trim(owed, now)
        return len(owed) + count <= MAX_PENDING

    def owes(self, device: Hashable) -> bool:
        """Return True when device owes any answer."""
        return device in self._owed

    def take(self, device: Hashable, topic: str, now: float) -> Pending | None:
        """Return and remove the first entry device owes on topic (the answer it just published), or None."""
        owed = self._owed.get(device)
        if owed is None:
            return None
        self._trim(owed, now)
        for index, pending in enumerate(owed):
            if pending.topic == topic:
                del owed[index]
                break
        else:
            pending = None
        if not owed:
            del self._owed[device]
        return pending

    def forget(self, device: Hashable) -> None:
        """Drop everything a device owed (its connection is gone)."""
        self._owed.pop(device, None)

    def __len__(self) -> int:
        """Return how many clocks owe answers."""
        return len(self._owed)

    @staticmethod
    def _trim(owed: deque[Pending], now: float) -> None:
        while owed and owed[0].at + MAX_AGE_S < now:
            owed.popleft()
