"""Sample the broker's and the gateway's resident memory once a second while a soak's load runs."""

import threading
import time
from types import TracebackType

from bench.host import rss_kib
from bench.systems import System

EVERY_S = 1.0


def gateway_rss_kib(system: System) -> int:
    """Return the resident memory of gunicorn's master and workers together."""
    return sum(rss_kib(pid) for pid in system.gateway_pids())


class MemoryWatch:
    """A background thread noting (seconds since start, broker KiB, gateway KiB) every EVERY_S, as a context manager."""

    def __init__(self, system: System) -> None:
        """Nothing is sampled until the context is entered."""
        self.system = system
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="memory-watch", daemon=True)

    def __enter__(self) -> "MemoryWatch":
        """Start sampling."""
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join(5)

    def at_ends_of(self, parts: int, seconds: float) -> list[tuple[int, int]]:
        """Return (broker KiB, gateway KiB) as last sampled in each of parts equal slices of the first seconds."""
        ends = [seconds * (i + 1) / parts for i in range(parts)]
        return [next(((b, g) for t, b, g in reversed(self.samples) if t <= end), (0, 0)) for end in ends]

    def _sample(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic() - started, self.system.broker_rss_kib(), gateway_rss_kib(self.system)))
            except OSError:  # a process ended (a gunicorn worker restarting); the next sample will do
                pass
            self._stop.wait(EVERY_S)
