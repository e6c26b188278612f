"""One process's counts in plain Python numbers, and their flush into prometheus-client's values once a second.

prometheus-client's multiprocess values write a memory-mapped file on every inc() and observe() (a few µs each,
several per webhook); a webhook costs the gateway ~250 µs in all, and its metrics may cost 5 % of that. So a
webhook adds to lists of ints here (under one lock, for gunicorn's threaded worker), and a thread adds what
changed to the prometheus values once a second: a scrape is at most a second behind. A worker killed hard
(SIGKILL) loses at most its last second of counts.
"""

import threading
from bisect import bisect_left
from typing import TYPE_CHECKING, Any

from gateway.metrics.labels import ANSWERS, FAMILIES, KINDS, labels_of

if TYPE_CHECKING:
    from gateway.metrics.definitions import GatewayMetrics

# Seconds. A webhook on the embedded broker takes ~0.3 ms idle, a few ms at full load; PUBLISH_TIMEOUT_S is 0.1-10 s.
BUCKETS_S = (0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
FLUSH_EVERY_S = 1.0
# What a webhook's outcome says (gateway/metrics/recording.py): its (family, answer) slot, the broker's
# acknowledgement time (None: nothing was published), the payload bytes published, the rate limit's kind or -1.
Outcome = tuple[int, float | None, int, int]


class Tally:
    """Counts since the process started, and the part of them already added to the prometheus values."""

    def __init__(self) -> None:
        """Start at zero."""
        self._lock = threading.Lock()
        self._webhooks = [0] * (len(FAMILIES) * len(ANSWERS))
        self._durations = [0] * (len(BUCKETS_S) + 1)  # the last one is +Inf
        self._acks = [0] * (len(BUCKETS_S) + 1)
        self._sums = [0.0, 0.0, 0.0]  # webhook seconds, acknowledgement seconds, payload bytes
        self._refusals = [0] * len(KINDS)
        self._flushed = self._snapshot()
        self._children: dict[int, Any] = {}  # slot -> its labelled counter, once used

    def record(self, outcome: Outcome, seconds: float) -> None:
        """Count one webhook answered in seconds."""
        slot, ack_s, payload_bytes, kind = outcome
        with self._lock:
            self._webhooks[slot] += 1
            self._durations[bisect_left(BUCKETS_S, seconds)] += 1
            self._sums[0] += seconds
            if ack_s is not None:
                self._acks[bisect_left(BUCKETS_S, ack_s)] += 1
                self._sums[1] += ack_s
                self._sums[2] += payload_bytes
            if kind >= 0:
                self._refusals[kind] += 1

    def flush(self, sink: "GatewayMetrics") -> None:
        """Add what was counted since the last flush to the prometheus values of sink."""
        now = self._snapshot()
        webhooks, durations, acks, sums, refusals = now
        before = self._flushed
        self._flushed = now
        for slot, (new, old) in enumerate(zip(webhooks, before[0], strict=True)):
            if new != old:
                self._child(sink, slot).inc(new - old)
        # prometheus-client's Histogram has no "observe n times": add to its bucket and sum values directly
        # (the one internal used; tests/gateway/metrics/test_prometheus_contract.py pins it).
        histograms = ((sink.webhook_seconds, durations, before[1], 0), (sink.ack_seconds, acks, before[2], 1))
        for histogram, counts, old_counts, index in histograms:
            for bucket, (new, old) in enumerate(zip(counts, old_counts, strict=True)):
                if new != old:
                    histogram._buckets[bucket].inc(new - old)
            if sums[index] != before[3][index]:
                histogram._sum.inc(sums[index] - before[3][index])
        if sums[2] != before[3][2]:
            sink.published_bytes.inc(sums[2] - before[3][2])
        for kind, (new, old) in enumerate(zip(refusals, before[4], strict=True)):
            if new != old:
                sink.rate_limited.labels(KINDS[kind]).inc(new - old)

    def _snapshot(self) -> tuple[list[int], list[int], list[int], list[float], list[int]]:
        with self._lock:
            return list(self._webhooks), list(self._durations), list(self._acks), list(self._sums), list(self._refusals)

    def _child(self, sink: "GatewayMetrics", slot: int) -> Any:
        child = self._children.get(slot)
        if child is None:
            child = self._children[slot] = sink.webhooks.labels(*labels_of(slot))
        return child


class Flusher:
    """A thread that flushes a tally into its sink every FLUSH_EVERY_S, and once more when stopped."""

    def __init__(self, tally: Tally, sink: "GatewayMetrics", every_s: float = FLUSH_EVERY_S) -> None:
        """Start flushing now, from a daemon thread of this process."""
        self._tally, self._sink, self._every_s = tally, sink, every_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="metrics-flush", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Flush one last time and end the thread."""
        self._stopping.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stopping.wait(self._every_s):
            self._tally.flush(self._sink)
        self._tally.flush(self._sink)
