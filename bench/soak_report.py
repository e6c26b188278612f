"""Print what a soak measured as one Markdown table, with PASS or FAIL and every reason for a FAIL."""

import subprocess
from dataclasses import dataclass

from bench.figures import Run
from bench.ledger import DELIVERED, FAILED, OTHER, UNDELIVERED, Ledger
from bench.paced import UNANSWERED
from bench.report import percentile
from bench.systems import GatewayShape
from tests.support.processes import ROOT


@dataclass
class Outcome:
    """Everything one soak measured."""

    seconds: int
    rate: int
    capacity: float | None  # delivered/s under wrk, when measured
    devices: int
    deviceless: int
    run: Run
    ledger: Ledger
    latencies_us: list[int]  # webhook -> device, from the payload's "ts"
    drain_s: float  # from the last answer until the devices had received every delivered message (or gave up)
    rss_before_kib: int
    rss_after_kib: int
    gateway_rss_before_kib: int  # gunicorn master and workers together
    gateway_rss_after_kib: int
    rss_by_part_kib: list[tuple[int, int]]  # (broker, gateway) at the end of each sixth of the sending
    dropped: int
    subscribed_after: int


def revision() -> str:
    """Return the commit the soak ran at, and whether the working tree had changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if head.returncode != 0:
        return "unknown (not a git checkout)"
    changed = len(dirty.stdout.splitlines())
    return head.stdout.strip() + (f" with {changed} uncommitted paths" if changed else "")


def _ms(values: list[int]) -> str:
    if not values:
        return "n/a"
    return " / ".join(f"{percentile(values, share) / 1000:,.1f}" for share in (0.5, 0.99, 1.0))


def _p99_by_part(values: list[int], parts: int = 6) -> str:
    # Answers come in about the order they were sent, at a fixed rate: each part is a slice of the run's time.
    size = len(values) // parts
    if not size:
        return "n/a"
    return " / ".join(f"{percentile(values[i * size : (i + 1) * size], 0.99) / 1000:,.0f}" for i in range(parts))


def rows(o: Outcome) -> list[tuple[str, str]]:
    """Return the table's (figure, value) pairs."""
    a, u, led = o.run.answers, o.run.usage, o.ledger
    answered = a.sent - a.unanswered
    asked = f"{o.rate:,}" + (f" (80 % of {o.capacity:,.0f} delivered/s measured by wrk)" if o.capacity else " (SOAK_RATE)")
    counts = led.answers
    return [
        ("duration asked, s", f"{o.seconds}"),
        ("first send to last answer, s", f"{a.seconds:.1f}"),
        ("rate asked, webhooks/s", asked),
        ("rate achieved, answers/s", f"{answered / a.seconds:,.0f}" if a.seconds else "n/a"),
        ("largest send delay behind schedule, ms", f"{a.late_ms:,.1f}"),
        ("HTTP connections the generator opened (32 at first, one more whenever all were busy)", f"{a.connections:,}"),
        ("devices subscribed + tokens with no device", f"{o.devices:,} + {o.deviceless}"),
        ("requests sent", f"{led.sent:,}"),
        ("answers 200 delivered:true", f"{counts[DELIVERED]:,}"),
        ("answers 202 no_device_connected", f"{counts[UNDELIVERED]:,}"),
        ("answers 5xx", f"{counts[FAILED]:,}"),
        ("answers other", f"{counts[OTHER]:,}" + (f" {a.other_statuses}" if a.other_statuses else "")),
        ("unanswered", f"{counts[UNANSWERED]:,}"),
        ("messages received by devices", f"{led.received:,}"),
        ("duplicates (ids received more than once)", f"{led.duplicates:,}"),
        ("missing (delivered:true, never received)", f"{led.missing:,}"),
        ("wrong device (payload's \"to\" or topic not the receiver's token)", f"{led.misrouted:,}"),
        ("received although answered 202", f"{led.received_after_202:,}"),
        ("received although answered 5xx / other / not at all", f"{led.received_unconfirmed:,}"),
        ("messages without an id received meanwhile", f"{led.unlabelled:,}"),
        ("webhook->device latency p50 / p99 / max, ms", _ms(o.latencies_us)),
        ("HTTP answer latency p50 / p99 / max, ms", _ms(a.http_latencies_us)),
        ("HTTP answer p99 in each sixth of the run, ms", _p99_by_part(a.http_latencies_us)),
        ("drain after the last answer, s", f"{o.drain_s:.1f}"),
        ("devices dropped during the run; subscribed at the end", f"{o.dropped}; {o.subscribed_after:,}"),
        ("broker RSS before / after, MiB", f"{o.rss_before_kib / 1024:.1f} / {o.rss_after_kib / 1024:.1f}"),
        ("gateway RSS (gunicorn master + workers) before / after, MiB",
         f"{o.gateway_rss_before_kib / 1024:.1f} / {o.gateway_rss_after_kib / 1024:.1f}"),
        ("broker / gateway RSS at the end of each sixth of the run, MiB",
         " · ".join(f"{b / 1024:.1f} / {g / 1024:.1f}" for b, g in o.rss_by_part_kib)),
        ("CPU s: broker / HTTP (per worker) / devices / load generator / rest of machine",
         f"{u.broker:.1f} / {u.http:.1f} ({'+'.join(f'{w:.1f}' for w in u.workers)}) / {u.devices:.1f} / {u.load:.1f} / "
         f"{u.others:.1f}"),
    ]  # fmt: skip


def render(o: Outcome, facts: dict[str, str], shape: GatewayShape, limits: str) -> str:
    """Return the whole report: setup, the table, the verdict and its reasons."""
    lines = [
        "## awtrix-cloud soak",
        "",
        "Machine: " + "; ".join(f"{key}: {value}" for key, value in facts.items()),
        f"Commit {revision()}; gunicorn {shape} (WEB_CONCURRENCY); gateway limits raised: {limits}",
        "",
        "| figure | value |",
        "|---|---|",
        *(f"| {label} | {value} |" for label, value in rows(o)),
        "",
    ]
    if o.ledger.passed:
        lines.append("PASS: every delivered:true reached its own device exactly once; no 5xx; 202 only without a device")
    else:
        lines += ["FAIL:", *(f"- {reason}" for reason in o.ledger.failures)]
    return "\n".join(lines)
