"""`make soak` (`python -m bench.soak`): a bounded load at a steady rate near capacity, checked message by message.

Starts the Procfile's broker and gateway as `make run` does (the gateway's rate limits raised as in `make bench`),
connects SOAK_DEVICES devices, measures capacity with a short wrk burst (or takes SOAK_RATE), then sends
webhooks at ~80 % of it for SOAK_S seconds over every device's token and a few tokens with no device, each
with its own message id. Then it checks, by id, every answer against what the devices received, prints a
table and PASS or FAIL, and exits 0 or 1. Loopback only; it stops by itself, on failure too.

Environment: SOAK_S (default 60), SOAK_RATE (webhooks/s; default 80 % of the measured capacity), SOAK_DEVICES
(default 500), WEB_CONCURRENCY (default 2), SOAK_OUT (where report.md, gateway.log and broker.log go).
"""

import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from bench import tools
from bench.fleet import DeviceFleet
from bench.host import machine, raise_open_files
from bench.ledger import Addressing, check
from bench.load import blast, pace
from bench.scenario import CONNECT_S, loaded
from bench.soak_report import Outcome, render
from bench.systems import GATEWAY_BENCH_ENV, Embedded, GatewayShape
from bench.watch import MemoryWatch, gateway_rss_kib

log = logging.getLogger("bench")
PREFIX = "soak-device-"
DEVICELESS = 10  # tokens sent to that no device subscribes to: every answer for them must be 202
CAPACITY_S = 5.0
CAPACITY_SHARE = 0.8
CONNECTIONS = 32  # wrk's, as in `make bench`
FINISH_S = 30.0  # after the last send, how long answers may still come
QUIET_S = 2.0  # after the drain, how long nothing new may arrive (late duplicates would)
QUIET_MAX_S = 10.0
LIMITS = {"SOAK_S": (1, 600), "SOAK_RATE": (1, 10_000), "SOAK_DEVICES": (1, 10_000)}
DEFAULTS = {"SOAK_S": 60, "SOAK_DEVICES": 500}


@dataclass(frozen=True)
class SoakSettings:
    """How long, how fast (None: measure), how many devices; how gunicorn is shaped."""

    seconds: int
    rate: int | None
    devices: int
    shape: GatewayShape

    @property
    def budget_s(self) -> int:
        """Return the wall time after which the soak gives up, whatever it is doing."""
        return 2 * self.seconds + 300


def settings_from(environ: Mapping[str, str]) -> SoakSettings:
    """Read the settings; report every bad one at once and exit 2."""
    values: dict[str, int | None] = {}
    problems = []
    for name, (low, high) in LIMITS.items():
        raw = environ.get(name, "").strip()
        if not raw:
            values[name] = DEFAULTS.get(name)
            continue
        try:
            values[name] = int(raw)
        except ValueError:
            values[name] = None
        if values[name] is None or not low <= values[name] <= high:  # type: ignore[operator]
            problems.append(f"{name} must be a whole number from {low} to {high}, not {raw!r}")
    if problems:
        raise SystemExit("soak: " + "; ".join(problems))
    shape = GatewayShape(int(environ.get("WEB_CONCURRENCY") or 2))
    return SoakSettings(values["SOAK_S"] or 60, values["SOAK_RATE"], values["SOAK_DEVICES"] or 500, shape)


def give_up(signum: int, frame: FrameType | None) -> None:
    """Interrupt whatever the soak waits on when its time budget is spent."""
    raise TimeoutError("the soak ran out of its time budget")


