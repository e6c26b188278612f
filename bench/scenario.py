"""The phases run against each system: throughput at three device counts, fixed-rate latency, the clock's verdict
round trip (ours), restart storm, memory."""

import logging
import time
from collections.abc import Callable

from bench.figures import Figures, Memory, Plan, Run, Storm, Usage
from bench.fleet import DeviceFleet, Seen
from bench.host import cpu_s, listen_overflows, machine_busy_s
from bench.load import Answers, Endpoint, blast, pace
from bench.systems import System

log = logging.getLogger("bench")

DRAIN_S = 10.0
SETTLE_S = (2.0, 15.0)  # after a storm: at least, at most
QUIET_CORES = 0.2  # the broker has settled when it uses less CPU than this
CONNECT_S = 120.0
COMPLETE_S = 20.0  # after an unfinished storm, how much longer the rest may take before the throughput run

Hook = Callable[[System, DeviceFleet], None]


def measure(system: System, plan: Plan, prefix: str, at_middle: Hook | None = None) -> Figures:
    """Run every phase against a started system; stop its devices afterwards."""
    figures = Figures(system.name)
    fleet = DeviceFleet(prefix, plan.simulators, anonymous=system.anonymous_devices)
    small, middle, large = plan.device_counts

    def flood(count: int, devices: int, runs: int) -> None:
        for _ in range(runs):
            run = loaded(system, fleet, devices, lambda: blast(system.endpoint, count, prefix, plan.blast_s, plan.connections))
            figures.add_blast(count, run)

    try:
        alternate = system.alternate_sizes
        connect(fleet, system, small, figures)
        flood(small, small, 1 if alternate else plan.repeats)
        connect(fleet, system, middle, figures)
        flood(middle, middle, plan.repeats)
        log.info("%s: %s webhooks/s at a fixed rate with %s devices", system.name, plan.rate, middle)
        figures.latency = loaded(system, fleet, middle, lambda: pace(system.endpoint, middle, prefix, plan.rate, plan.paced_s))
        if system.verdicts:
            figures.verdicts = verdict_round_trip(system, plan, prefix, figures)
        if at_middle is not None:
            at_middle(system, fleet)
        figures.storm, figures.memory = restart_storm(system, fleet, large, plan.storm_timeout_s)
        if figures.storm.subscribed < large:
            log.info("%s: letting the other devices connect before the throughput run", system.name)
            connected = fleet.storm("127.0.0.1", system.mqtt_port, large, COMPLETE_S)
            if not connected.complete:
                figures.notes.append(f"only {connected.subscribed:,} of {large:,} devices subscribed for the throughput run")
            settle(system)
        system.wait_publisher()
        if not alternate:
            flood(large, fleet.subscribed(), plan.repeats)
            return figures
        # The size comparison: runs with the largest fleet and with the smallest alternate, so that a machine
        # whose speed changes over a minute (this shared VM's does) favours neither.
        for repeat in range(plan.repeats):
            if repeat:
                connect(fleet, system, large, figures)
                settle(system)
            flood(large, fleet.subscribed(), 1)
            shrink(fleet, system, small, figures)
            flood(small, small, 1)
    finally:
        fleet.close()
    return figures


def verdict_round_trip(system: System, plan: Plan, prefix: str, figures: Figures) -> Run:
    """Webhooks at the fixed rate to AWTRIX NG clocks (a fleet of its own) that answer each command on /result."""
    devices, ng_prefix = plan.device_counts[1], f"{prefix}ng-"
    log.info("%s: %s webhooks/s to %s AWTRIX NG clocks, each waiting for the clock's answer", system.name, plan.rate, devices)
    fleet = DeviceFleet(ng_prefix, plan.simulators, anonymous=system.anonymous_devices, ng=True)
    try:
        connect(fleet, system, devices, figures)
        endpoint = Endpoint("gateway-ng", system.endpoint.port, host=system.endpoint.host)
        return loaded(system, fleet, devices, lambda: pace(endpoint, devices, ng_prefix, plan.rate, plan.paced_s))
    finally:
        fleet.close()


