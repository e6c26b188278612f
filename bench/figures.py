"""What one run measures on one system, and the plan (counts and durations) it follows."""

import statistics
from dataclasses import dataclass, field

from bench.load import Answers


@dataclass(frozen=True)
class Plan:
    """Device counts and phase durations; BENCH_QUICK=1 selects the small one."""

    device_counts: tuple[int, int, int] = (10, 1_000, 10_000)
    blast_s: float = 4.0
    # wrk runs per device count; each throughput figure is the median run. The smallest count runs once before
    # the larger fleets, then alternates with the largest: the fleet shrinks to it after each run at the largest
    # count and grows back before the next (bench/scenario.py).
    repeats: int = 3
    rate: int = 1_000
    paced_s: float = 10.0
    storm_timeout_s: float = 60.0
    connections: int = 32
    simulators: int = 1

    @classmethod
    def quick(cls) -> "Plan":
        """Return the ~1 minute development plan."""
        return cls(device_counts=(10, 200, 1_000), blast_s=2.0, repeats=1, paced_s=2.0, storm_timeout_s=20.0)


@dataclass
class Usage:
    """CPU seconds used during a phase, by whom, and by the rest of the machine (other people's work)."""

    wall_s: float
    broker: float
    http: float
    devices: float
    load: float
    others: float
    workers: list[float] = field(default_factory=list)  # each gunicorn worker's share of http


@dataclass
class Run:
    """One load phase: what the endpoint answered and what the devices received."""

    devices: int
    answers: Answers
    received: int
    latencies_us: list[int]
    usage: Usage

    @property
    def loss(self) -> int:
        """Return webhooks answered delivered:true that no device received (negative: extra messages)."""
        return self.answers.delivered - self.received

    @property
    def received_per_s(self) -> float:
        """Return messages received by devices per second of sending."""
        return self.received / self.answers.seconds if self.answers.seconds else 0.0


@dataclass
class Storm:
    """All devices connecting and subscribing at once to a freshly (re)started broker."""

    devices: int
    subscribed: int
    seconds: float
    listen_overflows: int
    broker_cpu_s: float


@dataclass
class Memory:
    """Broker resident memory before and after the devices connected, idle."""

    devices: int
    before_kib: int
    after_kib: int

    @property
    def per_device_bytes(self) -> float | None:
        """Return resident bytes per idle connected device (None when no device connected)."""
        return (self.after_kib - self.before_kib) * 1024 / self.devices if self.devices else None


@dataclass
class MetricsCost:
    """The alternating runs, metrics off and on, and how many series the metered gateway served."""

    runs: list[tuple[bool, Run]] = field(default_factory=list)  # (metrics on?, the run), in the order they ran
    series: int = 0
    scrapes: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def off(self) -> list[Run]:
        """Return the runs with metrics off."""
        return [run for metered, run in self.runs if not metered]

    @property
    def on(self) -> list[Run]:
        """Return the runs with metrics on."""
        return [run for metered, run in self.runs if metered]

    @property
    def cost(self) -> float | None:
        """Return the share of throughput the metrics cost: the median over pairs of runs of 1 - on / off.

        Pairs, not the medians of each side: the two runs of a pair are seconds apart, so a machine whose speed
        drifts over a minute moves both. Negative: the metered runs were faster.
        """
        ratios = []
        for first, second in zip(self.runs[::2], self.runs[1::2], strict=False):
            (on, off) = (first[1], second[1]) if first[0] else (second[1], first[1])
            if off.answers.delivered_per_s and first[0] != second[0]:
                ratios.append(on.answers.delivered_per_s / off.answers.delivered_per_s)
        return 1 - statistics.median(ratios) if ratios else None

    @staticmethod
    def rate(runs: list[Run]) -> float:
        """Return the median delivered:true /s of runs."""
        return statistics.median(run.answers.delivered_per_s for run in runs) if runs else float("nan")

    @staticmethod
    def http_us(runs: list[Run]) -> float:
        """Return the median CPU µs of the HTTP side (gunicorn, all workers) per delivered webhook of runs."""
        per = [run.usage.http / run.answers.delivered * 1e6 for run in runs if run.answers.delivered]
        return statistics.median(per) if per else float("nan")


@dataclass
class Figures:
    """Everything measured on one system."""

    system: str
    throughput: dict[int, Run] = field(default_factory=dict)  # device count -> the median of its wrk runs
    blasts: dict[int, list[Run]] = field(default_factory=dict)  # device count -> every wrk run, in order
    latency: Run | None = None
    verdicts: Run | None = None  # the fixed-rate run to AWTRIX NG clocks that answer: webhook -> /result -> answer
    storm: Storm | None = None
    memory: Memory | None = None
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)
    metrics_cost: MetricsCost | None = None  # ours only: metrics off vs on (bench/metrics_cost.py)

    def add_blast(self, count: int, run: Run) -> None:
        """Keep one wrk run at count devices; the count's throughput figure becomes the median of its runs."""
        runs = self.blasts.setdefault(count, [])
        runs.append(run)
        self.throughput[count] = median_run(runs)


def median_run(runs: list[Run]) -> Run:
    """Return the run with the median delivered:true rate (of an even number, the higher of the middle two)."""
    return sorted(runs, key=lambda run: run.answers.delivered_per_s)[len(runs) // 2]
