"""Profile the broker and the gateway workers during one extra throughput run (BENCH_PROFILE=1).

py-spy samples every thread's Python stack (wall clock: a thread blocked in select() or on a lock is
sampled too, so frames known to block are reported apart as waiting); /proc gives each thread's CPU
time over the same run, which says which thread actually burns the CPU (and holds the GIL).
"""

import logging
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

from bench.fleet import DeviceFleet
from bench.host import CLOCK_TICKS
from bench.load import blast
from bench.systems import System

log = logging.getLogger("bench")
RATE_HZ = 100
TOP = 8
# Own time in these frames is time spent blocked (select, lock and queue waits), not CPU.
WAITING = re.compile(r"^(EpollSelector\.select|Condition\.wait|Event\.wait|_worker|Client\._loop|BaseSelectorEventLoop\.select) ")
# Entry points under every stack of a thread (thread bootstrap, event loop, gunicorn's arbiter): not informative.
ENTRY = re.compile(
    r"^(Thread\.|_worker |_WorkItem\.run|<module>|run |main |_run_module_as_main|_run_code|Runner\.run|BaseEventLoop\.run_"
    r"|BaseEventLoop\._run_once|Handle\._run|Application\.run|BaseApplication\.run|Arbiter\.|Worker\.init_process"
    r"|ThreadWorker\.(init_process|run) |Client\._thread_main|Client\.loop_forever)"
)
_THREAD = re.compile(r"^thread \((\d+|0x[0-9a-f]+)\)(?:: (.*))?$")


def py_spy() -> str:
    """Return the py-spy executable, installing it from PyPI into this environment when missing."""
    found = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if found:
        return found
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "py-spy"], check=True)
    return str(Path(sys.executable).parent / "py-spy")


def thread_cpu(pid: int) -> dict[int, float]:
    """Return CPU seconds used so far by each thread of a process."""
    result = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        result[int(task.name)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return result


def summarise(collapsed: Path, cpu: dict[int, float], top: int = TOP) -> str:
    """Return, per thread (busiest first), its CPU seconds and its top frames by own time, waits apart."""
    own: dict[str, Counter[str]] = defaultdict(Counter)
    inclusive: Counter[str] = Counter()  # over the samples of every thread that was not waiting
    busy = 0
    names: dict[str, str] = {}
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        match = _THREAD.match(stack.split(";", 1)[0])
        frames = [_function(frame) for frame in stack.split(";")[1:]]
        if not match or not frames:
            continue
        tid = str(int(match.group(1), 0))
        names[tid] = match.group(2) or "thread"
        waiting = bool(WAITING.match(frames[-1]))
        own[tid]["(waiting) " + frames[-1] if waiting else frames[-1]] += int(count)
        if not waiting:
            inclusive.update(dict.fromkeys(frames, int(count)))
            busy += int(count)
    lines = _inclusive(inclusive, busy, top)
    # Threads that come and go (e.g. timers) are summed up in one line instead of one line each.
    transient = [tid for tid in own if int(tid) not in cpu or names[tid].startswith("Thread-")]
    if len(transient) > 3:
        used = sum(cpu.get(int(tid), 0.0) for tid in transient)
        lines.append(f"  {len(transient)} short-lived threads (e.g. {names[transient[0]]}), CPU {used:.2f} s (those still alive)")
        own = {tid: samples for tid, samples in own.items() if tid not in transient}
    for tid in sorted(own, key=lambda t: -cpu.get(int(t), 0.0)):
        samples = own[tid]
        total = sum(samples.values())
        waiting = sum(n for frame, n in samples.items() if frame.startswith("(waiting)"))
        used = cpu.get(int(tid), 0.0)
        lines.append(f"  thread {names[tid]}: CPU {used:.2f} s; {100 * waiting / total:.0f}% of samples waiting")
        busy = [(frame, n) for frame, n in samples.most_common() if not frame.startswith("(waiting)")][:top]
        lines += [f"      {100 * n / total:5.1f}%  {frame}" for frame, n in busy]
    return "\n".join(lines) or "  no samples"


def _function(frame: str) -> str:
    return frame.rsplit(":", 1)[0] + ")" if frame.endswith(")") else frame


def _inclusive(inclusive: Counter[str], busy: int, top: int) -> list[str]:
    """Return the functions most often on the stack of a busy thread, without the entry points under nearly all."""
    if not busy:
        return []
    shown = [(frame, n) for frame, n in inclusive.most_common() if not ENTRY.match(frame)][: top * 3]
    lines = [f"  where busy threads were (inclusive, % of {busy} samples of threads not waiting):"]
    return lines + [f"      {100 * n / busy:5.1f}%  {frame}" for frame, n in shown]


class Profiler:
    """A scenario hook: one extra throughput run while py-spy samples the broker and every gateway worker."""

    def __init__(self, out: Path, prefix: str, seconds: float, connections: int) -> None:
        """Write py-spy's collapsed stacks to out."""
        self.out, self.prefix, self.seconds, self.connections = out, prefix, seconds, connections
        self.summary = ""

    def __call__(self, system: System, fleet: DeviceFleet) -> None:
        """Profile while wrk runs; these figures are not part of the table."""
        executable = py_spy()
        targets = [("broker", pid) for pid in system.broker_pids()]
        targets += [(f"gateway worker {i}", pid) for i, pid in enumerate(system.gateway_pids()[1:])]
        before = {pid: thread_cpu(pid) for _, pid in targets}
        spies = []
        for name, pid in targets:
            path = self.out / f"profile-{name.replace(' ', '-')}.txt"
            command = [executable, "record", "--pid", str(pid), "--rate", str(RATE_HZ), "--duration", str(int(self.seconds)),
                       "--format", "raw", "--threads", "--output", str(path)]  # fmt: skip
            spies.append((name, pid, path, subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
        answers = blast(system.endpoint, fleet.count, self.prefix, self.seconds, self.connections)
        parts = [
            f"Profile: {system.name}, {fleet.count:,} devices, wrk for {self.seconds:.0f} s "
            f"({answers.delivered_per_s:,.0f} delivered/s while sampled at {RATE_HZ} Hz; collapsed stacks in {self.out})"
        ]
        for name, pid, path, spy in spies:
            spy.wait(60)
            after = thread_cpu(pid)
            cpu = {tid: after[tid] - before[pid].get(tid, 0.0) for tid in after}
            parts.append(f"{name} (CPU {sum(cpu.values()):.2f} s):")
            parts.append(summarise(path, cpu) if path.exists() else "  py-spy wrote nothing")
        self.summary = "\n".join(parts)
        log.info("%s", self.summary)
