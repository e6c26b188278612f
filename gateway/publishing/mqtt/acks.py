"""Match an external broker's PUBACKs to the publishes waiting for them (paho's network thread reads them)."""

import threading
import time
from dataclasses import dataclass, field


@dataclass(eq=False)
class Ack:
    """What the broker has said so far about one QoS 1 publish."""

    created: float
    done: threading.Event = field(default_factory=threading.Event)
    reason_code: int | None = None  # from the PUBACK; None until it arrives
    lost: bool = False  # the connection dropped before the PUBACK
    abandoned: bool = False  # the waiter gave up; a late PUBACK just removes the entry


class PendingAcks:
    """A thread-safe table of in-flight publishes keyed by packet id.

    paho may hand the PUBACK to its network thread before
    publish() has returned the packet id to the caller, so either side may create the
    entry. Entries carry their creation time: an entry older than the publish that claims
    its packet id belongs to an earlier message with the same id and is replaced.
    The lock is never held while calling into paho, so it cannot deadlock with paho's own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._acks: dict[int, Ack] = {}

    def claim(self, mid: int, sent_at: float) -> Ack:
        """Return the Ack to wait on for a publish sent at sent_at (time.monotonic()) as packet mid."""
        with self._lock:
            ack = self._acks.get(mid)
            if ack is None or ack.abandoned or ack.created < sent_at:
                ack = self._acks[mid] = Ack(created=time.monotonic())
            return ack

    def acked(self, mid: int, reason_code: int) -> None:
        """Record the PUBACK for packet mid and wake its waiter."""
        with self._lock:
            ack = self._entry(mid)
            if ack.abandoned:
                del self._acks[mid]
                return
            ack.reason_code = reason_code
            ack.done.set()

    def release(self, mid: int, ack: Ack) -> None:
        """Forget an Ack whose waiter has its answer or gives up on it."""
        with self._lock:
            if self._acks.get(mid) is not ack:
                return
            if ack.reason_code is None:
                # paho resends unacknowledged messages after a reconnect; keep a
                # tombstone so that late PUBACK removes it instead of lingering.
                ack.abandoned = True
            else:
                del self._acks[mid]

    def lose_all(self) -> None:
        """Wake every waiter still missing its PUBACK: the connection has dropped."""
        with self._lock:
            for ack in self._acks.values():
                if not ack.done.is_set():
                    ack.lost = True
                    ack.done.set()

    def __len__(self) -> int:
        """Return how many entries the table holds."""
        with self._lock:
            return len(self._acks)

    def _entry(self, mid: int) -> Ack:
        ack = self._acks.get(mid)
        if ack is None:
            ack = self._acks[mid] = Ack(created=time.monotonic())
        return ack
