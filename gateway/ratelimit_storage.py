"""In-process rate-limit counts (limits' MemoryStorage) that do not start a thread every 10 ms.

limits' MemoryStorage starts a threading.Timer 10 ms after every hit to drop stale entries, and each timer
scans every key: under load, a new thread every 10 ms per worker and a scan of one key per recent token
(9-16 % of the gateway's time in `make bench`). Counting stays the library's; only that sweep runs at most
once a second here. Correctness does not depend on the sweep: each check compares the entries' own times.
"""

import threading

from limits.storage import MemoryStorage

SCHEME = "awtrix-memory"
SWEEP_EVERY_S = 1.0


class LazySweepMemoryStorage(MemoryStorage):
    """limits' MemoryStorage whose sweep of stale entries runs at most once per SWEEP_EVERY_S."""

    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 - limits reads this class attribute to register the scheme

    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            self.timer = threading.Timer(SWEEP_EVERY_S, self._MemoryStorage__expire_events)  # type: ignore[attr-defined]
            self.timer.daemon = True
            self.timer.start()


def storage_uri(configured: str) -> str:
    """Return the storage URI to open: this storage for memory://, anything else unchanged."""
    return f"{SCHEME}://" if configured.startswith("memory:") else configured