def soak(settings: SoakSettings, system: Embedded, fleet: DeviceFleet) -> Outcome:
    """Connect the devices, find the rate, run the steady load and check it; return what to print."""
    devices, endpoint = settings.devices, system.endpoint
    connected = fleet.grow("127.0.0.1", system.mqtt_port, devices, CONNECT_S)
    if not connected.complete:
        raise RuntimeError(f"only {connected.subscribed} of {devices} devices subscribed ({connected.refusals or 'timeout'})")
    log.info("%s devices subscribed in %.1f s", devices, connected.elapsed_s)
    capacity = None
    rate = settings.rate
    if rate is None:
        burst = loaded(system, fleet, devices, lambda: blast(endpoint, devices, PREFIX, CAPACITY_S, CONNECTIONS))
        capacity = burst.answers.delivered_per_s
        rate = max(1, round(CAPACITY_SHARE * capacity))
        log.info("capacity %.0f delivered/s (wrk, %s s); soaking at %s/s", capacity, CAPACITY_S, rate)
    rss_before, gateway_before = system.broker_rss_kib(), gateway_rss_kib(system)
    tokens = devices + DEVICELESS
    started = time.monotonic()
    with MemoryWatch(system) as watch:
        run = loaded(system, fleet, devices, lambda: pace(endpoint, tokens, PREFIX, rate, settings.seconds, True, FINISH_S))
    drain_s = time.monotonic() - started - run.usage.wall_s
    quiet(fleet)
    receipts, seen = fleet.receipts(), fleet.seen()
    addressing = Addressing(tokens, devices, frozenset(receipts.dropped))
    ledger = check(run.answers.by_id, receipts, addressing, seen.received - receipts.labelled)
    return Outcome(
        seconds=settings.seconds, rate=rate, capacity=capacity, devices=devices, deviceless=DEVICELESS, run=run,
        ledger=ledger, latencies_us=seen.latencies_us, drain_s=drain_s, dropped=len(receipts.dropped),
        subscribed_after=fleet.subscribed(), rss_before_kib=rss_before, rss_after_kib=system.broker_rss_kib(),
        gateway_rss_before_kib=gateway_before, gateway_rss_after_kib=gateway_rss_kib(system),
        rss_by_part_kib=watch.at_ends_of(6, settings.seconds),
    )  # fmt: skip


def quiet(fleet: DeviceFleet) -> None:
    """Wait until nothing new has arrived for QUIET_S (at most QUIET_MAX_S), so late copies are counted too."""
    deadline = time.monotonic() + QUIET_MAX_S
    last, since = fleet.receipts().labelled, time.monotonic()
    while time.monotonic() - since < QUIET_S and time.monotonic() < deadline:
        time.sleep(0.2)
        now = fleet.receipts().labelled
        if now != last:
            last, since = now, time.monotonic()


def main() -> int:
    """Run the soak, print the report; exit 0 on PASS, 1 on FAIL (an error is a FAIL too)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s soak: %(message)s", stream=sys.stderr)
    settings = settings_from(os.environ)
    out = Path(os.environ.get("SOAK_OUT") or Path(tempfile.gettempdir()) / "awtrix-cloud-soak")
    out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(settings.budget_s)
    raise_open_files()
    facts = machine()
    if settings.rate is None:
        tools.ensure("wrk", "wrk")
    limits = ", ".join(f"{name}={value}" for name, value in GATEWAY_BENCH_ENV.items())
    log.info("%s devices + %s without one, %s s, gunicorn %s; gateway limits raised: %s",
             settings.devices, DEVICELESS, settings.seconds, settings.shape, limits)  # fmt: skip
    system = fleet = None
    try:
        system = Embedded(settings.shape)
        fleet = DeviceFleet(PREFIX, 1)
        outcome = soak(settings, system, fleet)
        report = render(outcome, facts, settings.shape, limits)
        code = 0 if outcome.ledger.passed else 1
    except Exception as err:  # a soak that cannot finish has failed; say why and stop everything
        log.exception("soak failed")
        report, code = f"FAIL: the soak could not finish: {type(err).__name__}: {err}", 1
    finally:
        signal.alarm(0)  # stopping is bounded by itself (each process gets a timeout, then SIGKILL)
        if fleet is not None:
            fleet.close()
        if system is not None:
            system.close()
            save_logs(system, out)
    print(report)
    (out / "report.md").write_text(report + "\n")
    return code


def save_logs(system: Embedded, out: Path) -> None:
    """Keep what gateway and broker logged, access lines left out (they have no "[", every other line has)."""
    for name, process in (("gateway", system.gateway), ("broker", system.broker)):
        lines = [line for line in process.output.splitlines(keepends=True) if "[" in line]
        (out / f"{name}.log").write_text("".join(lines))


if __name__ == "__main__":
    sys.exit(main())
