"""Slow down addresses that keep failing to log in, with bounded memory and nothing written anywhere."""

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Record:
    failures: int
    window_start: float


class LoginThrottle:
    """Count failed CONNECTs per address in a sliding window; past the limit, each attempt waits longer.

    Addresses live only in memory, for at most one window, and at most max_tracked of them at once
    (the least recently seen are forgotten first), so a flood of spoofed sources cannot grow it.
    """

    def __init__(
        self,
        limit: int,
        window_s: float = 60.0,
        max_delay_s: float = 10.0,
        max_tracked: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Allow limit failures per window before delaying, doubling up to max_delay_s."""
        self.limit = limit
        self.window_s = window_s
        self.max_delay_s = max_delay_s
        self.max_tracked = max_tracked
        self._clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def delay_s(self, address: str) -> float:
        """Return how long a CONNECT from address should wait before it is handled."""
        record = self._current(address)
        if record is None or record.failures < self.limit:
            return 0.0
        return min(self.max_delay_s, 0.25 * 2 ** (record.failures - self.limit))

    def failed(self, address: str) -> None:
        """Count one failed login from address."""
        record = self._current(address)
        if record is None:
            record = self._records[address] = _Record(0, self._clock())
        record.failures += 1
        self._records.move_to_end(address)
        while len(self._records) > self.max_tracked:
            self._records.popitem(last=False)

    def __len__(self) -> int:
        """Return how many addresses are tracked."""
        return len(self._records)

    def _current(self, address: str) -> _Record | None:
        record = self._records.get(address)
        if record is not None and self._clock() - record.window_start > self.window_s:
            del self._records[address]
            return None
        return record