def connect(fleet: DeviceFleet, system: System, total: int, figures: Figures) -> None:
    """Grow the fleet to total devices on system's broker, noting any that could not subscribe."""
    log.info("%s: connecting %s devices", system.name, total)
    connected = fleet.grow("127.0.0.1", system.mqtt_port, total, CONNECT_S)
    if not connected.complete:
        figures.notes.append(f"only {connected.subscribed:,} of {total:,} devices subscribed ({connected.refusals or 'timeout'})")


def shrink(fleet: DeviceFleet, system: System, total: int, figures: Figures) -> None:
    """Disconnect every device but the first total ones, and let the broker settle before the next load phase."""
    log.info("%s: disconnecting all but %s devices", system.name, total)
    still_open = fleet.shrink(total, CONNECT_S)
    settle(system)
    subscribed = fleet.subscribed()
    if still_open or subscribed != total:
        figures.notes.append(f"down to {total:,} devices: {subscribed:,} subscribed, {still_open:,} still closing")


def loaded(system: System, fleet: DeviceFleet, devices: int, drive: Callable[[], Answers]) -> Run:
    """Run one load phase, wait for the devices to receive what was delivered, and account for CPU."""
    log.info("%s: load with %s devices", system.name, devices)
    fleet.reset()
    before_cpu, before_fleet, before_busy, started = system.cpu(), fleet.seen().cpu_s, machine_busy_s(), time.monotonic()
    answers = drive()
    wall = time.monotonic() - started
    after_cpu, busy = system.cpu(), machine_busy_s() - before_busy
    seen = drain(fleet, answers.delivered)
    used = {key: after_cpu[key] - before_cpu.get(key, 0.0) for key in after_cpu}
    devices_cpu = seen.cpu_s - before_fleet
    others = busy - used["broker"] - used["http"] - devices_cpu - answers.cpu_s
    workers = [value for key, value in used.items() if key.startswith("worker ")]
    usage = Usage(wall, used["broker"], used["http"], devices_cpu, answers.cpu_s, max(0.0, others), workers)
    return Run(devices, answers, seen.received, seen.latencies_us, usage)


def drain(fleet: DeviceFleet, expected: int) -> Seen:
    """Wait until the devices have received expected messages, or nothing new arrives for a second."""
    deadline, last, quiet_since = time.monotonic() + DRAIN_S, -1, time.monotonic()
    while True:
        seen = fleet.seen()
        if seen.received >= expected or time.monotonic() > deadline:
            return seen
        if seen.received != last:
            last, quiet_since = seen.received, time.monotonic()
        elif time.monotonic() - quiet_since > 1.0:
            return seen
        time.sleep(0.1)


def restart_storm(system: System, fleet: DeviceFleet, total: int, timeout_s: float) -> tuple[Storm, Memory]:
    """Restart the broker, then connect all total devices at once; time it and measure idle memory."""
    log.info("%s: restarting the broker, then %s devices connect at once", system.name, total)
    system.stop_broker()
    still_open = fleet.wait_lost(30)
    if still_open:
        log.warning("%s devices still saw their connection open after the broker stopped", still_open)
    system.start_broker()
    before_kib = system.broker_rss_kib()
    overflows, broker_cpu = listen_overflows(), cpu_s(system.broker_pids())
    connected = fleet.storm("127.0.0.1", system.mqtt_port, total, timeout_s)
    storm = Storm(
        devices=total,
        subscribed=connected.subscribed,
        seconds=connected.elapsed_s if connected.complete else timeout_s,
        listen_overflows=listen_overflows() - overflows,
        broker_cpu_s=cpu_s(system.broker_pids()) - broker_cpu,
    )
    settle(system)
    memory = Memory(connected.subscribed, before_kib, system.broker_rss_kib())
    return storm, memory


def settle(system: System) -> float:
    """Wait until the broker has (nearly) stopped using CPU after a storm; return how long that took."""
    started = time.monotonic()
    time.sleep(SETTLE_S[0])
    while time.monotonic() - started < SETTLE_S[1]:
        before = cpu_s(system.broker_pids())
        time.sleep(1.0)
        if cpu_s(system.broker_pids()) - before < QUIET_CORES:
            break
    return time.monotonic() - started
