"""Attacks on the HTTP front of a real gunicorn (2 workers) while a normal webhook is sent every 100 ms.

Each attack runs in a process of its own (tests/support/http_flood.py): a chunked body dribbled one chunk per
packet on 16 connections, 20 connections padding chunks with 1 KiB extensions, and 2,100 connections from 105
addresses sending a header byte every 2 s. Every normal webhook must be answered, its p95 stay within
ATTACKED_P95_S (the unattacked p95 is measured in the same run, as a reference), and each worker's memory come back
near its start afterwards. The figures are printed and recorded in docs/RELIABILITY.md.
"""

import json
import re
import resource
import socket
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.embedded import TEST_SECRET, EmbeddedBroker
from tests.support.processes import BIN, Process, start_gateway

PROBE_EVERY_S = 0.1
PROBE_SOURCE = "127.0.0.5"
REFERENCE_S, ATTACK_S = {"reference": 4.0}, {"dribble": 10.0, "padded": 6.0, "slow": 12.0}
# Unattacked, p95 is a few ms on this 2-core machine; the attacks as they worked before issue 12 put it at 613 ms
# (dribble) or made webhooks fail for 20 s (slow connections). Loaded by other engineers' tests, a neighbour can
# add tens of ms: the bound leaves room for that and still catches an attack that works.
ATTACKED_P95_S = 0.25
PROBE_TIMEOUT_S = 5.0
RSS_GROWTH_KIB = 10 * 1024  # per worker, once the attacks are over
WEBHOOK = (
    b"POST /cloud?mode=notify&token=absent-device-token-0000 HTTP/1.1\r\nHost: x\r\n"
    b'Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{"text":"hi"}'
)


@dataclass
class Phase:
    """What the probes saw during one phase, and what the attack did."""

    name: str
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    attack: dict[str, int] = field(default_factory=dict)
    worker_cpu_s: float = 0.0

    @property
    def p95_ms(self) -> float:
        """The 95th percentile of the probes' answer times, in ms."""
        return statistics.quantiles(self.latencies, n=20)[-1] * 1000


def probe(port: int) -> float:
    """Send one normal webhook on a new connection; return its answer time, raising if it is not a 202."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=PROBE_TIMEOUT_S, source_address=(PROBE_SOURCE, 0)) as sock:
        sock.sendall(WEBHOOK)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 202 "), answer[:60]
    return time.monotonic() - started


def worker_pids(gateway: Process) -> list[int]:
    """Return the pids of the gateway's workers, from gunicorn's boot lines."""
    return [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", gateway.output)]


def rss_kib(pid: int) -> int:
    """Return a process's resident memory in KiB."""
    return int(re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1))  # type: ignore[union-attr]


def cpu_s(pids: list[int]) -> float:
    """Return the user and system CPU seconds the processes have used."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / 100  # USER_HZ


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[Process, int]]:
    """The Procfile's web process with 2 workers and the defaults a deployment keeps, limits aside."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 2,100 connections; gunicorn inherits it
    broker = EmbeddedBroker().start()
    env = {
        "GATEWAY_SECRET": TEST_SECRET,
        "MQTT_PORT": str(broker.port),
        "RATE_LIMIT_PER_TOKEN": "100000/minute",
        "RATE_LIMIT_PER_ADDRESS": "100000/minute",
    }
    process, port = start_gateway(env, workers=2)
    try:
        process.wait_for(r"Booting worker with pid: \d+(?s:.*)")
        deadline = time.monotonic() + 20
        while len(worker_pids(process)) < 2 and time.monotonic() < deadline:
            process.wait_for(r"Booting worker", timeout=1)
        for pid in worker_pids(process):
            process.wait_for(rf"\[{pid}\] \[INFO\] gateway.publisher: connected to the MQTT broker")
        yield process, port
    finally:
        process.stop()
        broker.stop()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def run_phase(name: str, seconds: float, gateway: Process, port: int) -> Phase:
    """Probe every PROBE_EVERY_S for seconds while the named attack (if any) runs beside."""
    phase = Phase(name)
    attacker = None
    if name != "reference":
        attacker = Process([str(BIN / "python"), "-m", "tests.support.http_flood", name, str(port), str(seconds)], {})
    pids = worker_pids(gateway)
    cpu_before = cpu_s(pids)
    next_at = time.monotonic()
    deadline = next_at + seconds
    while next_at < deadline:
        time.sleep(max(0.0, next_at - time.monotonic()))  # the probes' pace, not a synchronisation
        next_at += PROBE_EVERY_S
        try:
            phase.latencies.append(probe(port))
        except (OSError, AssertionError) as err:
            phase.failures.append(repr(err))
    if attacker is not None:
        line = attacker.wait_for(r"^\{.*\}$", timeout=seconds + 30)
        phase.attack = json.loads(line.group(0))
        attacker.stop()
    phase.worker_cpu_s = cpu_s(pids) - cpu_before
    return phase


def test_attacks_on_the_http_front_do_not_stop_normal_webhooks(
    gateway: tuple[Process, int], capsys: pytest.CaptureFixture[str]
) -> None:
    process, port = gateway
    pids = worker_pids(process)
    assert len(pids) == 2
    reference = run_phase("reference", REFERENCE_S["reference"], process, port)
    rss_before = {pid: rss_kib(pid) for pid in pids}
    phases = [run_phase(name, seconds, process, port) for name, seconds in ATTACK_S.items()]
    rss_after = settled_rss(pids, rss_before)
    with capsys.disabled():
        print()
        for phase in [reference, *phases]:
            print(
                f"{phase.name}: {len(phase.latencies)} answered, {len(phase.failures)} failed, p95 {phase.p95_ms:.1f} ms, "
                f"max {max(phase.latencies) * 1000:.1f} ms, workers' CPU {phase.worker_cpu_s:.2f} s; attack {phase.attack}"
            )
        print(f"worker RSS KiB before {rss_before}, after {rss_after}")
    for phase in [reference, *phases]:
        assert not phase.failures, (phase.name, phase.failures[:3])
        assert len(phase.latencies) >= 0.9 * (REFERENCE_S | ATTACK_S)[phase.name] / PROBE_EVERY_S - 1
        assert phase.p95_ms / 1000 <= ATTACKED_P95_S, (phase.name, phase.p95_ms)
    dribble, padded, slow = phases
    assert dribble.attack["peak_open"] == 16 and dribble.attack["answers"] >= 16  # each dribbled body was read whole
    assert padded.attack.get("status_413", 0) >= 20  # every padded body was refused, and the attacker came back
    assert slow.attack["peak_open"] >= 2100 and slow.attack["closed_by_gateway"] + slow.attack.get("status_408", 0) > 100
    for pid in pids:
        assert rss_after[pid] - rss_before[pid] <= RSS_GROWTH_KIB, (pid, rss_before[pid], rss_after[pid])


def settled_rss(pids: list[int], before: dict[int, int], within_s: float = 10.0) -> dict[int, int]:
    """Return each worker's RSS once it is back within RSS_GROWTH_KIB of before, or whatever it is after within_s."""
    deadline = time.monotonic() + within_s
    while True:
        after = {pid: rss_kib(pid) for pid in pids}
        if all(after[pid] - before[pid] <= RSS_GROWTH_KIB for pid in pids) or time.monotonic() > deadline:
            return after
        time.sleep(0.2)  # polling a figure the kernel keeps; nothing to wait on
