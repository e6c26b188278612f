"""In-process rate-limit counts: limits' MemoryStorage with bounded moving windows that expire in order.

limits' MemoryStorage starts a threading.Timer 10 ms after every hit to drop stale entries, and each timer
scans every key: under load, a new thread every 10 ms per worker and a scan of one key per recent token
(9-16 % of the gateway's time in `make bench`). Here no thread and no scan: the windows of each window length
sit in a queue ordered by their newest hit, and every hit first drops the windows at the front whose newest hit
has left the window. A hit costs the same with 10 or 10,000 recently seen tokens (a once-a-second scan of
10,000 keys on a thread of its own cost the gateway ~15 % of its speed in the bench's 10,000-device phase).

It also keeps each moving window oldest-first in a deque of at most `limit` hit times, none older than the
window once a hit has been added, where limits keeps a list, newest-first, of every hit until the sweep and
inserts at its head on each hit (moving the whole list:
3.6 µs a hit at 6,000 hits/s in a 1 s window, 1.4 µs here). A hit is refused under exactly limits' rule, when
the limit-th newest hit is no older than the window; hits older than that never decide anything.
"""

import bisect
import threading
import time
from collections import OrderedDict, deque

from limits.storage import MemoryStorage

SCHEME = "awtrix-memory"
SWEEP_EVERY_S = 1.0  # fixed-window counters only (limits' incr and decr; the gateway does not use them)


class WindowStorage(MemoryStorage):
    """limits' MemoryStorage with bounded moving windows, dropped in order once their newest hit is out of the window."""

    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 - limits reads this class attribute to register the scheme

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        """Open an empty storage; one lock guards every window (each step under it is a few deque operations)."""
        self.windows_lock = threading.Lock()
        # window length (s) -> key -> its window (the times of its recent hits, oldest first), least recently hit first
        self.by_last_hit: dict[float, OrderedDict[str, deque[float]]] = {}
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Record amount hits now unless the window already holds more than limit - amount; return whether recorded."""
        if amount > limit:
            return False
        now = time.time()
        with self.windows_lock:
            self._drop_stale_windows(now)
            window = self.events.get(key)
            if window is None:
                window = self.events[key] = deque(maxlen=limit)
            deciding = limit - amount + 1  # limits' rule: the (limit - amount + 1)-th newest hit decides
            if len(window) >= deciding and window[-deciding] >= now - expiry:
                return False
            window.extend([now] * amount)  # drops only hits at least as old as the deciding one
            while window[0] < now - expiry:  # hits out of the window decide nothing: a window holds the recent ones
                window.popleft()
            recent = self.by_last_hit.get(expiry)
            if recent is None:
                recent = self.by_last_hit[expiry] = OrderedDict()
            recent[key] = window
            recent.move_to_end(key)
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """Return the time of the oldest hit still in the window, and how many hits the window holds."""
        now = time.time()
        with self.windows_lock:
            window = self.events.get(key)
            if not window:
                return now, 0
            first = bisect.bisect_right(window, now - expiry)
            # As limits does, a window without recent hits reports the oldest hit it still keeps.
            return window[first if first < len(window) else 0], len(window) - first

    def reset(self) -> int | None:
        """Forget every count."""
        with self.windows_lock:
            self.by_last_hit.clear()
            return super().reset()

    def _drop_stale_windows(self, now: float) -> None:
        """Drop the windows whose newest hit is older than their window: none of their hits can decide anything."""
        for expiry, recent in self.by_last_hit.items():
            while recent:
                key, window = next(iter(recent.items()))
                if window[-1] >= now - expiry:
                    break
                del recent[key]
                if self.events.get(key) is window:
                    del self.events[key]

    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            self.timer = threading.Timer(SWEEP_EVERY_S, self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()

    def _MemoryStorage__expire_events(self) -> None:
        now = time.time()
        for key in list(self.expirations):
            if self.expirations[key] <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)


def storage_uri(configured: str) -> str:
    """Return the storage URI to open: this storage for memory://, anything else unchanged."""
    return f"{SCHEME}://" if configured.startswith("memory:") else configured
